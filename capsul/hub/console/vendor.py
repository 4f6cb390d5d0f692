"""Browser libraries from the npm registry, served by the app (GET /static/vendor/{name}):
xterm.js for the serial console, uPlot for the usage graphs.

`./setup.sh` installs them with `npm ci` from package.json and package-lock.json (pinned
versions with integrity hashes) into node_modules/; nothing is copied into the repository
and no page loads anything from another site. Only the files named here are served.
"""
from __future__ import annotations

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


@routes.get("/static/vendor/{name}", name="vendor")
async def vendor_file(request: web.Request) -> web.StreamResponse:
    entry = FILES.get(request.match_info["name"])
    if entry is None or not (NODE_MODULES / entry[0] / entry[1]).is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(NODE_MODULES / entry[0] / entry[1], headers={"Cache-Control": "public, max-age=86400"})


def warn_if_missing() -> None:
    if not installed():
        log.warning("the browser libraries are not installed (node_modules/ is missing or incomplete): "
                    "the serial console and the usage graphs cannot be shown; run ./setup.sh")
