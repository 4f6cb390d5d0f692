"""SSH public keys: strict validation, and the service the console and the API call.

Accepted: ssh-ed25519, ecdsa-sha2-nistp256/384/521, and ssh-rsa of 2048 bits or more.
The base64 blob is decoded and its own type must match the line's prefix; the key must
load (cryptography checks its structure). Every refusal says what is wrong.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass

import psycopg2.errors
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from capsul.hub import db
from capsul.hub.db import accounts as accounts_db
from capsul.hub.db import ssh_keys as keys_db

KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa")
MIN_RSA_BITS = 2048
MAX_KEYS_PER_ACCOUNT = 20
MAX_NAME = 100
_NAME_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")


def looks_private(text: str) -> bool:
    """A private key pasted by mistake (OpenSSH, PEM or PuTTY): refused, and never shown again."""
    return "PRIVATE KEY" in text or "PuTTY-User-Key-File" in text or "Private-Lines:" in text


class InvalidKey(ValueError):
    """A key or key name that is refused; str() tells the person what to fix."""


@dataclass(frozen=True)
class PublicKey:
    type: str
    data: str  # the base64 blob
    comment: str
    fingerprint: str  # SHA256:…, as `ssh-keygen -l` prints it

    @property
    def line(self) -> str:
        return f"{self.type} {self.data}" + (f" {self.comment}" if self.comment else "")


def parse_public_key(text: str) -> PublicKey:
    text = (text or "").strip()
    if not text:
        raise InvalidKey("paste a public key, such as the contents of ~/.ssh/id_ed25519.pub")
    if looks_private(text):
        raise InvalidKey("this is a private key: never share it; paste the .pub file instead")
    if "\n" in text or "\r" in text:
        raise InvalidKey("a public key is one line; paste one key at a time")
    fields = text.split(None, 2)
    key_type = fields[0]
    if key_type not in KEY_TYPES:
        if len(fields) > 1 and fields[1] in KEY_TYPES:
            raise InvalidKey("remove the options before the key type (this is not an authorized_keys line)")
        raise InvalidKey(f"unsupported key type {key_type[:40]!r}: use ed25519, ECDSA, or RSA of "
                         f"{MIN_RSA_BITS} bits or more")
    if len(fields) < 2:
        raise InvalidKey("the key data is missing after the key type")
    data, comment = fields[1], (fields[2].strip() if len(fields) > 2 else "")
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidKey("the key data is not valid base64; copy the whole line again") from None
    inner = _inner_type(blob)
    if inner != key_type:
        raise InvalidKey(f"the line says {key_type} but the key data is {inner or 'unreadable'}")
    try:
        key = serialization.load_ssh_public_key(f"{key_type} {data}".encode())
    except (ValueError, TypeError):
        raise InvalidKey("the key data is damaged or cut short; copy the whole line again") from None
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise InvalidKey(f"RSA keys need at least {MIN_RSA_BITS} bits; this one has {key.key_size}")
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return PublicKey(key_type, data, comment, f"SHA256:{digest}")


def _inner_type(blob: bytes) -> str | None:
    """The key type written inside the blob (a length-prefixed string), or None."""
    if len(blob) < 4:
        return None
    (length,) = struct.unpack(">I", blob[:4])
    if length > 64 or len(blob) < 4 + length:
        return None
    try:
        return blob[4:4 + length].decode("ascii")
    except UnicodeDecodeError:
        return None


def key_name(key: PublicKey, name: str | None) -> str:
    """The name given, else the key's comment, else a name from its fingerprint."""
    name = (name or "").strip() or key.comment[:MAX_NAME].strip() or f"key-{key.fingerprint[7:15]}"
    if not _NAME_RE.match(name):
        raise InvalidKey(f"a key name is 1 to {MAX_NAME} characters, without control characters")
    return name


# --- the service --------------------------------------------------------------------------

async def add_ssh_key(pool, account: str, content: str, name: str | None = None) -> dict:
    """Validate and store a key; InvalidKey for anything wrong, nothing written then."""
    key = parse_public_key(content)
    name = key_name(key, name)
    async with db.cursor(pool) as cur:
        try:
            async with cur.begin():
                # NOTE: the account row lock makes the count and the insert one step.
                if not await accounts_db.lock_account(cur, account):
                    raise InvalidKey("no such account")
                existing = await keys_db.names_and_fingerprints(cur, account)
                for row in existing:
                    if row["fingerprint"] == key.fingerprint:
                        raise InvalidKey(f"you have added this key already, as {row['name']!r}")
                    if row["name"] == name:
                        raise InvalidKey(f"you already have a key named {name!r}; choose another name")
                if len(existing) >= MAX_KEYS_PER_ACCOUNT:
                    raise InvalidKey(f"you have {MAX_KEYS_PER_ACCOUNT} keys, the most an account can hold; "
                                     f"delete one first")
                return await keys_db.insert(cur, account, name, key.line, key.fingerprint)
        except psycopg2.errors.UniqueViolation:  # a concurrent add of the same key or name
            raise InvalidKey("you have a key with this name or content already") from None


async def list_ssh_keys(pool, account: str) -> list[dict]:
    async with db.cursor(pool) as cur:
        return await keys_db.list_keys(cur, account)


async def delete_ssh_key(pool, account: str, name: str) -> None:
    """Capsuls made with the key keep their copy of it."""
    async with db.cursor(pool) as cur:
        if not await keys_db.delete(cur, account, name):
            raise db.NotFound(f"you have no key named {name!r}")
