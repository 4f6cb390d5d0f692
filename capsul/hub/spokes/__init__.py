"""Everything the hub does with spokes: the dispatcher (offers, claims, immediate operations),
the signed HTTP client, heartbeat sweeps, resyncs, the consistency check, turns at periodic
work, and the /hub/* endpoints spokes call."""
