-- capsul's whole database schema, as of this version. A fresh install applies it alone, once,
-- to an empty database. Every change after it ships as a numbered migration in
-- capsul/hub/db/migrations/ AND is made here too, so that a fresh install and an upgraded
-- database are the same (tests/test_upgrades.py compares their pg_dump --schema-only).
-- The IF NOT EXISTS and ADD COLUMN lines below are the history of the releases before migrations.

-- One row per spoke (hypervisor host). Tokens are shared HMAC secrets (docs/architecture.md §3),
-- so they are stored as they are; they are never logged.
CREATE TABLE IF NOT EXISTS hosts (
  id                   text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
  https_url            text NOT NULL CHECK (https_url ~ '^https://[^/]+$'),
  token                text NOT NULL,   -- the spoke's SPOKE_HOST_TOKEN: it signs spoke->hub
  hub_token            text NOT NULL,   -- the spoke's HUB_TOKEN: the hub signs hub->spoke
  previous_token       text,            -- after rotate-token, valid until previous_valid_until
  previous_hub_token   text,
  previous_valid_until timestamptz,
  online               boolean NOT NULL DEFAULT false,
  missed_heartbeats    integer NOT NULL DEFAULT 0,
  last_heartbeat_at    timestamptz,     -- last answer (or announcement) from the spoke
  last_error           text,            -- why the last heartbeat failed, if it did
  capacity             jsonb,           -- {cpus, memory_mb, committed_cpus, committed_memory_mb}
  last_event_seq       bigint,          -- the spoke's last sent event sequence number
  created_at           timestamptz NOT NULL DEFAULT now(),
  CHECK (token <> hub_token),
  CHECK ((previous_token IS NULL) = (previous_valid_until IS NULL))
);

-- People. Login (magic links) comes with the web console; the email is the account id.
CREATE TABLE IF NOT EXISTS accounts (
  email      text PRIMARY KEY CHECK (email = lower(email) AND email ~ '^[^@\s]+@[^@\s]+$'),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS ssh_public_keys (
  account    text NOT NULL REFERENCES accounts(email) ON DELETE CASCADE,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  content    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account, name),
  UNIQUE (account, content)
);

-- What can be bought: sizes and OS images. Seeded below; operators add and deprecate them with
-- run.py add-size / add-image / deprecate-size / deprecate-image (capsul/catalog_cli.py).
CREATE TABLE IF NOT EXISTS vm_sizes (
  id                text PRIMARY KEY,
  dollars_per_month numeric(10, 2) NOT NULL CHECK (dollars_per_month >= 0),
  vcpus             integer NOT NULL CHECK (vcpus > 0),
  memory_mb         integer NOT NULL CHECK (memory_mb > 0),
  disk_gb           integer NOT NULL CHECK (disk_gb > 0),
  bandwidth_gb      integer NOT NULL DEFAULT 0 CHECK (bandwidth_gb >= 0),
  deprecated        boolean NOT NULL DEFAULT false
);
INSERT INTO vm_sizes (id, dollars_per_month, vcpus, memory_mb, disk_gb, bandwidth_gb) VALUES
  ('f1-xs',  5.33, 1,  512, 25,  500),
  ('f1-s',   7.16, 1, 1024, 25, 1000),
  ('f1-m',  12.67, 1, 2048, 25, 2000),
  ('f1-l',  20.00, 2, 3072, 25, 3000),
  ('f1-x',  27.00, 3, 4096, 25, 4000),
  ('f1-xx', 50.00, 4, 8192, 25, 5000)
ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS os_images (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
  description text NOT NULL,
  file_name   text,  -- in the spoke's OS image folder (NOT NULL before 0008)
  deprecated  boolean NOT NULL DEFAULT false
);
INSERT INTO os_images (id, description, file_name) VALUES
  ('debian12', 'Debian 12 (bookworm)', 'debian-12-genericcloud-amd64.qcow2'),
  ('alpine320', 'Alpine Linux 3.20', 'alpine-3.20-cloudinit.qcow2'),
  ('ubuntu24', 'Ubuntu 24.04 LTS', 'ubuntu-24.04-server-cloudimg-amd64.img')
ON CONFLICT (id) DO NOTHING;

-- Per-host IPv4 pools: VMs on a host get addresses from first_usable..last_usable.
CREATE TABLE IF NOT EXISTS host_network (
  host_id      text NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
  network_name text NOT NULL DEFAULT 'default',  -- the libvirt network VMs attach to
  cidr         cidr NOT NULL CHECK (family(cidr) = 4),
  first_usable inet NOT NULL,
  last_usable  inet NOT NULL,
  PRIMARY KEY (host_id, network_name),
  CHECK (first_usable << cidr AND last_usable << cidr AND first_usable <= last_usable)
);

