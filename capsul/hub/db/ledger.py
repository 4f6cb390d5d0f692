"""The ledger: credits in `payments`, hourly debits in `charges`; the balance is their difference.

A capsul costs its size's monthly price prorated by the hour (a month is 730 hours:
365 × 24 / 12), charged for every hour it existed in, from creation until deletion.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from capsul import vm_states
from capsul.hub.db import vms

HOURS_PER_MONTH = Decimal(730)
CENT = Decimal("0.01")
MAX_MANUAL = Decimal("100000")


class LedgerRefused(Exception):
    """A ledger entry refused; str() says why."""


def hourly_price(dollars_per_month: Decimal) -> Decimal:
    return (Decimal(dollars_per_month) / HOURS_PER_MONTH).quantize(Decimal("0.000001"), ROUND_HALF_UP)


async def balance(cur, account: str) -> Decimal:
    await cur.execute(
        """SELECT coalesce((SELECT sum(amount) FROM payments WHERE account = %s), 0)
                - coalesce((SELECT sum(amount) FROM charges WHERE account = %s), 0)
                - coalesce((SELECT sum(amount) FROM backup_charges WHERE account = %s), 0) AS balance""",
        (account, account, account))
    return Decimal((await cur.fetchone())["balance"])


async def monthly_price(cur, account: str) -> Decimal:
    """What the account's live capsuls cost a month, as the pricing page lists their sizes."""
    await cur.execute(
        f"""SELECT coalesce(sum(s.dollars_per_month), 0) AS monthly FROM vms v JOIN vm_sizes s ON s.id = v.size
            WHERE v.account = %s AND {vm_states.live_sql('v.state')}""", (account,))
    return Decimal((await cur.fetchone())["monthly"])


async def hourly_rate(cur, account: str) -> Decimal:
    """What the account's live capsuls cost per hour now."""
    return hourly_price(await monthly_price(cur, account))


async def credit_payment(cur, account: str, amount: Decimal, provider: str, external_id: str) -> bool:
    """Credit a provider's payment once: False (nothing written) if that id was credited before."""
    await cur.execute(
        """INSERT INTO payments (account, amount, provider, external_id) VALUES (%s, %s, %s, %s)
           ON CONFLICT (provider, external_id) WHERE external_id IS NOT NULL DO NOTHING RETURNING id""",
        (account, Decimal(amount).quantize(CENT), provider, external_id))
    return await cur.fetchone() is not None


async def add_manual_entry(cur, account: str, amount: Decimal, reason: str, admin: str,
                           note: str | None = None) -> dict:
    """An admin's credit (positive) or debit (negative), kept in the ledger with the admin's own
    reason (shown to admins only) and, if given, a note for the customer (their account page)."""
    amount = Decimal(amount).quantize(CENT)
    reason, note = (reason or "").strip(), (note or "").strip() or None
    if amount == 0 or abs(amount) > MAX_MANUAL:
        raise LedgerRefused(f"an amount is a non-zero number of dollars, at most {MAX_MANUAL} either way")
    if not reason or len(reason) > 500:
        raise LedgerRefused("give a reason (up to 500 characters): it stays in the ledger, for admins")
    if note is not None and len(note) > 500:
        raise LedgerRefused("a note for the customer is at most 500 characters")
    await cur.execute("SELECT 1 FROM accounts WHERE email = %s", (account,))
    if await cur.fetchone() is None:
        raise LedgerRefused(f"no account {account!r}")
    await cur.execute(
        """INSERT INTO payments (account, amount, provider, reason, created_by, customer_note)
           VALUES (%s, %s, 'manual', %s, %s, %s)
           RETURNING id, account, amount, provider, reason, created_by, customer_note, created_at""",
        (account, amount, reason, admin, note))
    return await cur.fetchone()


async def statement(cur, account: str, *, for_admin: bool = False) -> dict:
    """What the account page shows: balance, payments, charges per capsul, rate, how long it lasts.
    Each payment's `customer_note`; for an admin also the admin's `reason` and who made it."""
    admin_columns = "reason, created_by, external_id" if for_admin else "NULL AS reason, NULL AS created_by"
    await cur.execute(f"""SELECT amount, provider, customer_note, {admin_columns}, created_at FROM payments
                          WHERE account = %s ORDER BY created_at DESC, id DESC""", (account,))
    payments = await cur.fetchall()
    await cur.execute(
        """SELECT c.vm_id, coalesce(c.size, v.size) AS size, v.state, count(*) AS hours, sum(c.amount) AS total,
                  min(c.hour) AS first_hour, max(c.hour) AS last_hour
           FROM charges c JOIN vms v ON v.id = c.vm_id WHERE c.account = %s
           GROUP BY c.vm_id, coalesce(c.size, v.size), v.state ORDER BY min(c.hour) DESC""", (account,))
    per_capsul = await cur.fetchall()
    current = await balance(cur, account)
    monthly = await monthly_price(cur, account)  # what the pricing page says, summed: not the hourly rate x 720
    rate = hourly_price(monthly)
    hours_left = (current / rate) if rate > 0 and current > 0 else None
    for charge in per_capsul:  # the last charged hour is paid to its end: 21:00 to 22:00, not to 21:00
        charge["period_end"] = charge["last_hour"] + timedelta(hours=1)
    return {"balance": current, "payments": payments, "charges": per_capsul, "hourly_rate": rate,
            "monthly_rate": monthly, "hours_left": hours_left}


async def recent_manual(cur, limit: int = 20) -> list[dict]:
    """The latest manual entries, for the admin view's audit trail."""
    await cur.execute("""SELECT account, amount, reason, customer_note, created_by, created_at FROM payments
                         WHERE provider = 'manual' ORDER BY created_at DESC, id DESC LIMIT %s""", (limit,))
    return await cur.fetchall()


async def charge_due_hours(cur, now) -> int:
    """One charge per capsul per started hour not charged yet, up to `now` (or its deletion); how
    many. From the hour after the last charged one (or the creation hour); capsuls never built
    cost nothing, nor does a crashed one its host no longer has. A repeat charges nothing more
    (one row per capsul and hour)."""
    await cur.execute(
        f"""INSERT INTO charges (vm_id, account, hour, amount, size)
            SELECT v.id, v.account, h.hour, round(s.dollars_per_month / %(hours)s, 6), v.size
            FROM vms v
            JOIN vm_sizes s ON s.id = v.size
            CROSS JOIN LATERAL generate_series(
                coalesce((SELECT max(c.hour) + interval '1 hour' FROM charges c WHERE c.vm_id = v.id),
                         date_trunc('hour', v.created_at)),
                date_trunc('hour', least(coalesce(v.deleted_at, %(now)s), %(now)s)),
                interval '1 hour') AS h(hour)
            WHERE v.state <> ALL(%(never_built)s) AND v.created_at <= %(now)s
              AND (v.state <> 'crashed' OR {vms.PROBLEM_SQL} IS DISTINCT FROM %(missing)s)
              AND (v.deleted_at IS NULL OR v.deleted_at > now() - interval '400 days')
            ON CONFLICT (vm_id, hour) DO NOTHING""",
        {"hours": HOURS_PER_MONTH, "now": now, "never_built": list(vm_states.NEVER_BUILT),
         "missing": vm_states.MISSING_ON_HOST})
    return cur.rowcount
