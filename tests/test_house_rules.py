"""A rule of the house that a reader relies on to find things: every SQL statement of the hub is in
capsul/hub/db/ (one module per table family)."""
from __future__ import annotations

import re

from capsul.config import REPO_ROOT

SQL_CALL = re.compile(r"\.execute\(|\.executemany\(|\bcopy_expert\(")


def _python_files(folder: str):
    return sorted((REPO_ROOT / folder).rglob("*.py"))


def test_every_sql_statement_is_in_hub_db():
    outside = [f"{path.relative_to(REPO_ROOT)}:{number}"
               for path in _python_files("capsul") if "hub/db" not in path.as_posix()
               for number, line in enumerate(path.read_text().splitlines(), 1) if SQL_CALL.search(line)]
    assert outside == [], f"SQL outside capsul/hub/db/: {outside}"
