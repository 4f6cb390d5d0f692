"""Every PostgreSQL advisory lock id the hubs take, in one place so that no two collide.

(Login links also take a transaction lock per email address, `hashtext(email)`, in
`hub/login_tokens.py`: those ids are spread over the whole int4 range.)
"""
from __future__ import annotations

SCHEMA = 0x6361_7073  # applying schema.sql: several hubs may start at once
PLACEMENT = 0x6361_7070  # ranking hosts and offering a create: one placement decision at a time
HOUSEKEEPING = 0x6361_7068  # periodic repairs: one hub at a time
METERING = 0x6361_7075  # hourly charges: one hub meters at a time
