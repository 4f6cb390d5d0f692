"""The backup store as a spoke uses it (capsul/spoke/backups/store.py): restic over SFTP to a real
sshd in a network namespace of its own (tests/backup_host.py)."""
from __future__ import annotations

import hashlib
import os
import subprocess
import uuid

import pytest

from capsul.config import Role, load_config
from capsul.spoke.backups.store import ResticStore, StoreError, StoreFull, StoreUnreachable
from tests.backup_host import backup_host_fixture

pytestmark = [pytest.mark.timeout(300)]

backup_host = pytest.fixture(backup_host_fixture)


def store_for(host, tmp_path, **changes) -> ResticStore:
    config = load_config(Role.SPOKE, {"HUB_URL": "https://127.0.0.1:9", "SPOKE_HOST_TOKEN": "a" * 64,
                                      "HUB_TOKEN": "b" * 64, **host.settings(), **changes})
    return ResticStore(config, tmp_path / "cache")


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_an_image_goes_to_the_store_and_comes_back_whole_and_a_second_copy_adds_almost_nothing(backup_host, tmp_path):
    store = store_for(backup_host, tmp_path)
    image = tmp_path / "image.qcow2"
    image.write_bytes(os.urandom(3 * 2**20) + b"\0" * 2**20)
    seen = []
    first_id, second_id = str(uuid.uuid4()), str(uuid.uuid4())
    first = await store.put(image, backup_id=first_id, vm_id="capsul-aaaaaaaaaa",
                            progress=lambda done, total: seen.append((done, total)))
    assert first.added_bytes > 2 * 2**20 and first.total_bytes == image.stat().st_size
    assert seen[-1] == (image.stat().st_size, image.stat().st_size)
    second = await store.put(image, backup_id=second_id, vm_id="capsul-aaaaaaaaaa")
    assert second.snapshot != first.snapshot and second.added_bytes < 64 * 1024  # only its metadata is new
    assert len(backup_host.snapshots()) == 2  # on the backup host's own disk

    back = tmp_path / "restored.qcow2"
    await store.get(first.snapshot, first_id, back)
    assert digest(back) == digest(image) and not (tmp_path / "restored.qcow2.partial").exists()

    await store.forget([first.snapshot])
    assert [s["id"] for s in await store.snapshots()] == [second.snapshot]
    assert len(backup_host.snapshots()) == 1
    with pytest.raises(StoreError):
        await store.get(first.snapshot, first_id, tmp_path / "gone.qcow2")
    assert not (tmp_path / "gone.qcow2").exists() and not (tmp_path / "gone.qcow2.partial").exists()


async def test_a_store_that_does_not_answer_is_said_so_and_answers_again_when_back(backup_host, tmp_path):
    store = store_for(backup_host, tmp_path)
    image = tmp_path / "image.qcow2"
    image.write_bytes(os.urandom(2**20))
    backup_host.down()
    with pytest.raises(StoreUnreachable) as down:
        await store.put(image, backup_id=str(uuid.uuid4()), vm_id="capsul-aaaaaaaaaa")
    assert "does not answer" in str(down.value)
    backup_host.up()
    stored = await store.put(image, backup_id=str(uuid.uuid4()), vm_id="capsul-aaaaaaaaaa")
    assert backup_host.snapshots() == [stored.snapshot] or len(backup_host.snapshots()) == 1


async def test_a_backup_host_showing_another_key_is_refused(backup_host, tmp_path):
    other = tmp_path / "other_host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True, timeout=30)
    known = tmp_path / "known_hosts"
    kind, key = other.with_suffix(".pub").read_text().split()[:2]
    known.write_text(f"{backup_host.address} {kind} {key}\n")
    store = store_for(backup_host, tmp_path, BACKUP_SSH_KNOWN_HOSTS=str(known))
    image = tmp_path / "image.qcow2"
    image.write_bytes(b"x" * 1024)
    with pytest.raises(StoreError) as refused:
        await store.put(image, backup_id=str(uuid.uuid4()), vm_id="capsul-aaaaaaaaaa")
    assert not isinstance(refused.value, StoreUnreachable) and "BACKUP_SSH_KNOWN_HOSTS" in str(refused.value)
    assert backup_host.snapshots() == []


async def test_a_full_backup_host_is_said_so(backup_host, tmp_path):
    store = store_for(backup_host, tmp_path)
    await store.ensure_initialised()
    # The repository's data folder on a 2 MiB file system of its own, on the backup host (sshd
    # is started again after the mount: `ip netns exec` gave it a mount namespace of its own).
    data = backup_host.repository / "data"
    backup_host.down()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(data)], check=True, timeout=30)
    try:
        backup_host.up()
        image = tmp_path / "image.qcow2"
        image.write_bytes(os.urandom(8 * 2**20))
        with pytest.raises(StoreFull) as full:
            await store.put(image, backup_id=str(uuid.uuid4()), vm_id="capsul-aaaaaaaaaa")
        assert "full" in str(full.value) and "backup host" in str(full.value)
        assert backup_host.snapshots() == []  # nothing half-listed
    finally:
        backup_host.down()
        subprocess.run(["umount", "--lazy", str(data)], check=True, timeout=30)
