"""Backups on a spoke (docs/backups.md):

    store.py    the backup store: a restic repository on another machine, over SFTP
"""
