#!/usr/bin/env python3
"""capsul's entry point.

    python run.py                              hub and spoke in one process (embedded default)
    python run.py --hub                        the hub alone
    python run.py --spoke                      a spoke alone (needs HUB_URL, SPOKE_HOST_ID, tokens)
    python run.py add-host --id ID --url URL   register a spoke; prints its two token lines
    python run.py rotate-token --id ID         new tokens; the old ones stay valid for a grace period
    python run.py add-network --id ID --cidr CIDR --gateway IP [--dns IP ...] [--first IP --last IP]
                              [--ipv6-cidr CIDR --ipv6-gateway IP] [--network NAME]
                              [--segment NAME] [--cpu-model NAME]
                                               an address pool for a spoke's capsuls
    python run.py remove-network --id ID [--network NAME]
                                               remove a pool that no live capsul uses
    python run.py networks                     every pool, and what each guest is told
    python run.py db-status                    which schema the hub's database has, and what would change
    python run.py migrate [--dry-run]          apply the database migrations this version brings
    python run.py --version                    this code's version
    python run.py conflicts                    VMs reported by a host that does not own them
    python run.py issue-cert --name NAME --out DIR
                                               a certificate from the local CA, for a spoke elsewhere
    python run.py watch                        print your capsul events live (CAPSUL_URL, CAPSUL_TOKEN)
    python run.py console CAPSUL               a capsul's serial console in this terminal; Ctrl-] leaves
    python run.py rebuild CAPSUL --confirm CAPSUL [--os IMAGE] [--key NAME ...]
                                               reinstall it: its disk is erased, id and addresses stay
    python run.py resize CAPSUL SIZE [--at-next-stop] [--force]
                                               another size: vCPUs and memory at a restart, the disk grown
    python run.py move CAPSUL HOST             move a running capsul live to another host on its segment
    python run.py evacuate HOST | return HOST  move every capsul off a draining host, or back to it
    python run.py drain HOST | maintenance HOST [--from TIME] | activate HOST
                                               a host's state: no new capsuls, maintenance (people mailed), back

Configuration comes from the environment and an optional .env file (see README).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import shutil
import signal
import sys
from pathlib import Path

import psycopg2

from capsul import catalog_cli, changes_cli, hosts_cli, moves_cli, serial_console_cli, tls, watch
from capsul.config import HOST_ID_RE, ConfigError, Role, load_config, parse_https_url
from capsul.embedded_postgres import EmbeddedPostgres, PostgresError
from capsul.hub.db import migrations
from capsul.node import Node, StartError
from capsul.spoke.virt import HypervisorError
from capsul.version import VERSION

# Young-generation collections every 50,000 allocations (not 700), a full pass after 100 of the
# middle one's: see serve().
GC_THRESHOLDS = (50_000, 20, 100)

log = logging.getLogger("capsul")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="run.py", description="capsul: small virtual machines, hub and spokes")
    parser.add_argument("--version", action="version", version=f"capsul {VERSION}")
    roles = parser.add_mutually_exclusive_group()
    roles.add_argument("--hub", action="store_true", help="run only the hub (web console, database, heartbeats)")
    roles.add_argument("--spoke", action="store_true", help="run only a spoke (libvirt host)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add = commands.add_parser("add-host", help="register a spoke and print the tokens for its config")
    add.add_argument("--id", required=True, help="the spoke's id (its SPOKE_HOST_ID)")
    add.add_argument("--url", required=True, help="the spoke's API URL, e.g. https://spoke1.example:5443")
    rotate = commands.add_parser("rotate-token", help="issue new tokens for a spoke; old ones stay valid a while")
    rotate.add_argument("--id", required=True, help="the spoke's id")
    net = commands.add_parser("add-network", help="give a spoke an address pool for its capsuls (replaces the "
                                                  "pool on the same libvirt network)")
    net.add_argument("--id", required=True, help="the spoke's id")
    net.add_argument("--cidr", required=True, help="the IPv4 network, e.g. 203.0.113.0/24")
    net.add_argument("--gateway", help="the IPv4 router capsuls route through, inside --cidr and never handed out "
                                       "(without it the pool is kept but no capsul is placed on it)")
    net.add_argument("--dns", action="append", default=[], metavar="IP",
                     help="a DNS server the guests use (repeat, or separate with commas)")
    net.add_argument("--first", help="first address to hand out (default: the network's first host address, "
                                     "or the one after the gateway)")
    net.add_argument("--last", help="last address to hand out (default: the network's last host address, "
                                    "or the one before the gateway)")
    net.add_argument("--ipv6-cidr", help="an IPv6 network routed to this pool, e.g. 2001:db8:1::/64; each capsul "
                                         "gets one address from it")
    net.add_argument("--ipv6-gateway", help="the IPv6 router: an address inside --ipv6-cidr or its fe80:: one")
    net.add_argument("--network", default="default", help="the libvirt network capsuls attach to (default: default)")
    net.add_argument("--segment", help="the network segment (L2 or VLAN) the pool is on; hosts giving the same segment "
                                       "share its addresses, and capsuls move live between them keeping theirs "
                                       "(default: a segment of this host alone, HOST/NETWORK)")
    net.add_argument("--cpu-model", help="the named CPU model guests on the segment get (e.g. qemu64), so that they can "
                                         "move live between its hosts (default: the hypervisor's)")
    remove = commands.add_parser("remove-network", help="remove a spoke's pool that no live capsul uses")
    remove.add_argument("--id", required=True, help="the spoke's id")
    remove.add_argument("--network", default="default", help="the pool's libvirt network (default: default)")
    commands.add_parser("networks", help="list every pool: addresses, gateways, DNS, libvirt network, use")
    commands.add_parser("db-status", help="which migrations the hub's database has, which it lacks, and which "
                                          "capsul versions may run on it")
    migrate = commands.add_parser("migrate", help="apply the migrations this version brings (back up first: "
                                                  "docs/upgrading.md)")
    migrate.add_argument("--dry-run", action="store_true", help="only say what would be applied")
    commands.add_parser("conflicts", help="list VMs reported by a host that does not own them")
    cert = commands.add_parser("issue-cert", help="issue a TLS certificate from this machine's CA "
                                                  "(CAPSUL_VAR_DIR/tls) for a spoke on another machine")
    cert.add_argument("--name", action="append", required=True,
                      help="a DNS name or IP address the certificate covers (repeat for more)")
    cert.add_argument("--out", required=True, help="folder to write cert.pem, key.pem and ca.pem to")
    catalog_cli.add_parsers(commands)
    hosts_cli.add_parsers(commands)
    moves_cli.add_parsers(commands)
    commands.add_parser("watch", help="print your capsul events as they happen (a client: reads CAPSUL_URL and "
                                      "CAPSUL_TOKEN, an API token from the console)")
    console = commands.add_parser("console", help="a capsul's serial console in this terminal (a client: reads "
                                                  "CAPSUL_URL and CAPSUL_TOKEN, a read-write API token); Ctrl-] leaves")
    console.add_argument("capsul", help="the capsul's id, e.g. capsul-abcde12345")
    changes_cli.add_parsers(commands)
    args = parser.parse_args(argv)
    catalog_cli.check(parser, args)
    if args.command and (args.hub or args.spoke):
        parser.error(f"{args.command} runs against the hub's database; drop --hub/--spoke")
    if args.command in ("add-host", "rotate-token", "add-network", "remove-network"):
        if not HOST_ID_RE.match(args.id):
            parser.error("--id: use 1-63 of a-z 0-9 _ . - starting with a letter or digit")
    return args


async def serve(config) -> int:
    """Run until SIGINT or SIGTERM, then shut everything down (embedded PostgreSQL included)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    node = Node(config)
    # NOTE: a signal during start is acted on once start has finished, so a half-started
    # embedded PostgreSQL is never left behind.
    await node.start()
    # What start made (modules, app, pools) lives as long as the process: out of the collector's
    # full passes for good. And full passes rarer: with thousands of websockets connected each
    # one walks all their objects and stopped a hub for 0.3-0.6 s (bench/many_clients.py).
    gc.freeze()
    gc.set_threshold(GC_THRESHOLDS[0], GC_THRESHOLDS[1], GC_THRESHOLDS[2])
    print(f"capsul {config.role.value} running", flush=True)
    if node.console_url:
        print(f"  web console:   {node.console_url}/", flush=True)
    print(f"  hub-spoke API: {node.api_url}/", flush=True)
    await stopping.wait()
    stopping.clear()
    await node.drain(config.drain_seconds, cut_short=stopping)
    log.info("shutting down")
    await node.stop()
    log.info("stopped")
    return 0


