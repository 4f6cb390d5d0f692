"""This code's version (pyproject.toml's, the one place it is written) and how versions compare.

A version is MAJOR.MINOR.PATCH. The database records the oldest version that may run on it
(capsul/hub/db/migrations/), and a spoke's announcement carries its own: both compare here.
"""
from __future__ import annotations

import re
import tomllib

from capsul.config import REPO_ROOT

VERSION_RE = re.compile(r"(\d{1,4})\.(\d{1,4})\.(\d{1,4})")


def parse(version: str) -> tuple[int, int, int]:
    """(major, minor, patch); ValueError for anything else."""
    m = VERSION_RE.fullmatch(version.strip()) if isinstance(version, str) else None
    if m is None:
        raise ValueError(f"not a version such as 0.7.0: {version!r}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def _read() -> str:
    with open(REPO_ROOT / "pyproject.toml", "rb") as f:
        version = tomllib.load(f)["project"]["version"]
    parse(version)
    return version


VERSION = _read()


def release_before(version: str) -> str:
    """The release one before `version` (0.7.0 -> 0.6.0): the oldest whose hubs and spokes may still run
    beside it (docs/upgrading.md). Releases step the minor number; a patch release follows its minor."""
    major, minor, _ = parse(version)
    if minor == 0:
        raise ValueError(f"no release before {version} is known here")
    return f"{major}.{minor - 1}.0"


def at_least(version: str, oldest: str) -> bool:
    return parse(version) >= parse(oldest)


# Spokes before 0.8.0 never said their version: one that says none is taken as the newest of them,
# so it is served while that is one release behind and refused after.
UNSAID = "0.7.0"
UNSAID_LABEL = "before 0.8.0"
MAX_LENGTH = 20


def spoke_refusal(spoke_version: str | None, hub_version: str | None = None) -> str | None:
    """Why a hub of `hub_version` (this code's) does not work with a spoke of `spoke_version`,
    or None when it does: spokes of its own release or one release behind (docs/upgrading.md)."""
    hub_version = hub_version or VERSION
    oldest = release_before(hub_version)
    if at_least(spoke_version or UNSAID, oldest):
        return None
    return (f"this spoke runs capsul {spoke_version or UNSAID_LABEL} and this hub runs {hub_version}, which "
            f"works with spokes of {oldest} or later: upgrade the spoke (docs/upgrading.md)")
