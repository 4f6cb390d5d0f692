"""`run.py` commands for a host's state (docs/hosts.md):

    run.py drain HOST [--reason TEXT]         no new capsuls on it, nor growth in place; work under way finishes
    run.py maintenance HOST [--from TIME] [--reason TEXT]   as drain, and its people are mailed when
    run.py activate HOST                      back in service

The admin page has the same buttons (capsul/hub/console/admin_pages.py `host_state`); both go through
`set_state` here, so a person is mailed the same way whichever the operator used.
"""
from __future__ import annotations

import argparse
import datetime
import logging
import sys

from capsul.hub import db
from capsul.hub.db import hosts
from capsul.hub.mailer import Mailer, MailFailed

log = logging.getLogger(__name__)

COMMANDS = ("drain", "maintenance", "activate")
STATE_OF_COMMAND = {"drain": "draining", "maintenance": "maintenance", "activate": "active"}


def when(value: str) -> datetime.datetime:
    """A time such as 2026-12-05T02:00Z or '2026-12-05 02:00' (UTC unless it says otherwise)."""
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError("a time such as 2026-12-05T02:00Z (UTC unless it names its offset)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    if not 2000 <= moment.year <= 9999:
        raise argparse.ArgumentTypeError("a year from 2000 to 9999")
    return moment


def reason(value: str) -> str:
    if not 1 <= len(value) <= 500 or any(ord(c) < 32 for c in value):
        raise argparse.ArgumentTypeError("1-500 characters on one line")
    return value


def add_parsers(commands) -> None:
    drain = commands.add_parser("drain", help="place no new capsul on a host, nor grow one in place there")
    maintenance = commands.add_parser("maintenance", help="put a host in maintenance: as drain, and the people "
                                                          "with capsuls on it are mailed when")
    maintenance.add_argument("--from", dest="start", type=when, help="when it starts (default: now), e.g. "
                                                                     "2026-12-05T02:00Z")
    activate = commands.add_parser("activate", help="put a host back in service")
    for parser in (drain, maintenance, activate):
        parser.add_argument("host", help="the host's id")
        parser.add_argument("--reason", type=reason, help="why, for the admin page (and the mail)")


def maintenance_mail(host_id: str, start: datetime.datetime, why: str | None, capsuls: list[str]) -> tuple[str, str]:
    """(subject, body) of the mail to a person with capsuls on a host going into maintenance."""
    at = start.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    listed = "\n".join(f"  - {c}" for c in capsuls)
    return (f"Maintenance of the host of your capsuls from {at}",
            f"Hello,\n\nthe host your capsuls run on goes into maintenance from {at}"
            f"{f' ({why})' if why else ''}.\nThese capsuls are on it:\n\n{listed}\n\n"
            "They may be moved to another host or stopped for a while; we will start them again afterwards.\n"
            "Nothing on their disks is lost. You can follow them on the console.\n")


async def set_state(pool, mailer: Mailer, host_id: str, state: str, why: str | None,
                    start: datetime.datetime | None = None) -> tuple[dict, int]:
    """Set the host's state; going into maintenance, mail each person with capsuls on it. Returns
    (the state row, how many people were mailed)."""
    async with db.cursor(pool) as cur:
        async with cur.begin():
            row = await hosts.set_host_state(cur, host_id, state, why, start)
            people = await hosts.people_on(cur, host_id) if state == "maintenance" else []
            await hosts.notify_changed(cur)
    mailed = 0
    for person in people:
        subject, body = maintenance_mail(host_id, row["maintenance_from"], why, person["capsuls"])
        try:
            await mailer.send(person["account"], subject, body)
            mailed += 1
        except MailFailed:
            log.error("%s was not told of the maintenance of %s", person["account"], host_id)
    log.info("host %s is %s (was %s)%s", host_id, state, row["before"], f": {why}" if why else "")
    return row, mailed


async def run(pool, config, args: argparse.Namespace) -> int:
    state = STATE_OF_COMMAND[args.command]
    try:
        row, mailed = await set_state(pool, Mailer(config), args.host, state, args.reason,
                                      getattr(args, "start", None))
    except db.NotFound as e:
        print(f"capsul: {e}", file=sys.stderr)
        return 2
    if state == "maintenance":
        said = f"from {row['maintenance_from']:%Y-%m-%d %H:%M %Z}; {mailed} person(s) mailed"
    else:
        said = {"draining": "no new capsuls are placed on it, and none grows in place",
                "active": "capsuls are placed on it again"}[state]
    print(f"host {args.host} is {state} (was {row['before']}): {said}")
    return 0