@contextlib.asynccontextmanager
async def hub_database(config, *, schema: bool = True):
    """A pool on the hub's database, starting (and afterwards stopping) the embedded one if needed;
    its schema brought up to date as a hub's start would (AUTO_MIGRATE), unless `schema` is False."""
    from capsul.hub import db

    postgres, started = None, False
    dsn = config.database_url
    if dsn is None:
        postgres = EmbeddedPostgres(config.postgres_dir, config.pg_bin_dir)
        started = await postgres.ensure_running()
        dsn = postgres.dsn
    try:
        pool = await db.create_pool(dsn, maxsize=2)
        try:
            if schema:
                try:
                    await db.bring_schema_up_to_date(pool, auto_migrate=config.auto_migrate)
                except migrations.Refused as e:
                    raise StartError(str(e)) from None
            yield pool
        finally:
            pool.close()
            await pool.wait_closed()
    finally:
        if started:
            await postgres.stop()


async def issue_tokens(config, args) -> int:
    """add-host or rotate-token: write the tokens to the hub's database and print the two lines."""
    from capsul.hub import db
    from capsul.hub.db import hosts

    async with hub_database(config) as pool, db.cursor(pool) as cur:
        try:
            if args.command == "add-host":
                token, hub_token = await hosts.add_host(cur, args.id, args.url)
                note = (f"spoke {args.id} registered; put these lines in its config (.env), "
                        f"with HUB_URL and SPOKE_HOST_ID={args.id}")
            else:
                token, hub_token = await hosts.rotate_tokens(cur, args.id, config.token_grace_period)
                note = (f"new tokens for spoke {args.id}; the old ones stay valid for "
                        f"{config.token_grace_period:g} s (TOKEN_GRACE_PERIOD): update the spoke's config "
                        f"and restart it before then")
        except (db.Conflict, db.NotFound) as e:
            print(f"capsul: {e}", file=sys.stderr)
            return 2
    print(f"# {note}", file=sys.stderr)
    print(f"SPOKE_HOST_TOKEN={token}\nHUB_TOKEN={hub_token}", flush=True)
    return 0


