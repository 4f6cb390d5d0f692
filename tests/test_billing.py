"""Billing: hourly metering over a simulated week (clock injected, never slept), catch-up
after a gap without double charges, the balance a create needs, and the ledger's figures."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from capsul.hub import capsuls, db
from capsul.hub.billing import metering
from capsul.hub.db import ledger
from tests.conftest import ALICE, BOB, add_account_with_key, spoke_ready

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=timezone.utc)  # a Monday, on the hour
XS_HOURLY = ledger.hourly_price(Decimal("5.33"))  # f1-xs
M_HOURLY = ledger.hourly_price(Decimal("12.67"))  # f1-m


async def vm_row(pool, vm_id: str, account: str, size: str, created: datetime, deleted: datetime | None = None,
                 state: str = "running") -> None:
    """A capsul as the hub records it, at a time of the test's choosing."""
    async with db.cursor(pool) as cur:
        await cur.execute("""INSERT INTO hosts (id, https_url, token, hub_token) VALUES ('h1', 'https://h1', 'a', 'b')
                             ON CONFLICT DO NOTHING""")
        await cur.execute(
            """INSERT INTO vms (id, account, size, os, host_id, state, created_at, deleted_at, failure_reason)
               VALUES (%s, %s, %s, 'debian12', %s, %s, %s, %s, %s)""",
            (vm_id, account, size, None if state in ("pending", "failed") else "h1",
             "deleted" if deleted else state, created, deleted, "never built" if state == "failed" else None))


async def charges(pool, vm_id: str | None = None) -> list[dict]:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT vm_id, hour, amount FROM charges WHERE %s::text IS NULL OR vm_id = %s ORDER BY hour",
                          (vm_id, vm_id))
        return await cur.fetchall()


async def test_a_simulated_week_of_hourly_metering(pool):
    await add_account_with_key(pool, ALICE)
    await vm_row(pool, "capsul-weekxs0001", ALICE, "f1-xs", T0 + timedelta(minutes=30))
    await vm_row(pool, "capsul-weekm00001", ALICE, "f1-m", T0 + timedelta(days=2, minutes=59),
                 deleted=T0 + timedelta(days=3, hours=5, minutes=1))
    await vm_row(pool, "capsul-neverbuilt", ALICE, "f1-xs", T0, state="failed")
    for hour in range(7 * 24 + 1):  # every hour of the week, as the metering task would run
        await metering.meter(pool, T0 + timedelta(hours=hour, minutes=3))
    xs = await charges(pool, "capsul-weekxs0001")
    assert len(xs) == 7 * 24 + 1  # every started hour from creation to now, T0 00:00 .. T0+7d 00:00
    assert xs[0]["hour"] == T0 and xs[-1]["hour"] == T0 + timedelta(days=7)
    assert all(c["amount"] == XS_HOURLY for c in xs)
    m = await charges(pool, "capsul-weekm00001")
    assert [c["hour"] for c in m] == [T0 + timedelta(days=2, hours=h) for h in range(24 + 5 + 1)]  # until deletion
    assert await charges(pool, "capsul-neverbuilt") == []
    async with db.cursor(pool) as cur:
        assert await ledger.balance(cur, ALICE) == -(XS_HOURLY * 169 + M_HOURLY * 30)


async def test_metering_catches_up_after_a_gap_and_never_charges_twice(pool):
    await add_account_with_key(pool, ALICE)
    await vm_row(pool, "capsul-gapgapgap1", ALICE, "f1-xs", T0 + timedelta(minutes=10))
    assert await metering.meter(pool, T0 + timedelta(hours=1)) == 2
    assert await metering.meter(pool, T0 + timedelta(hours=1, minutes=40)) == 0  # same hour again
    # the hubs were down for two days
    assert await metering.meter(pool, T0 + timedelta(days=2, hours=1)) == 48
    results = await asyncio.gather(*(metering.meter(pool, T0 + timedelta(days=2, hours=3)) for _ in range(5)))
    assert sorted(r or 0 for r in results)[-1] == 2 and sum(r or 0 for r in results) == 2  # one run did it
    hours = [c["hour"] for c in await charges(pool)]
    assert hours == [T0 + timedelta(hours=h) for h in range(2 * 24 + 3 + 1)] and len(set(hours)) == len(hours)


async def test_a_create_needs_a_day_of_the_size_in_the_balance(start_node, pool):
    node = await start_node(BILLING_ENABLED="true", MIN_BALANCE_DAYS="1", METERING_INTERVAL="3600")
    await spoke_ready(pool)
    await add_account_with_key(pool, ALICE)
    with pytest.raises(capsuls.InsufficientBalance) as refused:
        await capsuls.create_capsul(node.hub, ALICE, "f1-m", "debian12", ["laptop"])
    needed = (M_HOURLY * 24).quantize(Decimal("0.01"))
    assert refused.value.status == 402 and f"${needed}" in refused.value.message
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT count(*) AS n FROM vms")
        assert (await cur.fetchone())["n"] == 0  # nothing written
        await ledger.add_manual_entry(cur, ALICE, needed, "welcome credit", "admin@example.org")
    vm = await capsuls.create_capsul(node.hub, ALICE, "f1-m", "debian12", ["laptop"])
    assert vm["state"] in ("creating", "running")