-- Capsuls. host_id is the owner (NULL until a spoke claims the create).
CREATE TABLE IF NOT EXISTS vms (
  id             text PRIMARY KEY CHECK (id ~ '^capsul-[a-z0-9]{10}$'),
  account        text NOT NULL REFERENCES accounts(email),
  size           text NOT NULL REFERENCES vm_sizes(id),
  os             text NOT NULL REFERENCES os_images(id),
  host_id        text REFERENCES hosts(id),
  network_name   text,
  public_ipv4    inet,
  state          text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'creating', 'running', 'stopped',
                   'paused', 'crashed', 'deleting', 'deleted', 'failed', 'rebuilding', 'resizing',  -- 0006
                   'restoring',  -- 0007
                   'fetching-image', 'migrating')),  -- 0008
  failure_reason text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  state_changed_at timestamptz NOT NULL DEFAULT now(),
  deleted_at     timestamptz,
  CHECK ((state = 'failed') = (failure_reason IS NOT NULL)),
  CHECK (state IN ('pending', 'failed', 'deleted') OR host_id IS NOT NULL)
);
-- One address per live VM: a deleted or failed VM has given its address back.
CREATE UNIQUE INDEX IF NOT EXISTS vms_live_ipv4 ON vms (public_ipv4)
  WHERE public_ipv4 IS NOT NULL AND state NOT IN ('deleted', 'failed');
CREATE INDEX IF NOT EXISTS vms_account ON vms (account, created_at);
CREATE INDEX IF NOT EXISTS vms_host ON vms (host_id) WHERE state NOT IN ('deleted', 'failed');

CREATE TABLE IF NOT EXISTS vm_ssh_public_key (
  vm_id      text NOT NULL REFERENCES vms(id) ON DELETE CASCADE,
  account    text NOT NULL,
  key_name   text NOT NULL,
  content    text NOT NULL,  -- a copy: deleting the key later does not change the VM
  PRIMARY KEY (vm_id, key_name)
);

-- Work the hub asks spokes to do (docs/architecture.md §3).
CREATE TABLE IF NOT EXISTS operations (
  id           uuid PRIMARY KEY,
  type         text NOT NULL CHECK (type IN ('list', 'capacity_available', 'get', 'destroy',
                 'vm_state_command', 'create', 'rebuild', 'resize',  -- rebuild, resize: 0006
                 'backup', 'restore',  -- 0007
                 'move', 'fetch_image')),  -- 0008
  account      text REFERENCES accounts(email),
  vm_id        text REFERENCES vms(id),
  payload      jsonb NOT NULL DEFAULT '{}',
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'assigned', 'completed', 'failed')),
  result       jsonb,
  error        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  assigned_at  timestamptz,
  completed_at timestamptz
);
CREATE INDEX IF NOT EXISTS operations_vm ON operations (vm_id);
CREATE INDEX IF NOT EXISTS operations_recent ON operations (created_at);

-- Every host an operation was offered or sent to, and what it answered.
CREATE TABLE IF NOT EXISTS host_operation (
  host_id           text NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
  operation_id      uuid NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
  assignment_status text NOT NULL CHECK (assignment_status IN ('offered', 'claimed', 'refused', 'timeout',
                      'error', 'closed', 'sent', 'answered')),
  offered_at        timestamptz NOT NULL DEFAULT now(),
  answered_at       timestamptz,
  answer            jsonb,
  PRIMARY KEY (host_id, operation_id)
);
-- Exactly one owner per create: at most one claimed row per operation.
CREATE UNIQUE INDEX IF NOT EXISTS host_operation_one_claim ON host_operation (operation_id)
  WHERE assignment_status = 'claimed';

-- A VM reported by a host that does not own it. Shown to admins; never billed (billing
-- reads vms, where a VM has one row and one owner).
CREATE TABLE IF NOT EXISTS ownership_conflicts (
  id           bigserial PRIMARY KEY,
  vm_id        text NOT NULL,
  owner        text,
  reported_by  text NOT NULL,
  operation_id uuid REFERENCES operations(id) ON DELETE SET NULL,
  seen_at      timestamptz NOT NULL DEFAULT now(),
  resolved_at  timestamptz,
  UNIQUE (vm_id, reported_by)
);

