-- oldest version: 0.10.0
-- Inbound firewall rules per capsul (docs/firewall.md): each allows a protocol, a port or range and a
-- source network (NULL: anywhere, IPv4 and IPv6). A capsul's `firewall` is 'default' (the operator's
-- FIREWALL_DEFAULT: allow-all or ssh-only) or 'rules' (only its rules; established traffic always).
-- Only additions: hubs of 0.10.0 keep serving (they neither show nor push rules).
CREATE TABLE IF NOT EXISTS firewall_rules (
  id         bigserial PRIMARY KEY,
  vm_id      text NOT NULL REFERENCES vms(id) ON DELETE CASCADE,
  protocol   text NOT NULL CHECK (protocol IN ('tcp', 'udp', 'icmp')),
  port_from  integer CHECK (port_from BETWEEN 1 AND 65535),
  port_to    integer CHECK (port_to BETWEEN 1 AND 65535),
  source     cidr,
  note       text CHECK (length(note) <= 100),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((protocol = 'icmp') = (port_from IS NULL)),
  CHECK ((port_from IS NULL) = (port_to IS NULL) AND port_to >= port_from OR port_from IS NULL)
);
CREATE INDEX IF NOT EXISTS firewall_rules_vm ON firewall_rules (vm_id, id);
ALTER TABLE vms ADD COLUMN IF NOT EXISTS firewall text NOT NULL DEFAULT 'default' CHECK (firewall IN ('default', 'rules'));
