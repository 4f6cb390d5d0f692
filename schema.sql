-- capsul's whole database schema. Applied at every hub start (under an advisory lock)
-- and safe to apply any number of times: only CREATE ... IF NOT EXISTS and
-- ADD COLUMN IF NOT EXISTS here.

-- One row per spoke (hypervisor host). Tokens are shared HMAC secrets (DESIGN.md §3),
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
