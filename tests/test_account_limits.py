"""Per-account limits: one account with $1 filled a host before; now it may hold at most
ACCOUNT_MAX_CAPSULS capsuls, ACCOUNT_MAX_VCPUS vCPUs and ACCOUNT_MAX_MEMORY_MB of memory, or what
an admin set for it, and a create needs MIN_BALANCE_DAYS of the account's whole hourly rate, not
only the new capsul's."""
from __future__ import annotations

from decimal import Decimal

from capsul.hub import db
from capsul.hub.db import accounts, ledger
from tests.console_client import ConsoleClient, error_of
from tests.conftest import ADMIN_EMAIL, ALICE, BOB, new_public_key, spoke_ready
from tests.test_console import count, create_capsul

XS_DAY = ledger.hourly_price(Decimal("5.33")) * 24  # f1-xs: 1 vCPU, 512 MB


async def _credit(pool, account: str, amount: str) -> None:
    async with db.cursor(pool) as cur:
        await ledger.add_manual_entry(cur, account, Decimal(amount), "test credit", "admin@example.org")


async def test_an_account_holds_at_most_its_capsuls_vcpus_and_memory(start_node, mail, pool):
    node = await start_node(ACCOUNT_MAX_CAPSULS="3", ACCOUNT_MAX_VCPUS="2", ACCOUNT_MAX_MEMORY_MB="1536",
                            **mail.env())
    await spoke_ready(pool)
    alice, bob = ConsoleClient(node.console_url), ConsoleClient(node.console_url)
    try:
        for person, email in ((alice, ALICE), (bob, BOB)):
            await person.login(mail, email)
            await person.post("/ssh-keys", {"content": new_public_key(),
                                            "name": "laptop"})
        await create_capsul(alice, pool, "f1-xs")
        await create_capsul(alice, pool, "f1-xs")  # 2 vCPUs, 1024 MB: at the vCPU limit
        status, text, _ = await alice.post("/capsuls/create", [("size", "f1-xs"), ("os", "debian12"),
                                                               ("ssh_key", "laptop")])
        assert status == 403 and "at most 2 vCPUs" in error_of(text) and "yours has 2" in error_of(text)
        assert await count(pool, "SELECT count(*) AS n FROM vms WHERE account = %s", ALICE) == 2
        await create_capsul(bob, pool, "f1-xs")  # another account is not held up by it
        status, text, _ = await bob.post("/capsuls/create", [("size", "f1-m"), ("os", "debian12"),
                                                             ("ssh_key", "laptop")])
        assert status == 403 and "at most 1536 MB of memory" in error_of(text)
    finally:
        await alice.close()
        await bob.close()


async def test_a_create_needs_a_balance_for_the_whole_accounts_rate(start_node, mail, pool):
    node = await start_node(BILLING_ENABLED="true", MIN_BALANCE_DAYS="1", **mail.env())
    await spoke_ready(pool)
    alice = ConsoleClient(node.console_url)
    try:
        await alice.login(mail, ALICE)
        await alice.post("/ssh-keys", {"content": new_public_key(),
                                       "name": "laptop"})
        await _credit(pool, ALICE, str((XS_DAY * 2).quantize(Decimal("0.01")) + Decimal("0.01")))
        await create_capsul(alice, pool, "f1-xs")
        await create_capsul(alice, pool, "f1-xs")  # two days of one, or one day of two: still covered
        status, text, _ = await alice.post("/capsuls/create", [("size", "f1-xs"), ("os", "debian12"),
                                                               ("ssh_key", "laptop")])
        # before, each create counted only its own day: $1 made capsuls until the host was full
        assert status == 402 and "would cost $" in error_of(text) and "a day" in error_of(text)
        assert await count(pool, "SELECT count(*) AS n FROM vms WHERE account = %s", ALICE) == 2
    finally:
        await alice.close()


async def test_an_admin_sets_one_accounts_own_limits(start_node, mail, pool):
    node = await start_node(ACCOUNT_MAX_CAPSULS="3", ACCOUNT_MAX_VCPUS="2", ACCOUNT_MAX_MEMORY_MB="0",
                            ADMIN_EMAIL_ADDRESSES=ADMIN_EMAIL, **mail.env())
    await spoke_ready(pool)
    alice, bob, admin = (ConsoleClient(node.console_url) for _ in range(3))
    limits_page = f"/admin/accounts/{ALICE}"
    try:
        for person, email in ((alice, ALICE), (bob, BOB), (admin, ADMIN_EMAIL)):
            await person.login(mail, email)
            if person is not admin:
                await person.post("/ssh-keys", {"content": new_public_key(), "name": "laptop"})
        status, text, _ = await alice.post(f"{limits_page}/limits", {"capsuls": "9"})
        assert status == 404  # only admins
        status, text, _ = await admin.post(f"{limits_page}/limits", {"capsuls": "1", "vcpus": "", "memory_mb": ""})
        assert status == 200 and f"Limits of {ALICE}: capsuls 1, vCPUs as configured" in text
        assert "0 of 1 capsuls (its own limit)" in text and "0 of 2 vCPUs" in text
        await create_capsul(alice, pool)
        status, text, _ = await alice.post("/capsuls/create", [("size", "f1-xs"), ("os", "debian12"),
                                                               ("ssh_key", "laptop")])
        assert status == 403 and "at most 1 capsuls" in error_of(text)
        await create_capsul(bob, pool)
        await create_capsul(bob, pool)  # bob has the configured 3

        for odd in ("-1", "1e3", "2147483648", "١", "1.5", "x" * 5000):
            status, text, _ = await admin.post(f"{limits_page}/limits", {"capsuls": "2", "vcpus": odd})
            assert status == 400 and "Nothing changed" in error_of(text) and "vCPUs" in error_of(text), odd
            assert f'value="{odd[:20]}' in text  # what was typed is kept
        async with db.cursor(pool) as cur:
            assert await accounts.own_limits(cur, ALICE) == {"capsuls": 1, "vcpus": None, "memory_mb": None}

        # back to the configured capsuls, and no limit on vCPUs (beyond the configured 2)
        status, text, _ = await admin.post(f"{limits_page}/limits", {"capsuls": "", "vcpus": "0", "memory_mb": ""})
        assert status == 200 and "vCPUs none" in text
        await create_capsul(alice, pool)
        await create_capsul(alice, pool)  # 3 vCPUs: past the configured 2
        status, text, _ = await alice.post("/capsuls/create", [("size", "f1-xs"), ("os", "debian12"),
                                                               ("ssh_key", "laptop")])
        assert status == 403 and "at most 3 capsuls" in error_of(text)  # the configured one again
        status, text = await admin.get(limits_page)
        assert "3 of 3 capsuls, 3 vCPUs (no limit: its own)" in text
    finally:
        for person in (alice, bob, admin):
            await person.close()
