"""capsul as separate OS processes (`python run.py ...`), started and stopped by the tests."""
from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

from tests.conftest import PYTHON, REPO, child_env


class CapsulProcess:
    """One `run.py` child: stdout parsed for the URLs it prints, stderr kept in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log_file: Path, *, prefix: list[str] | None = None,
                 cwd: Path = REPO):
        self.args, self.env, self.log_file, self.cwd = args, env, log_file, cwd  # cwd: another release's tree
        self.prefix = prefix or []  # a wrapper such as ["ip", "netns", "exec", NS]
        self.proc: asyncio.subprocess.Process | None = None
        self.urls: dict[str, str] = {}
        self.stdout_lines: list[str] = []

    async def start(self, timeout: float = 60) -> CapsulProcess:
        """Start (or start again) and wait for the URLs it prints."""
        self.urls, self.stdout_lines = {}, []
        log = open(self.log_file, "ab")
        try:
            # its own process group, so a wrapper and what it runs are stopped together
            self.proc = await asyncio.create_subprocess_exec(
                *self.prefix, PYTHON, "run.py", *self.args, cwd=self.cwd, env=child_env(self.env),
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=log,
                start_new_session=True)
        finally:
            log.close()
        try:
            async with asyncio.timeout(timeout):
                while "api" not in self.urls:
                    line = (await self.proc.stdout.readline()).decode()
                    if not line:
                        raise RuntimeError(f"run.py {' '.join(self.args)} exited early:\n{self.log()}")
                    self.stdout_lines.append(line)
                    if m := re.match(r"\s+web console:\s+(\S+?)/?$", line):
                        self.urls["console"] = m.group(1)
                    if m := re.match(r"\s+hub-spoke API:\s+(\S+?)/?$", line):
                        self.urls["api"] = m.group(1)
        except BaseException:
            await self.kill()
            raise
        return self

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send `sig` and wait for the process to exit; returns its exit status."""
        if self.proc.returncode is None:
            self._signal_group(sig)
        async with asyncio.timeout(timeout):
            await self.proc.stdout.read()  # drain, so the child never blocks on a full pipe
            return await self.proc.wait()

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self._signal_group(signal.SIGKILL)
            await self.proc.wait()

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass


async def run_cli(args: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str, str]:
    """Run `python run.py ARGS` to completion: (exit status, stdout, stderr)."""
    return await run_command([PYTHON, "run.py", *args], cwd=REPO, env=child_env(env), timeout=timeout)


async def run_command(argv: list[str], *, timeout: float, cwd=None, env=None) -> tuple[int, str, str]:
    """Run a command to completion, killed (and the test failed) after `timeout`: (status, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        async with asyncio.timeout(timeout):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return proc.returncode, out.decode(), err.decode()


def token_lines(stdout: str) -> dict[str, str]:
    """The SPOKE_HOST_TOKEN=... and HUB_TOKEN=... lines printed by add-host / rotate-token."""
    lines = dict(line.split("=", 1) for line in stdout.strip().splitlines())
    assert set(lines) == {"SPOKE_HOST_TOKEN", "HUB_TOKEN"}, stdout
    return lines
