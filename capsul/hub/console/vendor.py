"""Browser libraries from the npm registry, served by the app (GET /static/vendor/{name}):
xterm.js for the serial console, uPlot for the usage graphs.

`./setup.sh` installs them with `npm ci` from package.json and package-lock.json (pinned
versions with integrity hashes) into node_modules/; nothing is copied into the repository
and no page loads anything from another site. Only the files named here are served.
"""
from __future__ import annotations

import asyncio
import gzip
import json
import logging

from aiohttp import web

from capsul.config import REPO_ROOT

log = logging.getLogger(__name__)

NODE_MODULES = REPO_ROOT / "node_modules"
# name in the URL -> (npm package, file inside it)
FILES = {
    "xterm.js": ("@xterm/xterm", "lib/xterm.js"),
    "xterm.css": ("@xterm/xterm", "css/xterm.css"),
    "uPlot.js": ("uplot", "dist/uPlot.iife.min.js"),
    "uPlot.css": ("uplot", "dist/uPlot.min.css"),
}
routes = web.RouteTableDef()


def version(package: str) -> str | None:
    """The installed version, or None when `./setup.sh` has not installed it."""
    try:
        return json.loads((NODE_MODULES / package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def installed(*names: str) -> bool:
    """Whether the named files (all when none are named) are installed."""
    return all((NODE_MODULES / FILES[n][0] / FILES[n][1]).is_file() for n in (names or FILES))


def url(name: str) -> str:
    """The file's URL, with the package version so a new version is never taken from a cache."""
    package, _ = FILES[name]
    return f"/static/vendor/{name}?v={version(package)}"


CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css"}
# A versioned URL's file never changes (a new version is a new URL): browsers keep it a year.
IMMUTABLE = "public, max-age=31536000, immutable"
_gzipped: dict[str, tuple[bytes, bytes]] = {}  # name -> (file, its gzip): compressed once, not per request


def _read_and_gzip(path) -> tuple[bytes, bytes]:
    raw = path.read_bytes()
    return raw, gzip.compress(raw, compresslevel=9, mtime=0)


@routes.get("/static/vendor/{name}", name="vendor")
async def vendor_file(request: web.Request) -> web.StreamResponse:
    """The file, gzipped for browsers that take it (xterm.js is 489 KB as it is, a tenth of it so)."""
    name = request.match_info["name"]
    entry = FILES.get(name)
    path = NODE_MODULES / entry[0] / entry[1] if entry else None
    if path is None or not path.is_file():
        raise web.HTTPNotFound()
    if name not in _gzipped:
        _gzipped[name] = await asyncio.to_thread(_read_and_gzip, path)
    raw, packed = _gzipped[name]
    headers = {"Cache-Control": IMMUTABLE if "v" in request.query else "public, max-age=3600",
               "Vary": "Accept-Encoding", "Content-Type": CONTENT_TYPES.get(path.suffix, "application/octet-stream")}
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        return web.Response(body=packed, headers={**headers, "Content-Encoding": "gzip"})
    return web.Response(body=raw, headers=headers)


def warn_if_missing() -> None:
    if not installed():
        log.warning("the browser libraries are not installed (node_modules/ is missing or incomplete): "
                    "the serial console and the usage graphs cannot be shown; run ./setup.sh")
