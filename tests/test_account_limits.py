"""Per-account limits: one account with $1 filled a host before; now it may hold at most
ACCOUNT_MAX_CAPSULS capsuls, ACCOUNT_MAX_VCPUS vCPUs and ACCOUNT_MAX_MEMORY_MB of memory, and a
create needs MIN_BALANCE_DAYS of the account's whole hourly rate, not only the new capsul's."""
from __future__ import annotations

from decimal import Decimal

from capsul.hub import db
from capsul.hub.db import ledger
from tests.console_client import ConsoleClient, error_of
from tests.conftest import ALICE, BOB, new_public_key, spoke_ready
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
