"""What a capsul's id looks like, for hub and spoke alike: `capsul-` and ten of a-z 0-9.

It is the CHECK on vms.id (schema.sql) and it names files and libvirt domains on a spoke, so
every side checks the whole id (fullmatch: `$` would let a trailing newline through) before
using it in a query, a path, a file name or XML.
"""
from __future__ import annotations

import re

VM_ID_PATTERN = r"capsul-[a-z0-9]{10}"
VM_ID_RE = re.compile(VM_ID_PATTERN)


def is_vm_id(value: object) -> bool:
    return isinstance(value, str) and VM_ID_RE.fullmatch(value) is not None
