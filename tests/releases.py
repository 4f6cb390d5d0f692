"""Earlier releases' own code, run beside this code: the previous release (as CHANGELOG.md names
it, with the commit that landed) extracted from git, and its run.py commands."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from capsul.hub.console import changelog
from capsul.version import VERSION, release_before
from tests.conftest import PYTHON, REPO, child_env
from tests.processes import run_command

# (commit, version) of the release before this one
PREVIOUS = next((r.commit, r.version) for r in changelog.releases() if r.version == release_before(VERSION))


def extract(commit: str, tree: Path) -> Path:
    """That commit's tree (git archive), to run its own run.py from."""
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


@pytest.fixture(scope="module")
def previous_tree(tmp_path_factory) -> Path:
    """The previous release's tree, once per test module."""
    return extract(PREVIOUS[0], tmp_path_factory.mktemp("previous") / "release")


async def cli(tree: Path, env: dict[str, str], *args: str) -> str:
    """`run.py ARGS` of the release in `tree` (this code's when `tree` is REPO); its stdout."""
    status, out, err = await run_command([PYTHON, "run.py", *args], cwd=tree, env=child_env(env), timeout=60)
    if status != 0:
        raise RuntimeError(f"run.py {' '.join(args)} ({tree}): {err.strip()}")
    return out


def tokens_of(add_host_output: str) -> dict[str, str]:
    """SPOKE_HOST_TOKEN and HUB_TOKEN, as `run.py add-host` prints them."""
    return dict(line.split("=", 1) for line in add_host_output.split())
