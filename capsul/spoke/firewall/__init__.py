"""Capsuls' inbound firewalls and anti-spoofing on a spoke, with nftables (docs/firewall.md):

    rules.py   the nftables script: the hub's document as two tables of the spoke's own
    keeper.py  the document kept on disk, written atomically, read back and repaired when it drifts
"""