async def add_network(config, args) -> int:
    from capsul.hub import db
    from capsul.hub.db import networks

    dns = [d for value in args.dns for d in value.split(",") if d.strip()]
    try:
        pool = networks.parse_pool(args.cidr, args.first, args.last, gateway=args.gateway, dns_servers=dns,
                                   ipv6_cidr=args.ipv6_cidr, ipv6_gateway=args.ipv6_gateway)
    except ValueError as e:
        print(f"capsul: {e}", file=sys.stderr)
        return 2
    async with hub_database(config) as pool_db, db.cursor(pool_db) as cur:
        try:
            async with cur.begin():
                row = await networks.add_host_network(cur, args.id, pool, network_name=args.network,
                                                      segment=args.segment, cpu_model=args.cpu_model)
        except (db.Conflict, db.NotFound, ValueError) as e:
            print(f"capsul: {e}", file=sys.stderr)
            return 2
    print(f"host {args.id}: {networks.describe_pool(row)}")
    if row["gateway"] is None:
        print("capsul: warning: this pool has no gateway, so no capsul is placed on it (its guests would have no "
              "route); run add-network again with --gateway", file=sys.stderr)
    if not row["dns_servers"]:
        print("capsul: note: no --dns given: guests get no DNS servers from capsul", file=sys.stderr)
    return 0


async def remove_network(config, args) -> int:
    from capsul.hub import db
    from capsul.hub.db import networks

    async with hub_database(config) as pool_db, db.cursor(pool_db) as cur:
        try:
            async with cur.begin():
                row = await networks.remove_pool(cur, args.id, args.network)
        except (db.Conflict, db.NotFound) as e:
            print(f"capsul: {e}", file=sys.stderr)
            return 2
    print(f"host {args.id}: removed {networks.describe_pool(row)}")
    return 0


async def db_status(config) -> int:
    """Exit 0 when this code may run on the database as it is, 1 when it needs migrating, 2 when refused."""
    async with hub_database(config, schema=False) as pool:
        status = await migrations.status(pool)
    print(f"capsul {VERSION}")
    for line in migrations.describe(status):
        print(line)
    return 2 if status.refusal else 0 if status.up_to_date or status.kind == "empty" else 1


