"""Words of the hub↔spoke protocol that both sides act on (request signing is `signing.py`).

An offered create that a spoke refuses is answered {"accepted": false, "kind": ..., "reason": ...}:
the hub decides by the kind; the reason is for people and may be reworded freely.
"""
from __future__ import annotations

REFUSED_NO_ROOM = "no_room"  # not enough memory or vCPUs there: with every host so, "no capacity" (503)
REFUSED_CLAIMED = "claimed_elsewhere"  # another host owns the create, or the hub closed the offer
REFUSAL_KINDS = (REFUSED_NO_ROOM, REFUSED_CLAIMED)
