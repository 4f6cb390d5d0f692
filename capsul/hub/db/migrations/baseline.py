"""Which release made a database from before migrations (releases 0.1.0 to 0.6.0).

Told by the objects each release's schema.sql added, newest first. Only `run.py db-status`
and the log read it: migration 0001 brings every one of them to the same place.
"""
from __future__ import annotations

TABLE = "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = '{}')"
# (what only this release and later have, the release) newest first; each test is one catalog lookup
MARKS = [
    (TABLE.format("host_pools"), "0.5.0 or 0.6.0 (8e9208f, 4e26ded)"),
    (TABLE.format("host_load_deltas"), "0.4.0 (914886d)"),
    ("SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
     "AND table_name = 'host_load' AND column_name = 'pool_size')", "main at 6cd8562 (between 0.3.0 and 0.4.0)"),
    (TABLE.format("usage_samples"), "main between 0.3.0 and 0.4.0 (usage, before host load)"),
    ("SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
     "AND table_name = 'host_network' AND column_name = 'gateway')", "0.3.0 (7b54a50)"),
    (TABLE.format("login_sessions"), "0.2.0 (01a0131)"),
    (TABLE.format("vms"), "0.1.0 (ebcb558)"),
]


async def recognise(cur) -> str:
    for query, release in MARKS:
        await cur.execute(f"{query} AS yes")
        if (await cur.fetchone())["yes"]:
            return release
    return "none (no capsul tables)"