async def test_manual_entries_and_provider_credits_in_the_ledger(pool):
    await add_account_with_key(pool, ALICE)
    async with db.cursor(pool) as cur:
        await ledger.add_manual_entry(cur, ALICE, Decimal("20"), "support refund", "admin@example.org")
        await ledger.add_manual_entry(cur, ALICE, Decimal("-2.50"), "bank fee", "admin@example.org")
        for bad_amount, bad_reason in ((Decimal("0"), "x"), (Decimal("5"), " "), (Decimal("1e9"), "x")):
            with pytest.raises(ledger.LedgerRefused):
                await ledger.add_manual_entry(cur, ALICE, bad_amount, bad_reason, "admin@example.org")
        assert await ledger.credit_payment(cur, ALICE, Decimal("10"), "stripe", "evt_1")
        assert not await ledger.credit_payment(cur, ALICE, Decimal("10"), "stripe", "evt_1")  # replayed
        assert await ledger.balance(cur, ALICE) == Decimal("27.50")
    await vm_row(pool, "capsul-ledger0001", ALICE, "f1-xs", T0)
    await metering.meter(pool, T0 + timedelta(hours=9, minutes=1))
    async with db.cursor(pool) as cur:
        statement = await ledger.statement(cur, ALICE)
    assert statement["balance"] == Decimal("27.50") - XS_HOURLY * 10
    assert [(c["vm_id"], c["hours"], c["total"]) for c in statement["charges"]] == \
        [("capsul-ledger0001", 10, XS_HOURLY * 10)]
    assert statement["hourly_rate"] == XS_HOURLY
    assert statement["hours_left"] == statement["balance"] / XS_HOURLY
    assert [p["amount"] for p in statement["payments"]] == [Decimal("10.00"), Decimal("-2.50"), Decimal("20.00")]


async def test_the_account_page_matches_the_ledger_and_admins_record_manual_entries(console, mail, people, pool):
    import re

    from tests.conftest import ADMIN_EMAIL
    from tests.test_console import logged_in
    alice = await logged_in(people, mail, ALICE)
    admin = await logged_in(people, mail, ADMIN_EMAIL)
    status, _, _ = await alice.post("/admin/ledger", {"account": ALICE, "amount": "1000", "reason": "me"})
    assert status == 404  # not an admin: nothing recorded
    for amount, reason, words in (("abc", "x", "at most two decimals"), ("5", "", "give a reason"),
                                  ("NaN", "x", "at most two decimals"), ("5", "x", "")):
        target = "nobody@example.org" if not words else ALICE
        status, text, _ = await admin.post("/admin/ledger", {"account": target, "amount": amount, "reason": reason})
        assert "Nothing recorded" in text and words in text
    status, text, _ = await admin.post("/admin/ledger", {"account": ALICE, "amount": "25", "reason": "welcome"})
    assert "Recorded $25.00 for alice@example.org: welcome" in text
    assert f"<td>{ADMIN_EMAIL}</td>" in text  # the audit trail names the admin
    status, text, _ = await admin.post("/admin/ledger", {"account": ALICE, "amount": "-5.50",
                                                         "reason": "chargeback fee, ticket 4411, they were rude",
                                                         "customer_note": "Card chargeback fee"})
    assert "they were rude" in text and "<td>Card chargeback fee</td>" in text  # admins see both
    for note in ("x" * 501,):
        status, text, _ = await admin.post("/admin/ledger", {"account": ALICE, "amount": "1", "reason": "r",
                                                             "customer_note": note})
        assert status == 400 and "Nothing recorded" in text and "at most 500 characters" in text
        assert f'value="{note}"' in text  # kept as typed

    await vm_row(pool, "capsul-acctpage01", ALICE, "f1-m", T0)
    await metering.meter(pool, T0 + timedelta(hours=47, minutes=2))  # 48 started hours
    status, text = await alice.get("/account")
    assert status == 200
    async with db.cursor(pool) as cur:
        statement = await ledger.statement(cur, ALICE)
    expected = Decimal("19.50") - M_HOURLY * 48
    assert statement["balance"] == expected
    assert f'<dd id="balance">${expected:.2f}</dd>' in text
    row = re.search(r"<td>capsul-acctpage01</td><td>f1-m</td><td>running</td><td>(\d+)</td>.*?<td>\$([\d.]+)</td>", text)
    assert row and row.group(1) == "48" and Decimal(row.group(2)) == (M_HOURLY * 48).quantize(Decimal("0.01"))
    days = expected / M_HOURLY / 24
    assert f"about {days:.1f} days" in text
    assert "$25.00" in text and "Card chargeback fee" in text
    assert "ticket 4411" not in text and "rude" not in text and "welcome" not in text  # the admin's reasons are theirs
    payments_table = text[text.index('<table id="payments">'):text.index("</table>", text.index('<table id="payments">'))]
    debits_table = text[text.index('<table id="debits">'):]
    assert "chargeback fee" not in payments_table and "−$5.50" in debits_table  # a debit is no payment
    first, last = re.search(r"<td>capsul-acctpage01</td>.*?<td>(\d{4}-[^<]+)</td><td>(\d{4}-[^<]+)</td>",
                            text).groups()
    spans = datetime.strptime(last, "%Y-%m-%d %H:%M UTC") - datetime.strptime(first, "%Y-%m-%d %H:%M UTC")
    assert spans == timedelta(hours=48)  # the period its 48 hours cover, to the end of the last (not 47)
    assert "$12.67 a month, as on the pricing page" in text  # f1-m's price, as pricing lists it
    status, text = await admin.get(f"/admin/accounts/{ALICE}")
    assert "ticket 4411" in text and "Card chargeback fee" in text


