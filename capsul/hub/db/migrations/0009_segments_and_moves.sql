-- oldest version: 0.9.0
-- Network segments and moves between hosts (docs/moves.md):
-- - host_network.segment: the network segment a pool is on (one L2 segment or VLAN with one gateway).
--   Pools of several hosts with the same segment are that one segment, reached on each host
--   through the libvirt network its row names; they agree on its addresses (a deferred constraint
--   trigger checks it at commit). Each pool that exists becomes a segment of its host alone, named
--   HOST/NETWORK. Hubs of 0.9.0 insert pools without a segment: the same default is given them.
--   Addresses stay unique in every live capsul (vms_live_ipv4, vms_live_ipv6), so within a segment too;
-- - host_network.cpu_model: the named CPU model guests on the segment get, so that they can move
--   live between its hosts (NULL: the hypervisor's default, or host-passthrough under KVM);
-- - vms.moved_from: the host a capsul was moved off by an evacuation, which `run.py return` moves
--   it back to.
ALTER TABLE host_network ADD COLUMN segment text CHECK (segment ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$'),
  ADD COLUMN cpu_model text CHECK (cpu_model ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$');
UPDATE host_network SET segment = host_id || '/' || network_name;
CREATE FUNCTION host_network_segment_default() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.segment IS NULL THEN
    NEW.segment := NEW.host_id || '/' || NEW.network_name;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER host_network_segment_default BEFORE INSERT OR UPDATE ON host_network
  FOR EACH ROW EXECUTE FUNCTION host_network_segment_default();
ALTER TABLE host_network ALTER COLUMN segment SET NOT NULL,
  ADD CONSTRAINT host_network_one_pool_per_segment UNIQUE (host_id, segment);
CREATE FUNCTION host_network_segment_agrees() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(DISTINCT (cidr, first_usable, last_usable, gateway, dns_servers, ipv6_cidr, ipv6_gateway, cpu_model))
      FROM host_network WHERE segment = NEW.segment) > 1 THEN
    RAISE EXCEPTION 'the pools of segment % differ: every host on a segment has the same addresses, gateways, DNS and CPU model', NEW.segment
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER host_network_segment_agrees AFTER INSERT OR UPDATE ON host_network
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION host_network_segment_agrees();
ALTER TABLE vms ADD COLUMN moved_from text REFERENCES hosts(id) ON DELETE SET NULL;
-- Moves under way, which placement counts as taken on their destination.
CREATE INDEX operations_moves_under_way ON operations (created_at) WHERE type = 'move' AND status IN ('pending', 'assigned');
