"""The hub: web console, the endpoints spokes call, heartbeats, database."""