async def migrate(config, dry_run: bool) -> int:
    async with hub_database(config, schema=False) as pool:
        status = await migrations.status(pool)
        for line in migrations.describe(status):
            print(line)
        if status.refusal:
            return 2
        if dry_run or not status.pending:
            return 0
        try:
            _, told = await migrations.upgrade(pool)
        except migrations.Refused as e:
            print(f"capsul: {e}", file=sys.stderr)
            return 2
    for line in told:
        print(line)
    return 0


async def list_networks(config) -> int:
    from capsul.hub import db
    from capsul.hub.db import networks

    async with hub_database(config) as pool_db, db.cursor(pool_db) as cur:
        pools = await networks.list_pools(cur)
    for row in pools:
        print(f"{row['host_id']}: {networks.describe_pool(row)}; {row['taken']} of {row['size']} IPv4 in use")
    print(f"{len(pools)} pool(s)", file=sys.stderr)
    return 0


async def list_conflicts(config) -> int:
    from capsul.hub import db
    from capsul.hub.db import vm_events

    async with hub_database(config) as pool, db.cursor(pool) as cur:
        conflicts = await vm_events.open_conflicts(cur)
    for c in conflicts:
        print(f"{c['vm_id']}  owner={c['owner']}  reported_by={c['reported_by']}  "
              f"seen={c['seen_at']:%Y-%m-%d %H:%M:%S}  operation={c['operation_id']}")
    print(f"{len(conflicts)} open ownership conflict(s)", file=sys.stderr)
    return 1 if conflicts else 0


async def run_catalog_command(config, args) -> int:
    async with hub_database(config) as pool:
        return await catalog_cli.run(pool, args)


async def run_hosts_command(config, args) -> int:
    async with hub_database(config) as pool:
        return await hosts_cli.run(pool, config, args)


async def run_moves_command(config, args) -> int:
    async with hub_database(config) as pool:
        return await moves_cli.run(pool, config, args)


def issue_cert(config, names: list[str], out: str) -> int:
    folder = Path(out).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    local = tls.ensure_self_signed(config.tls_dir, ["localhost", "127.0.0.1", "::1"])
    # a TLS client's certificate too: the libvirtd of a spoke dials another's with it for a live move (docs/moves.md)
    tls.issue_certificate(local.ca, config.tls_dir / "ca.key", names, folder / "cert.pem", folder / "key.pem",
                          client=True)
    shutil.copyfile(local.ca, folder / "ca.pem")
    print(f"# copy {folder} to the spoke and put these lines in its config; the hub trusts this CA already",
          file=sys.stderr)
    print(f"TLS_CERT_FILE={folder / 'cert.pem'}\nTLS_KEY_FILE={folder / 'key.pem'}\nTLS_CA_FILE={folder / 'ca.pem'}")
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.command == "watch":  # a client of some hub: no server configuration involved
        return watch.main()
    if args.command == "console":
        return serial_console_cli.main(args.capsul)
    if args.command in ("rebuild", "resize"):  # clients too
        return changes_cli.main(args)
    role = Role.HUB if args.hub or args.command else Role.SPOKE if args.spoke else Role.BOTH
    try:
        config = load_config(role)
        if args.command == "add-host":
            args.url = parse_https_url("--url", args.url)
    except ConfigError as e:
        print(f"capsul: configuration error: {e}", file=sys.stderr)
        return 2
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    try:
        if args.command in ("add-host", "rotate-token"):
            return asyncio.run(issue_tokens(config, args))
        if args.command == "conflicts":
            return asyncio.run(list_conflicts(config))
        if args.command == "add-network":
            return asyncio.run(add_network(config, args))
        if args.command == "remove-network":
            return asyncio.run(remove_network(config, args))
        if args.command == "db-status":
            return asyncio.run(db_status(config))
        if args.command == "migrate":
            return asyncio.run(migrate(config, args.dry_run))
        if args.command == "networks":
            return asyncio.run(list_networks(config))
        if args.command == "issue-cert":
            return issue_cert(config, args.name, args.out)
        if args.command in catalog_cli.COMMANDS:
            return asyncio.run(run_catalog_command(config, args))
        if args.command in hosts_cli.COMMANDS:
            return asyncio.run(run_hosts_command(config, args))
        if args.command in moves_cli.COMMANDS:
            return asyncio.run(run_moves_command(config, args))
        return asyncio.run(serve(config))
    except (StartError, PostgresError, HypervisorError) as e:
        print(f"capsul: cannot start: {e}", file=sys.stderr)
        return 1
    except psycopg2.Error as e:
        print(f"capsul: cannot start: database: {str(e).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # only before the signal handlers are in place
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
