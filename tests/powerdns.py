"""A real PowerDNS Authoritative server (Debian's pdns_server, SQLite backend) for the tests, in a
network namespace of its own joined to the root namespace by a veth: its DNS port and HTTP API
listen only at its address inside that namespace. Stopped and removed after.

    with powerdns_server(folder) as pdns:
        pdns.url, pdns.api_key, pdns.address; pdns.create_zone("example.test."); pdns.stop(); pdns.start()
        pdns.dig_ptr("192.0.2.5")   # what `dig -x` answers there
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA = Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql")


@dataclass
class PowerDns:
    folder: Path
    netns: str
    address: str
    api_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.address}:8081"

    def start(self) -> None:
        with open(self.folder / "pdns.log", "ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                ["ip", "netns", "exec", self.netns, "pdns_server", f"--config-dir={self.folder}"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.api("GET", "/api/v1/servers/localhost")
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"pdns_server did not start: {(self.folder / 'pdns.log').read_text()[-2000:]}")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def api(self, method: str, path: str, body: dict | None = None):
        request = urllib.request.Request(self.url + path, method=method, headers={"X-API-Key": self.api_key},
                                         data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(request, timeout=5) as r:
            text = r.read().decode()
            return json.loads(text) if text else None

    def create_zone(self, name: str, records: dict[tuple[str, str], str] | None = None) -> None:
        self.api("POST", "/api/v1/servers/localhost/zones", {"name": name, "kind": "Native",
                                                             "nameservers": [f"ns1.{name}"]})
        if records:
            self.api("PATCH", f"/api/v1/servers/localhost/zones/{name}", {"rrsets": [
                {"name": rname, "type": rtype, "ttl": 60, "changetype": "REPLACE",
                 "records": [{"content": content, "disabled": False}]}
                for (rname, rtype), content in records.items()]})

    def dig_ptr(self, address: str) -> str:
        out = subprocess.run(["dig", "+short", "+time=2", "+tries=1", "-x", address, f"@{self.address}"],
                             capture_output=True, text=True, timeout=30).stdout
        return out.strip()


@contextlib.contextmanager
def powerdns_server(folder: Path):
    tag = uuid.uuid4().hex[:4]
    netns, outer, inner = f"capsul-dns-{tag}", f"cdns{tag}", "dns0"
    octet = int(tag, 16) % 250 + 1
    root_side, address = f"10.82.{octet}.1", f"10.82.{octet}.2"
    folder.mkdir(parents=True, exist_ok=True)

    def run(*args):
        subprocess.run(args, check=True, capture_output=True, timeout=30)
    pdns = PowerDns(folder, netns, address)
    try:
        run("ip", "netns", "add", netns)
        run("ip", "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", netns)
        run("ip", "addr", "add", f"{root_side}/30", "dev", outer)
        run("ip", "link", "set", outer, "up")
        run("ip", "-n", netns, "addr", "add", f"{address}/30", "dev", inner)
        run("ip", "-n", netns, "link", "set", inner, "up")
        run("ip", "-n", netns, "link", "set", "lo", "up")
        with sqlite3.connect(folder / "pdns.sqlite3") as db:
            db.executescript(SCHEMA.read_text())
        (folder / "pdns.conf").write_text("\n".join([
            "launch=gsqlite3", f"gsqlite3-database={folder / 'pdns.sqlite3'}", "api=yes", f"api-key={pdns.api_key}",
            "webserver=yes", f"webserver-address={address}", "webserver-port=8081",
            f"webserver-allow-from={root_side}/32", f"local-address={address}", "local-port=53",
            f"socket-dir={folder}", "guardian=no", "daemon=no", "disable-syslog=yes", "loglevel=4", ""]))
        pdns.start()
        yield pdns
    finally:
        pdns.stop()
        subprocess.run(["ip", "link", "delete", outer], check=False, capture_output=True)
        subprocess.run(["ip", "netns", "delete", netns], check=False, capture_output=True)
