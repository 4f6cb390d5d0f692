"""One capsul process: hub, spoke, or both, with the resources they share.

Two listeners with different apps — the web console (HTTP) and the hub↔spoke API
(HTTPS, with /hub/* and/or /spoke/* sub-apps) — share one database pool, one aiohttp
client session and one libvirt connection, so the process owns these resources here
(an AsyncExitStack, unwound in reverse on stop) and hands them to the pure app
factories, rather than tying each to one app's cleanup_ctx.

Even when hub and spoke share the process they talk through the HTTPS listener with
signed requests: one code path, no shortcut.
"""
from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from dataclasses import dataclass

import aiohttp
import aiopg
from aiohttp import web

from capsul import errors, health, slow_clients, tls
from capsul.config import Config, Listen, Role
from capsul.embedded_postgres import EmbeddedPostgres
from capsul.hub import capsul_changes, db, firewall, moves, reverse_dns, usage
from capsul.hub.backups import jobs as backup_jobs
from capsul.hub.billing import low_balance
from capsul.hub.billing.metering import run_metering
from capsul.hub.capsuls import Hub
from capsul.hub.console import create_console_app
from capsul.hub.console.sessions import session_key
from capsul.hub.db import hosts, migrations, networks
from capsul.hub.housekeeping import run_housekeeping
from capsul.hub.keys import db_pool, resyncer, spoke_client
from capsul.hub.connections import Connections, connection_caps
from capsul.hub.live import Broadcaster, ChangeListener
from capsul.hub.mailer import Mailer
from capsul.hub.spokes.client import SpokeClient
from capsul.hub.spokes.endpoints import create_hub_endpoints
from capsul.hub.spokes.heartbeats import SweepStatus, run_heartbeats
from capsul.hub.spokes.resync import Resyncer
from capsul.signing import MAX_BODY
from capsul.spoke import prometheus as spoke_prometheus
from capsul.spoke import serial_console
from capsul.spoke.endpoints import create_spoke_endpoints
from capsul.spoke.move_endpoints import create_move_endpoints
from capsul.spoke.events import EventOutbox
from capsul.spoke.host_keys import HostKeyScanner
from capsul.spoke.hub_client import HubClient, announce
from capsul.spoke.journal import SeqJournal
from capsul.spoke.keys import hypervisor, metrics_token, operations, state, usage_sampler
from capsul.spoke.operations import SpokeOperations
from capsul.spoke.state import SpokeState
from capsul.spoke.usage import UsageSampler
from capsul.spoke.kept_domains import TEST_DRIVER_URI, KeptDomains
from capsul.spoke.virt import Hypervisor

log = logging.getLogger(__name__)


# For the embedded test:/// spoke: documentation addresses (RFC 5737 TEST-NET-1, RFC 3849), the
# gateway (.1, ::1) never handed out, so a newcomer sees what a real pool gives a capsul.
TEST_HYPERVISOR_POOL = networks.parse_pool("192.0.2.0/24", gateway="192.0.2.1", dns_servers=["192.0.2.1"],
                                           ipv6_cidr="2001:db8::/64", ipv6_gateway="2001:db8::1")


class StartError(Exception):
    """The process cannot start; str() is one line for the operator."""


