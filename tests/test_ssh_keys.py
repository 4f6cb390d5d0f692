"""SSH public keys: validation of every kind, and the add/list/delete service on the real database."""
import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from capsul.hub import db
from capsul.hub.db import accounts
from capsul.hub.accounts.ssh_keys import (MAX_KEYS_PER_ACCOUNT, InvalidKey, add_ssh_key, delete_ssh_key, list_ssh_keys,
                                 parse_public_key)


def openssh(private_key, comment="alice@laptop") -> str:
    line = private_key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                 serialization.PublicFormat.OpenSSH).decode()
    return f"{line} {comment}" if comment else line


ED25519 = openssh(ed25519.Ed25519PrivateKey.generate())


@pytest.mark.parametrize("key, key_type", [
    (ED25519, "ssh-ed25519"),
    (openssh(ec.generate_private_key(ec.SECP256R1())), "ecdsa-sha2-nistp256"),
    (openssh(ec.generate_private_key(ec.SECP384R1())), "ecdsa-sha2-nistp384"),
    (openssh(ec.generate_private_key(ec.SECP521R1())), "ecdsa-sha2-nistp521"),
    (openssh(rsa.generate_private_key(65537, 2048)), "ssh-rsa"),
])
def test_good_keys_are_accepted(key, key_type):
    parsed = parse_public_key(f"  {key}\n")
    assert parsed.type == key_type and parsed.comment == "alice@laptop"
    assert parsed.line == key and parsed.fingerprint.startswith("SHA256:") and len(parsed.fingerprint) == 50


def _swap_prefix(line: str, prefix: str) -> str:
    return prefix + " " + line.split()[1]


@pytest.mark.parametrize("text, message", [
    ("", "paste a public key"),
    (openssh(rsa.generate_private_key(65537, 1024)), "RSA keys need at least 2048 bits; this one has 1024"),
    (_swap_prefix(ED25519, "ssh-rsa"), "the line says ssh-rsa but the key data is ssh-ed25519"),
    ("ssh-ed25519 not*base64", "not valid base64"),
    ("ssh-ed25519 " + ED25519.split()[1][:-12], "damaged or cut short"),
    ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "unsupported key type 'ssh-dss'"),
    ("ssh-ed25519", "the key data is missing"),
    ('no-pty,command="x" ' + ED25519, "remove the options"),
    (ED25519 + "\n" + ED25519, "one line"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "this is a private key"),
    ("ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00").decode(), "damaged"),
])
def test_bad_keys_are_refused_with_a_reason(text, message):
    with pytest.raises(InvalidKey) as caught:
        parse_public_key(text)
    assert message in str(caught.value)


async def test_add_list_delete(pool):
    async with db.cursor(pool) as cur:
        await accounts.ensure_account(cur, "alice@example.org")
    added = await add_ssh_key(pool, "alice@example.org", ED25519)
    assert added["name"] == "alice@laptop"  # the comment by default
    other = openssh(ec.generate_private_key(ec.SECP256R1()), comment="")
    named = await add_ssh_key(pool, "alice@example.org", other, name=" desktop ")
    assert named["name"] == "desktop"

    with pytest.raises(InvalidKey, match="added this key already, as 'alice@laptop'"):
        await add_ssh_key(pool, "alice@example.org", ED25519.rsplit(" ", 1)[0] + " another-comment", "x")
    with pytest.raises(InvalidKey, match="already have a key named 'desktop'"):
        await add_ssh_key(pool, "alice@example.org", openssh(ed25519.Ed25519PrivateKey.generate()), "desktop")
    assert [k["name"] for k in await list_ssh_keys(pool, "alice@example.org")] == ["alice@laptop", "desktop"]

    await delete_ssh_key(pool, "alice@example.org", "desktop")
    with pytest.raises(db.NotFound):
        await delete_ssh_key(pool, "alice@example.org", "desktop")
    with pytest.raises(db.NotFound):  # another person's key is not yours to delete
        await delete_ssh_key(pool, "bob@example.org", "alice@laptop")
    assert [k["name"] for k in await list_ssh_keys(pool, "alice@example.org")] == ["alice@laptop"]


async def test_an_account_holds_a_bounded_number_of_keys(pool):
    async with db.cursor(pool) as cur:
        await accounts.ensure_account(cur, "carol@example.org")
    for i in range(MAX_KEYS_PER_ACCOUNT):
        await add_ssh_key(pool, "carol@example.org", openssh(ed25519.Ed25519PrivateKey.generate(), f"k{i}"))
    with pytest.raises(InvalidKey, match=f"you have {MAX_KEYS_PER_ACCOUNT} keys"):
        await add_ssh_key(pool, "carol@example.org", openssh(ed25519.Ed25519PrivateKey.generate(), "one more"))
    assert len(await list_ssh_keys(pool, "carol@example.org")) == MAX_KEYS_PER_ACCOUNT
