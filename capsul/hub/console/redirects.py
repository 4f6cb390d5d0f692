"""Where a page may send a person after it: one rule for every `next=` (no open redirect).

Browsers drop tabs, CRs and LFs from a URL and read a backslash as a slash, so `/\t/evil.example`
or `/\\evil.example` would become `//evil.example`, another site. Only a plain path on this site
passes: printable ASCII, one leading slash, nothing a browser would rewrite.
"""
from __future__ import annotations

import re

DEFAULT = "/capsuls"
MAX_LENGTH = 300
_SAFE_PATH = re.compile(r"/(?![/\\])[!#-\[\]-~]*")  # printable ASCII but space, '"' and backslash


def safe_next(value: object) -> str:
    """`value` if it is a path on this site, else DEFAULT."""
    if isinstance(value, str) and len(value) < MAX_LENGTH and _SAFE_PATH.fullmatch(value):
        return value
    return DEFAULT
