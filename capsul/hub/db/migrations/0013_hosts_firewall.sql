-- oldest version: 0.10.0
-- What each spoke last said of its firewall when the hub pushed it (docs/firewall.md): whether it
-- enforces, an nft refusal, a missing br_netfilter, repairs made; or why the push failed. The admin
-- page shows it per host. Only an addition: hubs of 0.10.0 keep serving.
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS firewall jsonb;
