"""The admin view (ADMIN_EMAIL_ADDRESSES): hosts, VMs per host, operations, conflicts, consistency."""
from __future__ import annotations


from aiohttp import web

from datetime import datetime

from capsul import hosts_cli
from capsul.hub import db, reverse_dns, usage
from capsul.hub.accounts import second_factors

from capsul.hub.console import sessions
from capsul.hub.console.keys import mailer
from capsul.hub.console.render import render
from capsul.hub.db import backups as backups_db
from capsul.hub.db import admin_search, networks, vm_events
from capsul.hub.db import accounts as accounts_db
from capsul.hub.db import ledger
from capsul.numbers import parse_money
from capsul.hub.db import usage as usage_db
from capsul.hub.keys import db_pool
from capsul.hub.keys import hub_service
from capsul.hub.spokes import consistency

routes = web.RouteTableDef()


@routes.get("/admin", name="admin")
@sessions.admin_required
async def overview(request: web.Request, account: str) -> web.Response:
    return await _page(request)


async def _page(request: web.Request, *, ledger_form: dict | None = None, status: int = 200) -> web.Response:
    """One page of each list (hub/db/admin_search.py); `q` searches by capsul id, email, host, state
    or address, and `hosts_after`, `capsuls_before`, `operations_before` turn the pages.
    `ledger_form`: what was typed in the credit form, with its error or warning, shown again."""
    q = request.query.get("q", "")[:200]
    try:
        capsuls_before = _capsuls_cursor(request.query.get("capsuls_before"))
        operations_before = _time(request.query.get("operations_before"))
    except ValueError:
        raise web.HTTPBadRequest(reason="That page link is not one this page made.") from None
    hosts_after = request.query.get("hosts_after") or None
    async with db.cursor(request.app[db_pool]) as cur:
        found = await admin_search.search(cur, q)
        host_rows = await admin_search.hosts(cur, found.host or "", after=hosts_after)
        context = {
            "q": q, "searched": found.words, "hosts": host_rows,
            "pools": [p for p in await networks.list_pools_of(cur, [h["id"] for h in host_rows])],
            "vms": await admin_search.capsuls(cur, found, before=capsuls_before),
            "operations": await admin_search.operations(cur, q, before=operations_before),
            "conflicts": await vm_events.open_conflicts(cur), "ledger": await ledger.recent_manual(cur),
            "top_transfer": await usage_db.top_consumers(cur, usage.utc_now()), "page": admin_search.PAGE,
            "backup_hosts": await backups_db.per_host(cur),
            "backups_enabled": bool(request.app[hub_service].config.backup_store),
            "ledger_form": ledger_form or {},
            # what the live updates re-read: this page, or (after a form's POST) the plain admin page
            "refresh_url": request.rel_url if request.method == "GET" else request.app.router["admin"].url_for()}
    context["factor_requirement"] = await second_factors.requirement(request.app[db_pool])
    context["rdns_failures"] = await reverse_dns.failures(request.app[hub_service]) \
        if reverse_dns.offered(request.app[hub_service].config) else None
    return await render("admin.html", request, context, status=status)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _capsuls_cursor(value: str | None) -> tuple[datetime, str] | None:
    if not value:
        return None
    when, _, vm_id = value.rpartition("|")
    return datetime.fromisoformat(when), vm_id


@routes.post("/admin/ledger", name="admin_ledger")
@sessions.admin_required
async def manual_entry(request: web.Request, account: str) -> web.StreamResponse:
    """A manual credit or debit, with the admin's reason (admins only) and a note for the customer
    (optional); kept in the ledger with the admin's email. A
    refusal is shown next to the form with what was typed; a debit that would take the balance
    below zero asks to be confirmed first."""
    form = await request.post()
    typed = {"account": str(form.get("account", "")).strip(), "amount": str(form.get("amount", "")).strip(),
             "reason": str(form.get("reason", "")), "customer_note": str(form.get("customer_note", ""))}
    target = typed["account"].lower()
    amount = parse_money(typed["amount"], negative=True)
    if amount is None:
        return await _page(request, status=400, ledger_form={
            **typed, "error": "Nothing recorded: the amount is dollars with at most two decimals, "
                              "such as 20 or -5.50."})
    warning = entry = None
    try:
        async with db.cursor(request.app[db_pool]) as cur:
            async with cur.begin():
                await accounts_db.lock_account(cur, target)  # NOTE: the balance checked is the one debited
                balance = await ledger.balance(cur, target)
                if amount < 0 and balance + amount < 0 and not form.get("below_zero"):
                    warning = (f"This debit takes {target}'s balance from ${balance:.2f} to ${balance + amount:.2f}, "
                               "below zero, and their capsuls are shut down at zero. Tick the box to record it anyway.")
                else:
                    entry = await ledger.add_manual_entry(cur, target, amount, typed["reason"], account,
                                                          typed["customer_note"])
    except ledger.LedgerRefused as e:
        return await _page(request, status=400, ledger_form={**typed, "error": f"Nothing recorded: {e}."})
    if entry is None:
        return await _page(request, status=409, ledger_form={**typed, "warning": warning, "confirm_below_zero": True})
    await sessions.flash(request, f"Recorded ${entry['amount']} for {entry['account']}: {entry['reason']}.")
    raise web.HTTPSeeOther(request.app.router["admin"].url_for())


@routes.post("/admin/hosts/{host_id}/state", name="admin_host_state")
@sessions.admin_required
async def host_state(request: web.Request, account: str) -> web.StreamResponse:
    """Drain a host, put it in maintenance now (its people are mailed) or back in service, as
    `run.py drain`, `maintenance` and `activate` do (docs/hosts.md)."""
    form = await request.post()
    state = str(form.get("state", ""))
    if state not in hosts_cli.STATE_OF_COMMAND.values():
        raise web.HTTPBadRequest(reason="Choose active, draining or maintenance.")
    host_id = request.match_info["host_id"]
    try:
        row, mailed = await hosts_cli.set_state(request.app[db_pool], request.app[mailer], host_id, state,
                                                f"set on the admin page by {account}")
    except db.NotFound:
        raise web.HTTPNotFound(reason=f"There is no host {host_id}.") from None
    told = f"; {mailed} person(s) mailed" if state == "maintenance" else ""
    await sessions.flash(request, f"Host {host_id} is {state} (was {row['before']}){told}.")
    raise web.HTTPSeeOther(request.app.router["admin"].url_for())


@routes.get("/admin/consistency", name="admin_consistency")
@sessions.admin_required
async def consistency_check(request: web.Request, account: str) -> web.Response:
    report = await consistency.check(request.app[hub_service])
    return await render("consistency.html", request, {"report": report})
