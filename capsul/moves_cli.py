"""`run.py` commands that move capsuls between hosts (docs/moves.md), run where a hub runs, with its
configuration (its database, and the CA its spokes' certificates come from):

    run.py move CAPSUL HOST [--cold] [--new-addresses]
                                move one capsul to HOST, on its network segment: live while it runs,
                                or cold (shut down, its disk copied, started there); to another
                                segment only cold, with new addresses, its owner told first
    run.py evacuate HOST        move every capsul off a draining HOST, by the placement rules
    run.py return HOST          move back to HOST (active again) what an evacuation moved off it

Each prints a line per capsul as it goes and a summary; exit status 0 when everything moved, 1 when
something did not (each said, in words), 2 for a refusal before anything moved.
"""
from __future__ import annotations

import sys
import uuid

from capsul import tls
from capsul.hub.capsuls import CapsulError, Hub
from capsul.hub.moves import MoveFailed, describe_outcome, evacuate, move_capsul, return_to
from capsul.hub.spokes.client import SpokeClient

COMMANDS = ("move", "evacuate", "return")


def add_parsers(commands) -> None:
    move = commands.add_parser("move", help="move a running capsul live to another host on its network segment")
    move.add_argument("capsul", help="the capsul's id, e.g. capsul-abcde12345")
    move.add_argument("host", help="the host to move it to")
    move.add_argument("--cold", action="store_true", help="shut it down, copy its disk and start it there, instead "
                                                          "of moving it while it runs (a stopped capsul always "
                                                          "moves so)")
    move.add_argument("--new-addresses", action="store_true",
                      help="to a host not on its network segment: cold, with addresses of that host's segment; its "
                           "owner is told first")
    evac = commands.add_parser("evacuate", help="move every capsul off a draining host, by the placement rules")
    evac.add_argument("host", help="the host to empty (drain it first)")
    back = commands.add_parser("return", help="move back to a host what an evacuation moved off it")
    back.add_argument("host", help="the host (active again)")


def _ca(config):
    if config.tls_ca_file:
        return config.tls_ca_file
    own = config.tls_dir / "ca.pem"
    return own if own.exists() else None


async def run(pool, config, args) -> int:
    from capsul.node import http_client  # the hub's own client set-up, for its signed calls

    async with http_client(tls.client_context(_ca(config))) as session:
        hub = Hub.create(pool, SpokeClient(session), config)
        try:
            if args.command == "move":
                result = await move_capsul(hub, args.capsul, args.host, operation_id=uuid.uuid4(), cold=args.cold,
                                           new_addresses=args.new_addresses)
                downtime = result.get("downtime_ms")
                if result.get("cold"):
                    said = f" ({describe_outcome(result)})"
                else:
                    said = (f" ({downtime} ms without service, {result.get('elapsed_ms')} ms in all)"
                            if downtime is not None else "")
                print(f"{args.capsul}: moved to {args.host}{said}", flush=True)
                return 0
            report = await (evacuate if args.command == "evacuate" else return_to)(
                hub, args.host, told=lambda line: print(line, flush=True))
        except CapsulError as e:
            print(f"capsul {args.command}: {e}", file=sys.stderr)
            return 1 if isinstance(e, MoveFailed) else 2  # tried and failed, or refused before anything moved
        return 0 if not report.not_moved else 1
