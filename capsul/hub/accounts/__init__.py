"""People's identities: login links, login sessions, API tokens, SSH keys, and the one hash of
every secret handed out."""
