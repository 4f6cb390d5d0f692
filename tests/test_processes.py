"""capsul as separate OS processes, as an operator runs it: `run.py --hub`, `run.py --spoke`,
`run.py add-host`, `run.py rotate-token`, and the zero-configuration `run.py`."""
import shutil
import signal
import socket
from pathlib import Path

import aiohttp
import aiopg
import pytest

from capsul import tls
from capsul.embedded_postgres import EmbeddedPostgres
from tests.conftest import HEALTH_HEADERS, eventually, shared_tmpdir
from tests.processes import CapsulProcess, run_cli, token_lines
from tests.spoke_cluster import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
async def processes():
    started: list = []  # CapsulProcess, or a client session to close
    yield started
    for p in started:
        await (p.close() if isinstance(p, aiohttp.ClientSession) else p.kill())


@pytest.fixture
async def hub_database(postgres):
    """A database of its own, so the hub process and the in-process tests never share rows."""
    name = "capsul_processes"
    async with aiopg.connect(postgres.dsn_for("postgres")) as conn, conn.cursor() as cur:
        await cur.execute(f"DROP DATABASE IF EXISTS {name}")
        await cur.execute(f"CREATE DATABASE {name}")
    yield postgres.dsn_for(name)


async def spokes_report(session: aiohttp.ClientSession, hub_console: str) -> dict:
    async with session.get(hub_console + "/healthz", headers=HEALTH_HEADERS) as resp:
        return (await resp.json())["spokes"]


async def test_hub_and_spoke_as_two_processes(tmp_path, hub_database, processes):
    """As on two machines: the hub makes its CA, issues the spoke a certificate, registers it."""
    common = {"HEARTBEAT_INTERVAL": "0.3", "HEARTBEAT_TIMEOUT": "0.3", "HEARTBEAT_MISSES": "3",
              "TOKEN_GRACE_PERIOD": "86400"}  # so rotation time = previous_valid_until - 1 day
    hub_env = {**common, "DATABASE_URL": hub_database, "CONSOLE_LISTEN": "127.0.0.1:0",
               "API_LISTEN": "127.0.0.1:0", "CAPSUL_VAR_DIR": str(tmp_path / "hub-var")}
    spoke_port = free_port()

    status, out, err = await run_cli(["issue-cert", "--name", "127.0.0.1", "--out", str(tmp_path / "spoke-tls")],
                                     hub_env)
    assert status == 0, err
    spoke_tls = dict(line.split("=", 1) for line in out.strip().splitlines())
    assert set(spoke_tls) == {"TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CA_FILE"}
    https = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=tls.client_context(Path(spoke_tls["TLS_CA_FILE"]))))
    processes.append(https)  # closed with the processes

    status, out, err = await run_cli(["add-host", "--id", "spoke1", "--url", f"https://127.0.0.1:{spoke_port}"],
                                     hub_env)
    assert status == 0, err
    tokens = token_lines(out)
    status, _, err = await run_cli(["add-host", "--id", "spoke1", "--url", "https://127.0.0.1:1"], hub_env)
    assert status == 2 and "exists already" in err
    status, _, err = await run_cli(["rotate-token", "--id", "nosuch"], hub_env)
    assert status == 2 and err.strip() == "capsul: no host 'nosuch'"
    status, out, err = await run_cli(["add-network", "--id", "spoke1", "--cidr", "203.0.113.0/24", "--gateway",
                                      "203.0.113.1", "--first", "203.0.113.10", "--last", "203.0.113.20"], hub_env)
    assert (status, out.strip()) == (0, "host spoke1: network default: 203.0.113.0/24, addresses 203.0.113.10 "
                                        "to 203.0.113.20, gateway 203.0.113.1; DNS none"), err
    for args, message in ((["--id", "nosuch", "--cidr", "198.51.100.0/24"], "no host 'nosuch'"),
                          (["--id", "spoke1", "--cidr", "300.1.2.0/24"], "not an IPv4 network"),
                          (["--id", "spoke1", "--cidr", "203.0.113.0/24", "--first", "203.0.114.1"],
                           "must be inside 203.0.113.0/24")):
        status, _, err = await run_cli(["add-network", *args], hub_env)
        assert status == 2 and message in err, err
    status, out, err = await run_cli(["conflicts"], hub_env)
    assert (status, out, err.strip()) == (0, "", "0 open ownership conflict(s)")

    hub = CapsulProcess(["--hub"], hub_env, tmp_path / "hub.log")
    processes.append(hub)
    await hub.start()
    console = hub.urls["console"]
    spoke_env = {**common, **tokens, **spoke_tls, "HUB_URL": hub.urls["api"], "SPOKE_HOST_ID": "spoke1",
                 "API_LISTEN": f"127.0.0.1:{spoke_port}", "LIBVIRT_URI": "test:///default",
                 "CAPSUL_VAR_DIR": str(tmp_path / "spoke-var")}

    def spoke_process(env):
        p = CapsulProcess(["--spoke"], env, tmp_path / "spoke.log")
        processes.append(p)
        return p

    async def online():
        return (await spokes_report(https, console))["online"] == ["spoke1"]

    async def offline():
        return (await spokes_report(https, console))["offline"] == ["spoke1"]

    # The spoke starts, announces itself and answers heartbeats over signed HTTPS.
    spoke = await spoke_process(spoke_env).start()
    await eventually(online)
    async with https.get(spoke.urls["api"] + "/healthz", headers=HEALTH_HEADERS) as resp:
        report = await resp.json()
    assert report["spoke"]["host_id"] == "spoke1" and report["spoke"]["libvirt"]["connected"]

    # Killed: offline after three missed heartbeats.
    await spoke.kill()
    await eventually(offline)
    async with aiopg.connect(hub_database) as conn, conn.cursor() as cur:
        await cur.execute("SELECT missed_heartbeats, last_error FROM hosts WHERE id = 'spoke1'")
        missed, last_error = await cur.fetchone()
    assert missed >= 3 and "cannot reach" in last_error

    # Restarted: online again.
    spoke = await spoke_process(spoke_env).start()
    await eventually(online)

    # Tokens rotated while both run: the spoke keeps working on its old tokens during the grace
    # period (the hub falls back to the previous hub token), then restarts with the new ones.
    status, out, err = await run_cli(["rotate-token", "--id", "spoke1"], hub_env)
    assert status == 0, err
    new_tokens = token_lines(out)
    assert new_tokens != tokens
    async def heartbeats_since_rotation():
        async with aiopg.connect(hub_database) as conn, conn.cursor() as cur:
            await cur.execute("""SELECT online, missed_heartbeats FROM hosts WHERE id = 'spoke1'
                                 AND last_heartbeat_at > previous_valid_until - interval '1 day'
                                     + interval '1 second' * 1.5""")
            return await cur.fetchone()

    # several heartbeats after the rotation, each signed first with the new hub token
    assert await eventually(heartbeats_since_rotation) == (True, 0)
    assert await spoke.stop() == 0
    spoke = await spoke_process({**spoke_env, **new_tokens}).start()
    await eventually(lambda: _announced(https, spoke))
    await eventually(online)

    # A spoke holding unknown tokens is refused: it never gets announced.
    assert await spoke.stop() == 0
    wrong = {"SPOKE_HOST_TOKEN": "1" * 64, "HUB_TOKEN": "2" * 64}
    spoke = await spoke_process({**spoke_env, **wrong}).start()
    await eventually(offline)

    async def refused():
        async with https.get(spoke.urls["api"] + "/healthz", headers=HEALTH_HEADERS) as resp:
            hub_state = (await resp.json())["spoke"]["hub"]
        return not hub_state["announced"] and "401" in (hub_state["error"] or "")

    await eventually(refused)
    assert await spoke.stop(signal.SIGINT) == 0
    assert await hub.stop() == 0


