"""Backups on a spoke (docs/backups.md):

    jobs.py     a backup job: the disk taken consistently into the spool, sent to the store, the spool emptied
    store.py    the backup store: a restic repository on another machine, over SFTP
"""
