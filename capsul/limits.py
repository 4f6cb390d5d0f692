"""PostgreSQL's integer ranges, for checking every integer a signed or public body carries
before it reaches a query: out of range is the sender's mistake (400), never a database error."""
from __future__ import annotations

INT4_MAX = 2**31 - 1  # integer columns (sizes: vCPUs, MB, GB)
INT8_MAX = 2**63 - 1  # bigint columns (event sequence numbers)


def is_int(value, low: int = 0, high: int = INT8_MAX) -> bool:
    """An integer (not a bool, not a float) in [low, high]."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
