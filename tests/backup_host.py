"""A backup host for the tests: sshd in a network namespace of its own, serving SFTP to a
restic repository in a temporary folder (docs/backups.md sets up the real one the same way).

The namespace is joined to the root namespace by one veth pair (198.18.210.1 outside,
198.18.210.2 inside): a spoke in the root namespace reaches the backup host's address inside
the namespace, and nothing else. `down()` stops sshd (the store stops answering) and `up()`
starts it again; `close()` removes the process, the namespace and the folder.
"""
from __future__ import annotations

import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.netns import ip

OUTSIDE, INSIDE = "198.18.210.1", "198.18.210.2"


@dataclass
class BackupHost:
    tag: str = field(default_factory=lambda: secrets.token_hex(2))
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="capsul-backup-host-")))
    process: subprocess.Popen | None = None

    @property
    def namespace(self) -> str:
        return f"capsul-bk-{self.tag}"

    @property
    def address(self) -> str:
        return INSIDE

    @property
    def repository(self) -> Path:
        return self.folder / "repository"

    @property
    def store(self) -> str:
        """BACKUP_STORE for a spoke."""
        return f"sftp:root@{INSIDE}:{self.repository}"

    def settings(self) -> dict[str, str]:
        """The backup settings of a spoke that stores here (capsul/config.py)."""
        return {"BACKUP_STORE": self.store, "BACKUP_PASSWORD_FILE": str(self.folder / "repository-key"),
                "BACKUP_SSH_KEY": str(self.folder / "spoke_key"),
                "BACKUP_SSH_KNOWN_HOSTS": str(self.folder / "known_hosts")}

    def open(self) -> BackupHost:
        self.folder.chmod(0o700)
        self.repository.mkdir()
        (self.folder / "repository-key").write_text(secrets.token_urlsafe(24) + "\n")
        for name in ("host_key", "spoke_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(self.folder / name)],
                           check=True, capture_output=True, timeout=30)
        (self.folder / "authorized_keys").write_text((self.folder / "spoke_key.pub").read_text())
        host_key = (self.folder / "host_key.pub").read_text().split()
        (self.folder / "known_hosts").write_text(f"{INSIDE} {host_key[0]} {host_key[1]}\n")
        (self.folder / "sshd_config").write_text(
            f"ListenAddress {INSIDE}\nPort 22\nHostKey {self.folder / 'host_key'}\n"
            f"AuthorizedKeysFile {self.folder / 'authorized_keys'}\nPidFile {self.folder / 'sshd.pid'}\n"
            "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "UsePAM no\nStrictModes no\nSubsystem sftp internal-sftp\nForceCommand internal-sftp\n"
            "AllowTcpForwarding no\nX11Forwarding no\nLogLevel ERROR\n")
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation folder (Debian's unit makes it)
        ip("netns", "add", self.namespace)
        try:
            ip("-n", self.namespace, "link", "set", "lo", "up")
            outside, inside = f"cbk{self.tag}o", f"cbk{self.tag}i"
            ip("link", "add", outside, "type", "veth", "peer", "name", inside, "netns", self.namespace)
            ip("addr", "add", f"{OUTSIDE}/30", "dev", outside)
            ip("link", "set", outside, "up")
            ip("-n", self.namespace, "addr", "add", f"{INSIDE}/30", "dev", inside)
            ip("-n", self.namespace, "link", "set", inside, "up")
            self.up()
        except BaseException:
            self.close()
            raise
        return self

    def up(self) -> None:
        """Start sshd and wait until it answers."""
        with open(self.folder / "sshd.log", "ab") as log:
            self.process = subprocess.Popen(
                ["ip", "netns", "exec", self.namespace, "/usr/sbin/sshd", "-D", "-e", "-f",
                 str(self.folder / "sshd_config")], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 30
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sshd did not start: {(self.folder / 'sshd.log').read_text()[-500:]}")
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with socket.create_connection((INSIDE, 22), timeout=1) as s:
                return s.recv(4).startswith(b"SSH-")
        except OSError:
            return False

    def down(self) -> None:
        """Stop sshd: the store stops answering (what is stored stays)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        self.process = None

    def snapshots(self) -> list[str]:
        """The snapshot files in the repository, read on the backup host's disk."""
        folder = self.repository / "snapshots"
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []

    def close(self) -> None:
        self.down()
        subprocess.run(["ip", "netns", "del", self.namespace], capture_output=True, timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


def backup_host_fixture():
    """A pytest fixture body: one backup host for the test, removed after it."""
    host = BackupHost().open()
    try:
        yield host
    finally:
        host.close()