-- The audit trail of every VM's state.
CREATE TABLE IF NOT EXISTS vm_events (
  id        bigserial PRIMARY KEY,
  vm_id     text NOT NULL REFERENCES vms(id) ON DELETE CASCADE,
  host_id   text,
  seq       bigint,       -- the spoke's event sequence number, when it came from a spoke
  state     text NOT NULL,
  reason    text,
  at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS vm_events_vm ON vm_events (vm_id, id);

-- The last event sequence number the hub applied from each spoke.
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS last_applied_seq bigint NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS vm_events_host_seq ON vm_events (host_id, seq) WHERE seq IS NOT NULL;

-- OS images that boot a kernel directly (no bootloader on the disk): small test guests.
ALTER TABLE os_images ADD COLUMN IF NOT EXISTS kernel_file text;
ALTER TABLE os_images ADD COLUMN IF NOT EXISTS initrd_file text;
ALTER TABLE os_images ADD COLUMN IF NOT EXISTS kernel_cmdline text;

-- A key's SHA256 fingerprint: the same key twice in one account is refused, whatever its comment.
ALTER TABLE ssh_public_keys ADD COLUMN IF NOT EXISTS fingerprint text;
CREATE UNIQUE INDEX IF NOT EXISTS ssh_public_keys_fingerprint ON ssh_public_keys (account, fingerprint);

-- Magic-link login tokens: only a hash is stored; single use; they expire.
CREATE TABLE IF NOT EXISTS login_tokens (
  token_hash   text PRIMARY KEY,   -- sha256 hex of the token mailed to the person
  email        text NOT NULL CHECK (email = lower(email)),
  requested_by inet,               -- the client address that asked for it (rate limits)
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
CREATE INDEX IF NOT EXISTS login_tokens_email ON login_tokens (email, created_at);
CREATE INDEX IF NOT EXISTS login_tokens_client ON login_tokens (requested_by, created_at);

-- Logged-in browsers. The session cookie carries a random secret; only its hash is kept, and
-- a session counts only while its row says so: logging out (here or from another browser)
-- ends it on every hub, whatever copies of the cookie exist.
CREATE TABLE IF NOT EXISTS login_sessions (
  id            bigserial PRIMARY KEY,
  secret_hash   text NOT NULL UNIQUE,   -- sha256 hex of the secret in the cookie
  account       text NOT NULL REFERENCES accounts(email) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  client_address inet,
  user_agent    text,
  ended_at      timestamptz
);
CREATE INDEX IF NOT EXISTS login_sessions_account ON login_sessions (account, created_at);

-- Secrets every hub process must share, made once by whichever hub starts first
-- (the session cookie key, unless SECRET_KEY is set).
CREATE TABLE IF NOT EXISTS hub_secrets (
  name       text PRIMARY KEY,
  value      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- SSH host key fingerprints a spoke read from the VM's console (cloud-init prints them).
ALTER TABLE vms ADD COLUMN IF NOT EXISTS ssh_host_keys jsonb;

-- Personal API tokens: scripts act as their person. Only a hash of the secret is kept.
CREATE TABLE IF NOT EXISTS api_tokens (
  id           bigserial PRIMARY KEY,
  account      text NOT NULL REFERENCES accounts(email) ON DELETE CASCADE,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash   text NOT NULL UNIQUE,   -- sha256 hex of the secret shown once
  scope        text NOT NULL CHECK (scope IN ('read', 'write')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  last_used_at timestamptz,
  revoked_at   timestamptz
);
-- A name is reused only after its token is revoked.
CREATE UNIQUE INDEX IF NOT EXISTS api_tokens_live_name ON api_tokens (account, name) WHERE revoked_at IS NULL;

-- Billing (prepaid). Money is numeric, never float.
-- Credits: provider payments (unique on the provider's own id, so a replayed webhook credits
-- nothing more) and admins' manual credits or debits (with a reason).
CREATE TABLE IF NOT EXISTS payments (
  id          bigserial PRIMARY KEY,
  account     text NOT NULL REFERENCES accounts(email),
  amount      numeric(12, 2) NOT NULL CHECK (amount <> 0),
  provider    text NOT NULL CHECK (provider IN ('stripe', 'btcpay', 'manual')),
  external_id text,              -- the provider's event / invoice id
  reason      text,              -- manual entries: the admin's reason, shown to admins only
  created_by  text,              -- manual entries: the admin
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (provider = 'manual' OR (external_id IS NOT NULL AND amount > 0)),
  CHECK (provider <> 'manual' OR reason IS NOT NULL)
);
CREATE UNIQUE INDEX IF NOT EXISTS payments_external ON payments (provider, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS payments_account ON payments (account, created_at);

-- Hourly debits: one per capsul per started hour, so a repeated metering run charges nothing.
CREATE TABLE IF NOT EXISTS charges (
  vm_id      text NOT NULL REFERENCES vms(id),
  account    text NOT NULL REFERENCES accounts(email),
  hour       timestamptz NOT NULL CHECK (hour = date_trunc('hour', hour)),
  amount     numeric(14, 6) NOT NULL CHECK (amount >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (vm_id, hour)
);
CREATE INDEX IF NOT EXISTS charges_account ON charges (account, hour);

-- Where each account is in the running-low sequence; a top-up above a week's worth ends it.
CREATE TABLE IF NOT EXISTS balance_episodes (
  account           text PRIMARY KEY REFERENCES accounts(email),
  warned_week_at    timestamptz,
  warned_day_at     timestamptz,
  zero_at           timestamptz,   -- reached zero: mailed, capsuls shut down
  deletion_warned_at timestamptz,
  deleted_at        timestamptz    -- capsuls deleted after the grace period
);

-- Payments started with a provider (a Stripe Checkout session, a BTCPay invoice): who pays how
-- much, and where it stands. Credited (into payments) only when the provider's signed webhook
-- says it is paid / settled.
CREATE TABLE IF NOT EXISTS payment_intents (
  provider    text NOT NULL CHECK (provider IN ('stripe', 'btcpay')),
  external_id text NOT NULL,        -- checkout session id / invoice id
  account     text NOT NULL REFERENCES accounts(email),
  amount      numeric(12, 2) NOT NULL CHECK (amount > 0),
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'processing', 'paid', 'expired', 'invalid')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, external_id)
);

-- Periodic work shared by several hubs (heartbeat sweeps, full resyncs): whichever hub comes
-- first in each interval takes the turn (leases.take_turn); the others skip it.
CREATE TABLE IF NOT EXISTS periodic_runs (
  name        text PRIMARY KEY,
  last_run_at timestamptz NOT NULL
);

-- Pools know their network: what the guest is told through cloud-init's
-- network-config. A pool without a gateway (one made before these columns) is never used for a
-- new capsul: its guest would have no route. The gateway lies in the network, outside the range.
ALTER TABLE host_network ADD COLUMN IF NOT EXISTS gateway inet;
ALTER TABLE host_network ADD COLUMN IF NOT EXISTS dns_servers inet[] NOT NULL DEFAULT '{}';
ALTER TABLE host_network ADD COLUMN IF NOT EXISTS ipv6_cidr cidr;      -- e.g. a routed /64 per pool
ALTER TABLE host_network ADD COLUMN IF NOT EXISTS ipv6_gateway inet;
DO $$ BEGIN
  ALTER TABLE host_network ADD CONSTRAINT host_network_gateway
    CHECK (gateway IS NULL OR (family(gateway) = 4 AND gateway << cidr
                               AND NOT (gateway BETWEEN first_usable AND last_usable)));
  ALTER TABLE host_network ADD CONSTRAINT host_network_ipv6
    CHECK ((ipv6_cidr IS NULL) = (ipv6_gateway IS NULL)
           AND (ipv6_cidr IS NULL OR (family(ipv6_cidr) = 6 AND family(ipv6_gateway) = 6)));
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- Each capsul on a pool with IPv6 gets one IPv6 address; unique among live capsuls, like IPv4.
ALTER TABLE vms ADD COLUMN IF NOT EXISTS public_ipv6 inet;
CREATE UNIQUE INDEX IF NOT EXISTS vms_live_ipv6 ON vms (public_ipv6)
  WHERE public_ipv6 IS NOT NULL AND state NOT IN ('deleted', 'failed');

-- libvirt networks a host's pools name that its spoke reported missing or inactive at the last
-- heartbeat ({name: why}); nothing is placed on such a host.
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS missing_networks jsonb NOT NULL DEFAULT '{}';

-- Whether a host's hypervisor reports usage (libvirt's test driver does not), as its spoke
-- said when it last started; NULL until it has.
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS reports_usage boolean;

-- Usage (docs/architecture.md §10). A sample is one interval of one capsul as its spoke measured
-- it: its length, CPU seconds used, memory in use at its end, and the bytes and operations of
-- the interval (deltas, so roll-ups are exact sums). Raw samples are kept 24 hours, 5-minute
-- roll-ups 31 days, hourly roll-ups 13 months (hub/usage.py prunes them).
CREATE TABLE IF NOT EXISTS usage_samples (
  vm_id            text NOT NULL REFERENCES vms(id) ON DELETE CASCADE,
  at               timestamptz NOT NULL,  -- the end of the interval
  seconds          double precision NOT NULL CHECK (seconds > 0),
  vcpus            integer NOT NULL CHECK (vcpus > 0),
  cpu_seconds      double precision NOT NULL CHECK (cpu_seconds >= 0),
  memory_bytes     bigint NOT NULL CHECK (memory_bytes >= 0),
  disk_read_bytes  bigint NOT NULL CHECK (disk_read_bytes >= 0),
  disk_write_bytes bigint NOT NULL CHECK (disk_write_bytes >= 0),
  disk_read_ops    bigint NOT NULL CHECK (disk_read_ops >= 0),
  disk_write_ops   bigint NOT NULL CHECK (disk_write_ops >= 0),
  net_rx_bytes     bigint NOT NULL CHECK (net_rx_bytes >= 0),
  net_tx_bytes     bigint NOT NULL CHECK (net_tx_bytes >= 0),
  PRIMARY KEY (vm_id, at)
);
CREATE INDEX IF NOT EXISTS usage_samples_at ON usage_samples (at);

-- Roll-ups of samples into 5-minute and hourly buckets: sums, so that any coarser figure is exact
-- (CPU % = cpu_seconds / vcpu_seconds; memory's average = memory_byte_seconds / seconds).
CREATE TABLE IF NOT EXISTS usage_5min (
  vm_id               text NOT NULL REFERENCES vms(id) ON DELETE CASCADE,
  bucket              timestamptz NOT NULL,
  samples             integer NOT NULL,
  seconds             double precision NOT NULL,
  vcpu_seconds        double precision NOT NULL,
  cpu_seconds         double precision NOT NULL,
  memory_byte_seconds double precision NOT NULL,
  memory_max_bytes    bigint NOT NULL,
  disk_read_bytes     bigint NOT NULL,
  disk_write_bytes    bigint NOT NULL,
  disk_read_ops       bigint NOT NULL,
  disk_write_ops      bigint NOT NULL,
  net_rx_bytes        bigint NOT NULL,
  net_tx_bytes        bigint NOT NULL,
  PRIMARY KEY (vm_id, bucket)
);
CREATE INDEX IF NOT EXISTS usage_5min_bucket ON usage_5min (bucket);
CREATE TABLE IF NOT EXISTS usage_hourly (LIKE usage_5min INCLUDING ALL);
DO $$ BEGIN
  ALTER TABLE usage_hourly ADD CONSTRAINT usage_hourly_vm FOREIGN KEY (vm_id) REFERENCES vms(id) ON DELETE CASCADE;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- How far each roll-up is done, and the earliest sample that arrived late (a spoke catching up
-- after the hub was unreachable) into a bucket already rolled up: redone from there.
CREATE TABLE IF NOT EXISTS usage_rollup_marks (
  level       text PRIMARY KEY CHECK (level IN ('5min', 'hourly')),
  done_until  timestamptz,
  dirty_from  timestamptz
);
INSERT INTO usage_rollup_marks (level) VALUES ('5min'), ('hourly') ON CONFLICT DO NOTHING;

-- Each capsul's transfer (received + sent) per calendar month (UTC), added to as samples arrive,
-- against its size's bandwidth_gb; and the allowance mails sent (once per level and month).
CREATE TABLE IF NOT EXISTS usage_monthly (
  vm_id          text NOT NULL REFERENCES vms(id) ON DELETE CASCADE,
  month          date NOT NULL,
  transfer_bytes bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (vm_id, month)
);
CREATE TABLE IF NOT EXISTS bandwidth_notices (
  vm_id   text NOT NULL REFERENCES vms(id) ON DELETE CASCADE,
  month   date NOT NULL,
  percent integer NOT NULL CHECK (percent IN (80, 100)),
  sent_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (vm_id, month, percent)
);

-- What each host's live capsuls take (count, their sizes' vCPUs and memory, IPv4 addresses held),
-- so that ranking hosts for a create reads one row per host instead of every capsul
-- (hub/db/placement.py). A trigger on vms appends a delta for every change, in the change's own
-- transaction: appends never wait on each other, so busy hosts cannot deadlock on a shared
-- counter row. The placement decision (under its advisory lock, one at a time) folds committed
-- deltas into host_load and adds any newer ones when it ranks. Offers not yet answered are few
-- and are added at ranking time.
CREATE TABLE IF NOT EXISTS host_load (
  host_id   text PRIMARY KEY,
  capsuls   bigint NOT NULL DEFAULT 0,
  vcpus     bigint NOT NULL DEFAULT 0,
  memory_mb bigint NOT NULL DEFAULT 0,
  addresses bigint NOT NULL DEFAULT 0
);
ALTER TABLE host_load SET (fillfactor = 50);  -- room for HOT updates: rows change at every fold
CREATE TABLE IF NOT EXISTS host_load_deltas (
  id        bigserial PRIMARY KEY,
  host_id   text NOT NULL,
  capsuls   integer NOT NULL,
  vcpus     integer NOT NULL,
  memory_mb integer NOT NULL,
  addresses integer NOT NULL
);
CREATE OR REPLACE FUNCTION vms_host_load() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.host_id IS NOT NULL AND OLD.state NOT IN ('deleted', 'failed') THEN
    INSERT INTO host_load_deltas (host_id, capsuls, vcpus, memory_mb, addresses)
    SELECT OLD.host_id, -1, -s.vcpus, -s.memory_mb, -(OLD.public_ipv4 IS NOT NULL)::integer
    FROM vm_sizes s WHERE s.id = OLD.size;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.host_id IS NOT NULL AND NEW.state NOT IN ('deleted', 'failed') THEN
    INSERT INTO host_load_deltas (host_id, capsuls, vcpus, memory_mb, addresses)
    SELECT NEW.host_id, 1, s.vcpus, s.memory_mb, (NEW.public_ipv4 IS NOT NULL)::integer
    FROM vm_sizes s WHERE s.id = NEW.size;
  END IF;
  RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER vms_host_load AFTER INSERT OR DELETE OR UPDATE OF host_id, state, size, public_ipv4 ON vms
  FOR EACH ROW EXECUTE FUNCTION vms_host_load();
-- Filled once when the tables are new (an existing database upgrading); the trigger keeps it after.
INSERT INTO host_load (host_id, capsuls, vcpus, memory_mb, addresses)
SELECT v.host_id, count(*), sum(s.vcpus), sum(s.memory_mb), count(v.public_ipv4)
FROM vms v JOIN vm_sizes s ON s.id = v.size
WHERE v.host_id IS NOT NULL AND v.state NOT IN ('deleted', 'failed')
  AND NOT EXISTS (SELECT 1 FROM host_load) AND NOT EXISTS (SELECT 1 FROM host_load_deltas)
GROUP BY v.host_id;
-- Each host's IPv4 pools summed up (addresses in pools with a gateway; pools without one, which
-- are never used), kept by a trigger on host_network, so ranking hosts reads one row per host
-- rather than grouping every pool at every decision. Pools change only by `run.py add-network`.
CREATE TABLE IF NOT EXISTS host_pools (
  host_id         text PRIMARY KEY,
  addresses       bigint NOT NULL,
  without_gateway integer NOT NULL
);
CREATE OR REPLACE FUNCTION host_network_pools() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed text;
BEGIN
  FOREACH changed IN ARRAY ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.host_id END,
                                 CASE WHEN TG_OP <> 'DELETE' THEN NEW.host_id END] LOOP
    CONTINUE WHEN changed IS NULL;
    DELETE FROM host_pools WHERE host_id = changed;
    INSERT INTO host_pools (host_id, addresses, without_gateway)
    SELECT changed, coalesce(sum(last_usable - first_usable + 1) FILTER (WHERE gateway IS NOT NULL), 0),
           count(*) FILTER (WHERE gateway IS NULL)
    FROM host_network WHERE host_id = changed HAVING count(*) > 0;
  END LOOP;
  RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER host_network_pools AFTER INSERT OR DELETE OR UPDATE ON host_network
  FOR EACH ROW EXECUTE FUNCTION host_network_pools();
-- Filled once when the table is new (an existing database upgrading); the trigger keeps it after.
INSERT INTO host_pools (host_id, addresses, without_gateway)
SELECT host_id, coalesce(sum(last_usable - first_usable + 1) FILTER (WHERE gateway IS NOT NULL), 0),
       count(*) FILTER (WHERE gateway IS NULL)
FROM host_network WHERE NOT EXISTS (SELECT 1 FROM host_pools) GROUP BY host_id;
CREATE INDEX IF NOT EXISTS host_operation_offered ON host_operation (operation_id) WHERE assignment_status = 'offered';

-- The admin view's searches and pages, each served from an index (hub/db/admin_search.py).
CREATE INDEX IF NOT EXISTS vms_newest ON vms (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS vms_state_newest ON vms (state, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS vms_host_newest ON vms (host_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS operations_newest ON operations (created_at DESC);
CREATE INDEX IF NOT EXISTS operations_account ON operations (account, created_at DESC);

-- Which migrations this database has (capsul/hub/db/migrations/), and the range of capsul
-- versions that may run on it.
CREATE TABLE IF NOT EXISTS schema_migrations (
  id         integer PRIMARY KEY,    -- the number in the migration's file name
  name       text NOT NULL,
  checksum   text NOT NULL,          -- sha256 of the file as applied: a released migration is never edited
  applied_at timestamptz NOT NULL DEFAULT now(),
  applied_by text NOT NULL           -- the capsul version that applied it
);
CREATE TABLE IF NOT EXISTS schema_state (
  only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  oldest_version text NOT NULL,      -- the oldest capsul that may run on this database
  newest_version text NOT NULL,      -- the newest capsul that upgraded it
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- The capsul version each spoke says it runs (migration 0003): shown on the admin page; a hub
-- refuses spokes more than one release behind. NULL: it has said none, as those before 0.8.0.
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS version text CHECK (version ~ '^\d{1,4}\.\d{1,4}\.\d{1,4}$');

-- Limits an admin set for one account (migration 0004), over the configured ACCOUNT_MAX_*.
-- NULL: the configured one; 0: no limit.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS max_capsuls integer CHECK (max_capsuls >= 0);
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS max_vcpus integer CHECK (max_vcpus >= 0);
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS max_memory_mb integer CHECK (max_memory_mb >= 0);

-- A manual entry's note for its customer (migration 0005); `reason` is the admin's own.
ALTER TABLE payments ADD COLUMN IF NOT EXISTS customer_note text CHECK (length(customer_note) BETWEEN 1 AND 500);

-- Rebuild and resize (migration 0006, capsul/hub/capsul_changes.py): how many times a capsul was
-- rebuilt (its NoCloud instance-id is its id and this number, so cloud-init runs again), and the
-- size each hour was charged at (NULL before 0006: the capsul's size).
ALTER TABLE vms ADD COLUMN IF NOT EXISTS generation integer NOT NULL DEFAULT 0 CHECK (generation >= 0);
ALTER TABLE charges ADD COLUMN IF NOT EXISTS size text REFERENCES vm_sizes(id);

-- Backups (migration 0007, capsul/hub/backups/, docs/backups.md): the hub's catalogue (offered for
-- restore once 'done', in the backup store), each capsul's schedule and retention, and backup
-- storage billed per hour per account.
CREATE TABLE IF NOT EXISTS backups (
  id           uuid PRIMARY KEY,
  vm_id        text NOT NULL REFERENCES vms(id),
  account      text NOT NULL REFERENCES accounts(email),
  host_id      text REFERENCES hosts(id) ON DELETE SET NULL,
  reason       text NOT NULL CHECK (reason IN ('scheduled', 'asked', 'before-rebuild')),
  status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'taking', 'uploading',
                 'waiting-for-store', 'done', 'failed', 'pruned')),
  consistency  text CHECK (consistency IN ('application', 'crash', 'stopped')),
  os_image     text,
  disk_bytes   bigint CHECK (disk_bytes >= 0),
  image_bytes  bigint CHECK (image_bytes >= 0),
  stored_bytes bigint CHECK (stored_bytes >= 0),
  digest       text CHECK (digest ~ '^[0-9a-f]{64}$'),
  snapshot     text CHECK (snapshot ~ '^[0-9a-f]{8,64}$'),
  done_bytes   bigint CHECK (done_bytes >= 0),
  protected    boolean NOT NULL DEFAULT false,
  error        text,
  requested_at timestamptz NOT NULL DEFAULT now(),
  taken_at     timestamptz,
  finished_at  timestamptz,
  pruned_at    timestamptz,
  CHECK (status <> 'done' OR (snapshot IS NOT NULL AND digest IS NOT NULL AND taken_at IS NOT NULL
         AND consistency IS NOT NULL AND image_bytes IS NOT NULL)),
  CHECK (status <> 'failed' OR error IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS backups_vm ON backups (vm_id, requested_at DESC);
CREATE INDEX IF NOT EXISTS backups_account ON backups (account, requested_at DESC);
CREATE UNIQUE INDEX IF NOT EXISTS backups_one_under_way ON backups (vm_id)
  WHERE status IN ('queued', 'taking', 'uploading', 'waiting-for-store');
CREATE TABLE IF NOT EXISTS backup_schedules (
  vm_id        text PRIMARY KEY REFERENCES vms(id),
  daily        boolean NOT NULL DEFAULT false,
  window_start smallint NOT NULL DEFAULT 2 CHECK (window_start BETWEEN 0 AND 23),
  window_hours smallint NOT NULL DEFAULT 4 CHECK (window_hours BETWEEN 1 AND 24),
  keep_last    smallint NOT NULL DEFAULT 3 CHECK (keep_last BETWEEN 0 AND 1000),
  keep_daily   smallint NOT NULL DEFAULT 7 CHECK (keep_daily BETWEEN 0 AND 1000),
  keep_weekly  smallint NOT NULL DEFAULT 4 CHECK (keep_weekly BETWEEN 0 AND 1000),
  keep_monthly smallint NOT NULL DEFAULT 3 CHECK (keep_monthly BETWEEN 0 AND 1000),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS backup_charges (
  account      text NOT NULL REFERENCES accounts(email),
  hour         timestamptz NOT NULL CHECK (hour = date_trunc('hour', hour)),
  stored_bytes bigint NOT NULL CHECK (stored_bytes >= 0),
  amount       numeric(14, 6) NOT NULL CHECK (amount >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account, hour)
);

-- Images by digest and host states (migration 0008, docs/images.md, docs/hosts.md): an image's URL,
-- SHA-256 (its identity: never edited once known) and size; each host's state and the images its
-- spoke holds.
ALTER TABLE os_images ADD COLUMN IF NOT EXISTS url text CHECK (url ~ '^https?://\S+$' AND length(url) <= 2000),
  ADD COLUMN IF NOT EXISTS sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  ADD COLUMN IF NOT EXISTS size_bytes bigint CHECK (size_bytes > 0),
  ADD COLUMN IF NOT EXISTS added_at timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT os_images_source CHECK (file_name IS NOT NULL OR (url IS NOT NULL AND sha256 IS NOT NULL));
CREATE UNIQUE INDEX IF NOT EXISTS os_images_sha256 ON os_images (sha256);
CREATE OR REPLACE FUNCTION os_images_identity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.sha256 IS NOT NULL AND (NEW.sha256, NEW.url, NEW.size_bytes, NEW.file_name)
                                IS DISTINCT FROM (OLD.sha256, OLD.url, OLD.size_bytes, OLD.file_name) THEN
    RAISE EXCEPTION 'OS image % is known by its digest: its file is never edited (add a new image)', OLD.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER os_images_identity BEFORE UPDATE ON os_images
  FOR EACH ROW EXECUTE FUNCTION os_images_identity();
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS state text NOT NULL DEFAULT 'active'
    CHECK (state IN ('active', 'draining', 'maintenance')),
  ADD COLUMN IF NOT EXISTS state_reason text CHECK (length(state_reason) BETWEEN 1 AND 500),
  ADD COLUMN IF NOT EXISTS state_changed_at timestamptz,
  ADD COLUMN IF NOT EXISTS maintenance_from timestamptz,
  ADD COLUMN IF NOT EXISTS images jsonb;

-- Network segments and moves (migration 0009, docs/moves.md): the segment a pool is on (pools of
-- several hosts with one segment are that segment, and agree on its addresses), the CPU model its
-- guests get so that they can move live, and the host an evacuated capsul came from.
ALTER TABLE host_network ADD COLUMN IF NOT EXISTS segment text CHECK (segment ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$'),
  ADD COLUMN IF NOT EXISTS cpu_model text CHECK (cpu_model ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$');
CREATE OR REPLACE FUNCTION host_network_segment_default() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.segment IS NULL THEN
    NEW.segment := NEW.host_id || '/' || NEW.network_name;
  END IF;
  RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER host_network_segment_default BEFORE INSERT OR UPDATE ON host_network
  FOR EACH ROW EXECUTE FUNCTION host_network_segment_default();
ALTER TABLE host_network ALTER COLUMN segment SET NOT NULL,
  ADD CONSTRAINT host_network_one_pool_per_segment UNIQUE (host_id, segment);
CREATE OR REPLACE FUNCTION host_network_segment_agrees() RETURNS trigger LANGUAGE plpgsql AS $$
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
ALTER TABLE vms ADD COLUMN IF NOT EXISTS moved_from text REFERENCES hosts(id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS operations_moves_under_way ON operations (created_at)
  WHERE type = 'move' AND status IN ('pending', 'assigned');

-- Second factors (migration 0010, docs/second-factors.md).
CREATE TABLE IF NOT EXISTS second_factors (
  id             bigserial PRIMARY KEY,
  account        text NOT NULL REFERENCES accounts(email) ON DELETE CASCADE,
  kind           text NOT NULL CHECK (kind IN ('totp', 'passkey')),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_used_at   timestamptz,
  totp_secret    text,    -- Fernet-encrypted with hub_secrets' second_factor_key
  totp_last_step bigint,  -- the last 30-second step a code was accepted for: each code works once
  credential_id  bytea UNIQUE,
  public_key     bytea,
  sign_count     bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
  CHECK ((kind = 'totp') = (totp_secret IS NOT NULL)),
  CHECK ((kind = 'passkey') = (credential_id IS NOT NULL AND public_key IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS second_factors_account ON second_factors (account);
CREATE UNIQUE INDEX IF NOT EXISTS second_factors_one_totp ON second_factors (account) WHERE kind = 'totp';
CREATE TABLE IF NOT EXISTS recovery_codes (
  id         bigserial PRIMARY KEY,
  account    text NOT NULL REFERENCES accounts(email) ON DELETE CASCADE,
  code_hash  text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at    timestamptz
);
CREATE INDEX IF NOT EXISTS recovery_codes_account ON recovery_codes (account);
CREATE TABLE IF NOT EXISTS second_factor_locks (
  account          text PRIMARY KEY REFERENCES accounts(email) ON DELETE CASCADE,
  totp_failures    integer NOT NULL DEFAULT 0 CHECK (totp_failures >= 0),  -- wrong codes since the last right one
  failures         integer NOT NULL DEFAULT 0 CHECK (failures >= 0),       -- of any factor since the last lockout
  totp_locked_at   timestamptz,  -- TOTP refused until an admin unlocks it (or the person replaces it)
  all_locked_until timestamptz   -- every factor refused until then
);
CREATE TABLE IF NOT EXISTS second_factor_events (
  id      bigserial PRIMARY KEY,
  account text NOT NULL REFERENCES accounts(email) ON DELETE CASCADE,
  at      timestamptz NOT NULL DEFAULT now(),
  event   text NOT NULL CHECK (event IN ('added', 'removed', 'used', 'failed', 'locked_totp', 'locked_all',
                                         'unlocked', 'recovery_codes_made')),
  kind    text CHECK (kind IN ('totp', 'passkey', 'recovery_code')),
  detail  text CHECK (length(detail) <= 200),
  admin   text,
  reason  text CHECK (length(reason) BETWEEN 1 AND 500)
);
CREATE INDEX IF NOT EXISTS second_factor_events_account ON second_factor_events (account, at);
CREATE TABLE IF NOT EXISTS second_factor_policy (
  only_row      boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  required_from timestamptz NOT NULL,  -- from then on an account without a second factor must add one first
  set_by        text NOT NULL,
  set_at        timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE login_sessions ADD COLUMN IF NOT EXISTS second_factor_at timestamptz;

-- Inbound firewall rules (migration 0011, docs/firewall.md).
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

-- Reverse DNS (migration 0012, docs/reverse-dns.md).
CREATE TABLE IF NOT EXISTS reverse_dns (
  address         inet PRIMARY KEY,
  vm_id           text REFERENCES vms(id) ON DELETE SET NULL,  -- the capsul that holds (or held) it
  name            text CHECK (length(name) BETWEEN 1 AND 254),
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'pushed', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text CHECK (length(last_error) <= 500),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  pushed_at       timestamptz
);
CREATE INDEX IF NOT EXISTS reverse_dns_to_push ON reverse_dns (next_attempt_at) WHERE state <> 'pushed';
CREATE INDEX IF NOT EXISTS reverse_dns_vm ON reverse_dns (vm_id);

-- Each spoke's last firewall report (migration 0013, docs/firewall.md).
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS firewall jsonb;
