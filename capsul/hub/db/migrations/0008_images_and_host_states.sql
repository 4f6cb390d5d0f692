-- oldest version: 0.8.0
-- Images by digest and host states (docs/images.md, docs/hosts.md):
-- - os_images: the URL, SHA-256 and size of an image spokes fetch. The digest is the image's
--   identity: once an image has one, its file, URL, digest and size are never edited (a trigger
--   refuses), a new file is a new image. A hand-placed image (file_name, no URL) gets its digest
--   from the first spoke that adopts it by hashing it. Add URL-only images once no 0.8.0 hub runs:
--   0.8.0 knows only file names;
-- - hosts.state: active, draining (no new capsuls, no growth in place) or maintenance, with why,
--   since when, and the maintenance's announced start; hosts.images: the digests a spoke holds,
--   fetches or failed to fetch (NULL: a spoke of a release that does not report them);
-- - the states a capsul is in while its host fetches its image and while it moves, and the move
--   operation type.
ALTER TABLE vms DROP CONSTRAINT vms_state_check,
  ADD CONSTRAINT vms_state_check CHECK (state IN ('pending', 'creating', 'running', 'stopped', 'paused', 'crashed',
    'deleting', 'deleted', 'failed', 'rebuilding', 'resizing', 'restoring', 'fetching-image', 'migrating'));
ALTER TABLE operations DROP CONSTRAINT operations_type_check,
  ADD CONSTRAINT operations_type_check CHECK (type IN ('list', 'capacity_available', 'get', 'destroy',
    'vm_state_command', 'create', 'rebuild', 'resize', 'backup', 'restore', 'move', 'fetch_image'));
ALTER TABLE os_images ALTER COLUMN file_name DROP NOT NULL;
ALTER TABLE os_images ADD COLUMN url text CHECK (url ~ '^https?://\S+$' AND length(url) <= 2000),
  ADD COLUMN sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  ADD COLUMN size_bytes bigint CHECK (size_bytes > 0),
  ADD COLUMN added_at timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT os_images_source CHECK (file_name IS NOT NULL OR (url IS NOT NULL AND sha256 IS NOT NULL));
CREATE UNIQUE INDEX os_images_sha256 ON os_images (sha256);
CREATE FUNCTION os_images_identity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.sha256 IS NOT NULL AND (NEW.sha256, NEW.url, NEW.size_bytes, NEW.file_name)
                                IS DISTINCT FROM (OLD.sha256, OLD.url, OLD.size_bytes, OLD.file_name) THEN
    RAISE EXCEPTION 'OS image % is known by its digest: its file is never edited (add a new image)', OLD.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER os_images_identity BEFORE UPDATE ON os_images FOR EACH ROW EXECUTE FUNCTION os_images_identity();
ALTER TABLE hosts ADD COLUMN state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'draining', 'maintenance')),
  ADD COLUMN state_reason text CHECK (length(state_reason) BETWEEN 1 AND 500),
  ADD COLUMN state_changed_at timestamptz,
  ADD COLUMN maintenance_from timestamptz,
  ADD COLUMN images jsonb;
