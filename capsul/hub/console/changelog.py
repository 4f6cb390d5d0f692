"""CHANGELOG.md, read once, as the console's changelog page shows it: releases, newest first,
each a heading and its points. Only `## VERSION — DATE` headings and `- ` points are read."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from capsul.config import REPO_ROOT

HEADING_RE = re.compile(r"## (\d+\.\d+\.\d+) — (\d{4}-\d\d-\d\d)(?: \((\w+)\))?")


@dataclass
class Release:
    version: str
    date: str
    commit: str | None
    points: list[str] = field(default_factory=list)


@cache
def releases() -> tuple[Release, ...]:
    found: list[Release] = []
    for line in (REPO_ROOT / "CHANGELOG.md").read_text().splitlines():
        if m := HEADING_RE.fullmatch(line.strip()):
            found.append(Release(m.group(1), m.group(2), m.group(3)))
        elif found and line.startswith("- "):
            found[-1].points.append(line[2:].strip())
        elif found and found[-1].points and line.startswith("  ") and line.strip():
            found[-1].points[-1] += " " + line.strip()
    return tuple(found)