async def _announced(session, spoke) -> bool:
    async with session.get(spoke.urls["api"] + "/healthz", headers=HEALTH_HEADERS) as resp:
        return (await resp.json())["spoke"]["hub"]["announced"]


def postgres_processes(data_dir) -> list[str]:
    """Command lines of running processes that mention `data_dir` (the postmaster does)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # exited meanwhile
        if str(data_dir) in args and "postgres" in args:
            found.append(args)
    return found


async def test_zero_configuration_run_and_clean_shutdown(processes):
    """The quick start: `python run.py` with nothing configured but free ports and a var folder."""
    var = shared_tmpdir("capsul-test-var-")
    try:
        env = {"CAPSUL_VAR_DIR": str(var), "CONSOLE_LISTEN": "127.0.0.1:0", "API_LISTEN": "127.0.0.1:0"}
        seen_tokens = []
        for stop_signal in (signal.SIGTERM, signal.SIGINT):  # the second start reuses everything
            node = CapsulProcess([], env, var / "run.log")
            processes.append(node)
            await node.start()
            assert node.stdout_lines[0].startswith("capsul hub+spoke running")
            assert (var / "tls" / "ca.pem").exists() and (var / "postgres" / "PG_VERSION").exists()
            ca = tls.client_context(var / "tls" / "ca.pem")
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ca)) as session:
                async def spoke_online():
                    async with session.get(node.urls["console"] + "/healthz", headers=HEALTH_HEADERS) as resp:
                        report = await resp.json()
                    return resp.status == 200 and report["spokes"]["online"] == ["local"] and report

                report = await eventually(spoke_online)
                assert report["database"] == {"reachable": True}
                async with session.get(node.urls["api"] + "/healthz", headers=HEALTH_HEADERS) as resp:  # HTTPS, checked CA
                    assert resp.status == 200
                    assert (await resp.json())["spoke"]["libvirt"] == {"uri": "test:///default",
                                                                       "connected": True}
                async with session.get(node.urls["console"] + "/pricing") as resp:  # read from the database
                    assert resp.status == 200 and "f1-xs" in await resp.text()
            pg = EmbeddedPostgres(var / "postgres")
            async with aiopg.connect(pg.dsn) as conn, conn.cursor() as cur:
                await cur.execute("SELECT token, hub_token FROM hosts WHERE id = 'local'")
                seen_tokens.append(await cur.fetchone())
            assert postgres_processes(var / "postgres")
            assert await node.stop(stop_signal) == 0, node.log()
            assert postgres_processes(var / "postgres") == [], "postgres left running"
            assert "Traceback" not in node.log()
        assert seen_tokens[0] != seen_tokens[1]  # fresh tokens at every start
    finally:
        for p in processes:
            await p.kill()
        await EmbeddedPostgres(var / "postgres").stop()  # in case a failure left it running
        shutil.rmtree(var, ignore_errors=True)


async def test_a_taken_port_is_one_clear_line(processes):
    var = shared_tmpdir("capsul-test-var-")
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            status, out, err = await run_cli([], {"CAPSUL_VAR_DIR": str(var), "API_LISTEN": "127.0.0.1:0",
                                                  "CONSOLE_LISTEN": f"127.0.0.1:{port}"})
        assert status == 1
        assert err.strip().splitlines() == [
            f"capsul: cannot start: CONSOLE_LISTEN: cannot listen on 127.0.0.1:{port}: Address already in use "
            f"(another capsul running? set it to a free port)"]
        assert postgres_processes(var) == []
    finally:
        shutil.rmtree(var, ignore_errors=True)