async def test_running_low_warns_once_each_shuts_down_at_zero_and_deletes_after_the_grace(start_node, pool, mail):
    """Days walked through with an injected clock: week and day warnings once each, at zero a
    mail and the capsul shut down (and not startable), a last mail, then deletion; for a second
    person a top-up in time stops the sequence."""
    from capsul.hub.billing import low_balance
    from capsul.hub.mailer import Mailer
    node = await start_node(BILLING_ENABLED="true", MIN_BALANCE_DAYS="1", ZERO_BALANCE_GRACE_DAYS="2",
                            **mail.env())
    await spoke_ready(pool)
    mailer = Mailer(node.config)
    made = {}
    for email in (ALICE, BOB):
        await add_account_with_key(pool, email)
        async with db.cursor(pool) as cur:  # 6 days' worth: the week warning is due at once
            await ledger.add_manual_entry(cur, email, (XS_HOURLY * 24 * 6).quantize(Decimal("0.01")), "start",
                                          "admin@example.org")
        made[email] = await capsuls.create_capsul(node.hub, email, "f1-xs", "debian12", ["laptop"])
    start = datetime.now(timezone.utc)
    steps: dict[str, list[tuple[int, str]]] = {ALICE: [], BOB: []}
    for hour in range(0, 10 * 24):
        now = start + timedelta(hours=hour)
        await metering.meter(pool, now)
        for email in (ALICE, BOB):
            step = await low_balance.check_account(node.hub, mailer, email, now)
            if step:
                steps[email].append((hour, step))
        if hour == 5 * 24 + 12:  # Bob tops up, after his day warning, before zero
            async with db.cursor(pool) as cur:
                await ledger.credit_payment(cur, BOB, Decimal("30"), "stripe", "evt_bob_topup")
    alice_steps = [s for _, s in steps[ALICE]]
    assert alice_steps == ["week", "day", "zero", "deletion-warning", "deleted"], steps[ALICE]
    hour_of = dict((s, h) for h, s in steps[ALICE])
    assert hour_of["deleted"] - hour_of["zero"] == 48 and hour_of["deletion-warning"] < hour_of["deleted"]
    subjects = [m["Subject"] for m in mail.messages if m["To"] == ALICE]
    assert subjects == ["Your capsul balance runs out within a week", "Your capsul balance runs out within a day",
                        "Your capsul balance is used up: your capsuls are shut down",
                        "Your capsuls will be deleted", "Your capsuls were deleted"]
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT state FROM vms WHERE id = %s", (made[ALICE]["id"],))
        assert (await cur.fetchone())["state"] == "deleted"
        await cur.execute("SELECT count(*) AS n FROM vm_events WHERE vm_id = %s AND state = 'stopped'",
                          (made[ALICE]["id"],))
        assert (await cur.fetchone())["n"] >= 1  # it was shut down at zero, before the deletion
    assert [s for _, s in steps[BOB]] == ["week", "day", "ended"]  # the top-up stopped it
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT state FROM vms WHERE id = %s", (made[BOB]["id"],))
        assert (await cur.fetchone())["state"] == "running"


async def test_a_capsul_cannot_be_started_while_the_balance_is_used_up(start_node, pool):
    node = await start_node(BILLING_ENABLED="true", MIN_BALANCE_DAYS="1")
    await spoke_ready(pool)
    await add_account_with_key(pool, ALICE)
    async with db.cursor(pool) as cur:
        await ledger.add_manual_entry(cur, ALICE, Decimal("1"), "start", "admin@example.org")
    vm = await capsuls.create_capsul(node.hub, ALICE, "f1-xs", "debian12", ["laptop"])
    from tests.conftest import eventually

    async def running():
        return (await capsuls.get_capsul(node.hub, ALICE, vm["id"]))["state"] == "running"
    await eventually(running)
    await capsuls.capsul_action(node.hub, ALICE, vm["id"], "force-stop")
    async with db.cursor(pool) as cur:
        await ledger.add_manual_entry(cur, ALICE, Decimal("-1"), "used up", "admin@example.org")
    with pytest.raises(capsuls.InsufficientBalance):
        await capsuls.capsul_action(node.hub, ALICE, vm["id"], "start")
