"""Bring a database made before migrations to the schema of releases 0.5.0 and 0.6.0, and start
recording migrations.

Those releases applied their whole schema.sql at every start, and each one's only added to the
one before (CREATE … IF NOT EXISTS, ADD COLUMN IF NOT EXISTS), so applying 0.6.0's, frozen in
baseline_schema.sql, brings any of them there: 0.1.0 (ebcb558), 0.2.0 (01a0131), 0.3.0 (7b54a50),
0.4.0 (914886d), 0.5.0 (8e9208f), 0.6.0 (4e26ded). The one exception is main at 6cd8562, whose
host_load had another shape that CREATE TABLE IF NOT EXISTS kept: that table only sums what vms
and host_network hold, so it is dropped with the functions that filled it and built again.
"""
from __future__ import annotations

from pathlib import Path

OLDEST_VERSION = "0.6.0"
FILES = ("baseline_schema.sql",)

RECORDS = """
CREATE TABLE schema_migrations (
  id         integer PRIMARY KEY,    -- the number in the migration's file name
  name       text NOT NULL,
  checksum   text NOT NULL,          -- sha256 of the file as applied: a released migration is never edited
  applied_at timestamptz NOT NULL DEFAULT now(),
  applied_by text NOT NULL           -- the capsul version that applied it
);
CREATE TABLE schema_state (
  only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  oldest_version text NOT NULL,      -- the oldest capsul that may run on this database
  newest_version text NOT NULL,      -- the newest capsul that upgraded it
  updated_at     timestamptz NOT NULL DEFAULT now()
);
"""


async def apply(cur) -> list[str]:
    told = []
    await cur.execute("""SELECT EXISTS (SELECT 1 FROM information_schema.columns
                                        WHERE table_schema = current_schema() AND table_name = 'host_load'
                                          AND column_name = 'pool_size') AS old_shape""")
    if (await cur.fetchone())["old_shape"]:
        await cur.execute("""DROP TABLE host_load;
                             DROP FUNCTION IF EXISTS host_load_add(text, text, integer, boolean);
                             DROP FUNCTION IF EXISTS host_pools_count(text)""")
        told.append("host_load in the shape of main at 6cd8562 was rebuilt from vms and host_network")
    await cur.execute((Path(__file__).parent / "baseline_schema.sql").read_text())
    await cur.execute(RECORDS)
    return told
