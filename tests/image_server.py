"""An HTTP file server for the image tests, run inside a network namespace of its own
(`ImageServer` makes it: 198.18.211.1 outside, 198.18.211.2 inside, one veth pair).

Routes, each serving a file of its folder, with Range requests honoured:
    /files/NAME        the file
    /resume-once/NAME  the first request is cut half-way; later ones are whole (a resumable fetch)
    /truncate/NAME     every answer is cut half-way through what it promised
    /stall/NAME        headers, then nothing
    anything else      404
Each request is logged (method, path, Range) to `requests.log` in the folder.
"""
from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

OUTSIDE, INSIDE, PORT = "198.18.211.1", "198.18.211.2", 8080


def make_app(root: Path) -> web.Application:
    cut_once: set[str] = set()

    async def serve(request: web.Request) -> web.StreamResponse:
        kind, name = request.match_info["kind"], request.match_info["name"]
        with open(root / "requests.log", "a") as log:
            log.write(f"{request.method} /{kind}/{name} {request.headers.get('Range', '-')}\n")
        path = root / name
        if kind not in ("files", "resume-once", "truncate", "stall") or "/" in name or not path.is_file():
            raise web.HTTPNotFound()
        data = path.read_bytes()
        start = 0
        if request.headers.get("Range", "").startswith("bytes="):
            start = int(request.headers["Range"][6:].split("-")[0])
        body = data[start:]
        resp = web.StreamResponse(status=206 if start else 200)
        resp.content_length = len(body)
        if start:
            resp.headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        await resp.prepare(request)
        if request.method == "HEAD":
            return resp
        if kind == "stall":
            await asyncio.sleep(3600)
        cut = kind == "truncate" or (kind == "resume-once" and name not in cut_once)
        if cut:
            cut_once.add(name)
            await resp.write(body[:len(body) // 2])
            request.transport.close()  # the connection drops mid-file
            return resp
        await resp.write(body)
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_route("GET", "/{kind}/{name}", serve)
    app.router.add_route("HEAD", "/{kind}/{name}", serve)
    return app


@dataclass
class ImageServer:
    tag: str = field(default_factory=lambda: secrets.token_hex(2))
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="capsul-image-server-")))
    process: subprocess.Popen | None = None

    @property
    def namespace(self) -> str:
        return f"capsul-img-{self.tag}"

    def url(self, kind: str, name: str) -> str:
        return f"http://{INSIDE}:{PORT}/{kind}/{name}"

    def requests(self) -> list[str]:
        log = self.folder / "requests.log"
        return log.read_text().splitlines() if log.exists() else []

    def open(self) -> ImageServer:
        from tests.netns import ip
        ip("netns", "add", self.namespace)
        try:
            ip("-n", self.namespace, "link", "set", "lo", "up")
            outside, inside = f"cim{self.tag}o", f"cim{self.tag}i"
            ip("link", "add", outside, "type", "veth", "peer", "name", inside, "netns", self.namespace)
            ip("addr", "add", f"{OUTSIDE}/30", "dev", outside)
            ip("link", "set", outside, "up")
            ip("-n", self.namespace, "addr", "add", f"{INSIDE}/30", "dev", inside)
            ip("-n", self.namespace, "link", "set", inside, "up")
            self.process = subprocess.Popen(
                ["ip", "netns", "exec", self.namespace, sys.executable, "-m", "tests.image_server",
                 str(self.folder)], cwd=Path(__file__).resolve().parent.parent, stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://{INSIDE}:{PORT}/none/none", timeout=1)
                except urllib.error.HTTPError:
                    break  # it answers (404)
                except OSError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the image server did not start") from None
                    time.sleep(0.05)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # a stalled answer would hold a graceful stop for a minute
            self.process.wait(timeout=30)
        subprocess.run(["ip", "netns", "del", self.namespace], capture_output=True, timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    args = parser.parse_args()
    web.run_app(make_app(args.root), host=INSIDE, port=PORT, print=None, handle_signals=True)
