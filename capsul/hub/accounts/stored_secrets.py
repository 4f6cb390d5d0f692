"""How secrets handed to people (login links, session cookies, API tokens) are kept: only
their SHA-256, so the database alone lets nobody in. They are long random values, so a plain
hash suffices (no salt or slow hash needed, unlike passwords)."""
import hashlib


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
