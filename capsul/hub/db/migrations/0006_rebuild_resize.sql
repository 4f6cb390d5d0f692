-- oldest version: 0.7.0
-- Rebuild and resize (capsul/hub/capsul_changes.py):
-- - a state for each while it is under way, and their operation types;
-- - vms.generation: how many times the capsul was rebuilt. Its NoCloud instance-id is its id and
--   this number, so cloud-init runs again in a rebuilt guest;
-- - charges.size: the size an hour was charged at (NULL before: the capsul's size), so an account
--   shows the hours of each size a resized capsul had.
ALTER TABLE vms DROP CONSTRAINT vms_state_check,
  ADD CONSTRAINT vms_state_check CHECK (state IN ('pending', 'creating', 'running', 'stopped', 'paused', 'crashed',
    'deleting', 'deleted', 'failed', 'rebuilding', 'resizing'));
ALTER TABLE operations DROP CONSTRAINT operations_type_check,
  ADD CONSTRAINT operations_type_check CHECK (type IN ('list', 'capacity_available', 'get', 'destroy',
    'vm_state_command', 'create', 'rebuild', 'resize'));
ALTER TABLE vms ADD COLUMN generation integer NOT NULL DEFAULT 0 CHECK (generation >= 0);
ALTER TABLE charges ADD COLUMN size text REFERENCES vm_sizes(id);
