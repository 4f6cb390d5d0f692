-- oldest version: 0.8.0
-- Backups (capsul/hub/backups/, docs/backups.md):
-- - backups: the hub's catalogue. A backup is offered for restore only once it is 'done' (in the
--   backup store); 'failed' ones say why; 'pruned' ones are gone from the store, kept as history;
-- - backup_schedules: per capsul, daily backups on or off, their window, and their retention;
-- - backup_charges: backup storage billed per hour, per account, from the GB the store holds;
-- - a capsul's state while a backup is restored into it, and the operation types.
ALTER TABLE vms DROP CONSTRAINT vms_state_check,
  ADD CONSTRAINT vms_state_check CHECK (state IN ('pending', 'creating', 'running', 'stopped', 'paused', 'crashed',
    'deleting', 'deleted', 'failed', 'rebuilding', 'resizing', 'restoring'));
ALTER TABLE operations DROP CONSTRAINT operations_type_check,
  ADD CONSTRAINT operations_type_check CHECK (type IN ('list', 'capacity_available', 'get', 'destroy',
    'vm_state_command', 'create', 'rebuild', 'resize', 'backup', 'restore'));
CREATE TABLE backups (
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
CREATE INDEX backups_vm ON backups (vm_id, requested_at DESC);
CREATE INDEX backups_account ON backups (account, requested_at DESC);
CREATE UNIQUE INDEX backups_one_under_way ON backups (vm_id)
  WHERE status IN ('queued', 'taking', 'uploading', 'waiting-for-store');
CREATE TABLE backup_schedules (
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
CREATE TABLE backup_charges (
  account      text NOT NULL REFERENCES accounts(email),
  hour         timestamptz NOT NULL CHECK (hour = date_trunc('hour', hour)),
  stored_bytes bigint NOT NULL CHECK (stored_bytes >= 0),
  amount       numeric(14, 6) NOT NULL CHECK (amount >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account, hour)
);
