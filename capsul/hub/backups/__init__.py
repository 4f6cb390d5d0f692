"""Backups on the hub (docs/backups.md): the catalogue, schedules, and retention
(retention.py decides what is pruned; the backup store only carries it out)."""