def bind(listen: Listen, variable: str) -> socket.socket:
    """Bind now, so a taken port fails fast with a clear message and port 0 gets its number."""
    try:
        infos = socket.getaddrinfo(listen.host, listen.port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise StartError(f"{variable}: cannot resolve {listen.host!r}: {e.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as e:
        sock.close()
        hint = " (another capsul running? set it to a free port)" if e.errno == errno.EADDRINUSE else ""
        raise StartError(f"{variable}: cannot listen on {listen}: {e.strerror}{hint}") from None
    sock.listen(512)
    sock.setblocking(False)
    return sock


async def _ensure_test_hypervisor_pool(cur, host_id: str) -> None:
    """The test hypervisor runs no real VMs: documentation addresses will do. One an operator set is
    kept, and an older release's pool without a gateway was mended by a migration
    (hub/db/migrations/0002_embedded_pool_gateway.py)."""
    if await networks.has_pool(cur, host_id):
        return
    async with cur.begin():
        await networks.add_host_network(cur, host_id, TEST_HYPERVISOR_POOL)
    log.info("gave spoke %s the pool %s and %s, gateways %s and %s (run.py add-network to change it)",
             host_id, TEST_HYPERVISOR_POOL.cidr, TEST_HYPERVISOR_POOL.ipv6_cidr, TEST_HYPERVISOR_POOL.gateway,
             TEST_HYPERVISOR_POOL.ipv6_gateway)


def _url(scheme: str, sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"  # reachable from this machine; others use the machine's name
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def _certificate_names(config: Config, api_host: str) -> list[str]:
    names = ["localhost", "127.0.0.1", "::1"]
    if api_host not in ("0.0.0.0", "::"):
        names.append(api_host)
    else:
        names.append(socket.gethostname())
    names.extend(config.tls_hostnames)
    return list(dict.fromkeys(names))  # keep order, drop repeats


@dataclass(frozen=True)
class SpokeParts:
    """What a spoke runs on: its libvirt connection, event outbox, hub client, operations, usage sampler
    and host key scanner (None on the test driver)."""
    virt: Hypervisor
    outbox: EventOutbox
    hub: HubClient
    operations: SpokeOperations
    usage: UsageSampler
    host_keys: HostKeyScanner | None = None


@contextlib.asynccontextmanager
async def http_client(ssl_context):
    """The process's one HTTP client session, for every hub↔spoke call. No limit on its kept
    connections: a hub keeps one per spoke, so a sweep of 1,000 spokes reuses them rather than
    making hundreds of new TLS handshakes each round (in-flight calls are bounded elsewhere)."""
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ssl_context, limit=0))
    try:
        yield session
    finally:
        await session.close()


class Node:
    def __init__(self, config: Config):
        self.config = config
        self.console_url: str | None = None
        self.api_url: str | None = None
        self.pool: aiopg.Pool | None = None
        self.postgres: EmbeddedPostgres | None = None
        self.spoke_state: SpokeState | None = None
        self.api_app: web.Application | None = None
        self.console_app: web.Application | None = None
        self.hub: Hub | None = None  # the service layer, when this process is a hub
        self.sweep_status = SweepStatus()
        self.resyncer: Resyncer | None = None
        self.dsn: str | None = None
        self.broadcaster = Broadcaster()  # this process's websocket clients
        self.connections = Connections(connection_caps(config))  # its live and console connections
        self.change_listener: ChangeListener | None = None
        self._health_check: health.HealthCheck | None = None
        self._stack = contextlib.AsyncExitStack()

    @property
    def hypervisor(self) -> Hypervisor:
        """The spoke's libvirt connection (tests and benchmarks drive domains through it)."""
        if self.api_app is None or not self.config.role.spoke:
            raise RuntimeError("this node runs no spoke")
        return self.api_app[hypervisor]

    @property
    def spoke_operations(self) -> SpokeOperations:
        if self.api_app is None or not self.config.role.spoke:
            raise RuntimeError("this node runs no spoke")
        return self.api_app[operations]

    @property
    def spoke_client(self) -> SpokeClient:
        """The hub's client for calling spokes."""
        if self.api_app is None or not self.config.role.hub:
            raise RuntimeError("this node runs no hub")
        return self.api_app[spoke_client]

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        """Listeners, TLS, database, the spoke sharing the process, the HTTP client, the
        hypervisor, apps and background work, in that order; each registered on the exit
        stack as it starts, so a failure or stop unwinds exactly what started."""
        config = self.config
        # listeners first: fail fast on a taken port, learn the real port when 0
        api_sock = self._listen(config.api_listen, "API_LISTEN")
        self.api_url = _url("https", api_sock)
        console_sock = self._listen(config.console_listen, "CONSOLE_LISTEN") if config.role.hub else None
        if console_sock is not None:
            self.console_url = _url("http", console_sock)
        server_ssl, client_ssl = await self._tls()
        if config.role.hub:
            await self._open_database()
        if config.role is Role.BOTH:
            self.config = await self._register_local_spoke()
        session = await self._stack.enter_async_context(http_client(client_ssl))
        spoke = await self._start_spoke(session) if self.config.role.spoke else None
        await self._serve(self._api_app(session, spoke), api_sock, server_ssl)
        if self.config.role.hub:
            key = await session_key(self.pool, self.config)
            self.console_app = create_console_app(self.config, self.pool, self._health_check, self.hub,
                                                  self.broadcaster, self.connections, key, self.console_url, session)
            await self._serve(self.console_app, console_sock, None)
            self._start_hub_work()
        if spoke is not None:
            self._start_spoke_work(spoke)

    def _listen(self, listen: Listen, variable: str) -> socket.socket:
        sock = bind(listen, variable)
        self._stack.callback(sock.close)
        return sock

    async def _tls(self) -> tuple:
        """(server, client) SSL contexts: the configured certificate, or a self-signed one under var/tls."""
        config = self.config
        if config.tls_cert_file:
            tls_files = tls.TlsFiles(config.tls_cert_file, config.tls_key_file, config.tls_ca_file)
        else:
            self_signed = await asyncio.to_thread(
                tls.ensure_self_signed, config.tls_dir, _certificate_names(config, config.api_listen.host))
            tls_files = tls.TlsFiles(self_signed.cert, self_signed.key, config.tls_ca_file or self_signed.ca)
        try:
            return tls.server_context(tls_files), tls.client_context(tls_files.ca)
        except (OSError, ValueError) as e:
            raise StartError(f"TLS: cannot load certificate, key or CA: {e}") from None

    async def _open_database(self) -> None:
        """The hub's pool on DATABASE_URL, or on the embedded cluster (started here, stopped on exit)."""
        dsn = self.config.database_url
        if dsn is None:
            self.postgres = EmbeddedPostgres(self.config.postgres_dir, self.config.pg_bin_dir)
            await self.postgres.ensure_running()
            # NOTE: stop it on exit even if an earlier run left it running: this process owns it now.
            self._stack.push_async_callback(self.postgres.stop)
            dsn = self.postgres.dsn
        self.dsn = dsn
        self.pool = await db.create_pool(dsn)
        self._stack.push_async_callback(self._close_pool)
        try:
            await db.bring_schema_up_to_date(self.pool, auto_migrate=self.config.auto_migrate)
        except migrations.Refused as e:
            raise StartError(str(e)) from None

    async def _register_local_spoke(self) -> Config:
        """The spoke sharing this process is registered with fresh tokens at every start; the
        config it runs with carries them and the hub's URL."""
        config = self.config
        async with db.cursor(self.pool) as cur:
            token, hub_token = await hosts.register_local_host(cur, config.spoke_host_id, self.api_url)
            if config.libvirt_uri.startswith("test:"):
                await _ensure_test_hypervisor_pool(cur, config.spoke_host_id)
        return config.replace(hub_url=self.api_url, spoke_host_token=token, hub_token=hub_token)

    async def _start_spoke(self, session: aiohttp.ClientSession) -> SpokeParts:
        """The hypervisor connection, the event outbox and the operations of this spoke."""
        config = self.config
        journal = SeqJournal(config.spoke_dir / "event-seq")
        first_seq = await asyncio.to_thread(journal.load)
        self.spoke_state = SpokeState(config.spoke_host_id, last_event_seq=first_seq - 1)
        outbox = EventOutbox(self.spoke_state, journal, stopped_debounce=config.stopped_debounce)
        virt = Hypervisor(config.libvirt_uri)
        kept = KeptDomains(config.spoke_dir / "test-domains.json", virt) \
            if config.libvirt_uri == TEST_DRIVER_URI else None
        firewall_seen = []  # the firewall keeper, once made: it hears of capsuls started (names of interfaces)
        # NOTE: one callback: libvirt refuses a second registration for the same events
        virt.on_lifecycle(lambda *event: (outbox.emit(*event), kept and kept.changed(),
                                          [keeper.domain_changed(*event) for keeper in firewall_seen]))
        await virt.connect()
        self._stack.push_async_callback(virt.close)
        if kept is not None:
            await kept.restore()
            self._stack.push_async_callback(kept.close)  # NOTE: before virt.close: it reads the domains
        for vm_id in await virt.finish_interrupted_builds():
            log.warning("started %s: its build was interrupted (this spoke stopped mid-way)", vm_id)
        hub = HubClient(session, config)
        spoke_ops = SpokeOperations(config, virt, hub, outbox)
        self._stack.push_async_callback(spoke_ops.close)
        self._stack.push_async_callback(spoke_ops.firewall.close)
        await spoke_ops.firewall.start()  # the rules as last given, before the hub is reached
        firewall_seen.append(spoke_ops.firewall)
        for line in await spoke_ops.changes.recover():
            log.warning("%s: this spoke stopped in the middle of it", line)
        for line in await spoke_ops.backups.recover():
            log.warning("%s: this spoke stopped in the middle of it", line)
        for line in await spoke_ops.moves.recover():
            log.warning("%s: this spoke stopped in the middle of it; its outcome is read from where the capsul is",
                        line)
        await spoke_ops.start_images()
        # the test driver runs no guests, so it has no console logs to read host keys from
        scanner = HostKeyScanner(config.vm_storage_dir, outbox.emit_host_keys) if spoke_ops.storage.real else None
        if scanner is not None:
            spoke_ops.changes.forget_host_keys = scanner.forget
        return SpokeParts(virt, outbox, hub, spoke_ops, UsageSampler(virt), scanner)

    def _api_app(self, session: aiohttp.ClientSession, spoke: SpokeParts | None) -> web.Application:
        """The hub↔spoke listener's app: /healthz, and /hub/* and/or /spoke/*."""
        config = self.config
        api = web.Application(middlewares=[errors.json_errors_middleware,
                                           slow_clients.body_deadline(config.request_body_timeout)],
                              client_max_size=MAX_BODY)
        api.router.add_get("/healthz", health.healthz, name="healthz")
        self._health_check = health.HealthCheck(config, self.pool, spoke.virt if spoke else None, self.spoke_state,
                                                self.sweep_status if config.role.hub else None)
        if spoke is not None:
            self._health_check.firewall = spoke.operations.firewall
        api[health.health_check] = self._health_check
        if config.role.hub:
            api[db_pool] = self.pool
            api[spoke_client] = SpokeClient(session)
            self.hub = Hub.create(self.pool, api[spoke_client], config)
            self.resyncer = api[resyncer] = Resyncer(self.pool, self.hub.dispatcher, config)
            api.add_subapp("/hub/", create_hub_endpoints(self.pool))
        if spoke is not None:
            api[hypervisor] = spoke.virt
            api[state] = self.spoke_state
            api[operations] = spoke.operations
            api[usage_sampler] = spoke.usage
            api[serial_console.consoles] = serial_console.ConsoleSessions(spoke.virt, spoke.operations.storage)
            api[metrics_token] = config.metrics_token or ""
            api.router.add_get("/metrics", spoke_prometheus.spoke_metrics, name="spoke_metrics")
            api.on_shutdown.append(serial_console.end_all_on_shutdown)
            api.add_subapp("/spoke/", create_spoke_endpoints(config))
            api.add_subapp("/moves/", create_move_endpoints(spoke.operations.moves))
        self.api_app = api
        return api

    def _start_hub_work(self) -> None:
        config = self.config
        self._background(run_heartbeats(self.pool, self.spoke_client, config, self.sweep_status), "heartbeats")
        self._background(run_housekeeping(self.pool, config), "housekeeping")
        self._background(capsul_changes.resume_forever(self.hub), "unfinished rebuilds and resizes")
        self._background(moves.resume_forever(self.hub), "unfinished moves")
        self._background(firewall.resync_forever(self.hub), "firewall resync")
        if reverse_dns.offered(config):
            self._background(reverse_dns.sync_forever(self.hub), "reverse DNS")
        if config.backup_store:
            self._background(backup_jobs.run_forever(self.hub), "backups")
        self._background(self.resyncer.run(), "resync")
        self.hub.metrics.sweep_status = self.sweep_status
        if config.billing_enabled:
            mailer = Mailer(config)

            async def after_metering(now) -> None:
                self.hub.metrics.metering_runs.inc()
                await low_balance.check_all(self.hub, mailer, now)

            self._background(run_metering(self.pool, config.metering_interval, after_run=after_metering), "metering")
        self._background(usage.run_rollups(self.pool, Mailer(config)), "usage roll-ups")
        self.change_listener = ChangeListener(self.dsn, self.pool, self.broadcaster, self.connections)
        self._background(self.change_listener.run(), "change listener")
        self._background(self.broadcaster.run_pings(), "websocket pings")

    def _start_spoke_work(self, spoke: SpokeParts) -> None:
        config = self.config

        def announce_again() -> None:  # after libvirt comes back: the hub answers with a full resync
            self._background(announce(spoke.hub, spoke.virt, self.spoke_state, timeout=config.heartbeat_timeout),
                             "re-announce")

        self._background(announce(spoke.hub, spoke.virt, self.spoke_state, timeout=config.heartbeat_timeout),
                         "announce")
        spoke.virt.on_reconnect(announce_again)
        self._background(spoke.outbox.push_forever(spoke.hub, timeout=config.operation_timeout), "event pusher")
        self._background(spoke.usage.run(spoke.hub, interval=config.metrics_interval,
                                         timeout=config.operation_timeout), "usage sampler")
        if spoke.host_keys is not None:
            self._background(spoke.host_keys.run(), "host key scanner")
        self._background(spoke.operations.clean_images_forever(), "unused OS images")
        self._background(spoke.operations.firewall.check_forever(), "firewall check")

    async def _serve(self, app: web.Application, sock: socket.socket, ssl_context) -> None:
        # NOTE: keepalive_timeout is also the deadline for a request's head (capsul/slow_clients.py).
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=5,
                               keepalive_timeout=self.config.request_head_timeout)
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        cap = slow_clients.AddressCap(self.config.connections_per_address, self.config.trusted_proxies)
        await slow_clients.GuardedSite(runner, sock, ssl_context=ssl_context, cap=cap).start()

    def _background(self, coro, name: str) -> None:
        task = asyncio.create_task(coro, name=name)

        async def cancel() -> None:
            # NOTE: Python 3.11's asyncio.wait_for (inside aiopg) can swallow a cancel that lands
            # as a query completes; the task then runs on. Cancel again until it has ended.
            while not task.done():
                task.cancel()
                await asyncio.wait([task], timeout=1)
            with contextlib.suppress(asyncio.CancelledError):
                await task

        def report(t: asyncio.Task) -> None:
            if not t.cancelled() and t.exception() is not None:
                log.error("background task %s died", name, exc_info=t.exception())

        task.add_done_callback(report)
        self._stack.push_async_callback(cancel)

    async def _close_pool(self) -> None:
        self.pool.close()
        try:
            # A connection still held (say, by a request cut off at shutdown) would wait forever.
            await asyncio.wait_for(self.pool.wait_closed(), 5)
        except TimeoutError:
            log.warning("database connections still in use after 5 s; closing them")
            self.pool.terminate()
            await self.pool.wait_closed()

    async def drain(self, seconds: float, cut_short: asyncio.Event | None = None) -> None:
        """Before stopping: /healthz answers 503 "draining" for `seconds` while everything is still
        served, so a load balancer takes this hub out before it stops listening (a rolling restart
        then fails no request). Ends early when `cut_short` is set (a second SIGTERM or Ctrl-C)."""
        if not self.config.role.hub or seconds <= 0 or self._health_check is None:
            return
        self._health_check.draining = True
        log.info("draining for %g s (DRAIN_SECONDS): /healthz says 503 so balancers send elsewhere", seconds)
        try:
            await asyncio.wait_for((cut_short or asyncio.Event()).wait(), seconds)
        except TimeoutError:
            pass

    async def stop(self) -> None:
        """Stop listening, finish requests in flight (websockets are told GOING_AWAY), stop the rest."""
        await self._stack.aclose()
