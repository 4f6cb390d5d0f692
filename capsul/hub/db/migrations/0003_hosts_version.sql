-- oldest version: 0.7.0
-- The capsul version each spoke says it runs, from its announcement and heartbeat answers: the
-- admin page shows it, and a hub refuses spokes more than one release behind
-- (capsul/version.py spoke_refusal). NULL: the spoke has said none, as those before 0.8.0.
ALTER TABLE hosts ADD COLUMN version text CHECK (version ~ '^\d{1,4}\.\d{1,4}\.\d{1,4}$');
