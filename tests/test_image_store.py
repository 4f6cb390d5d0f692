"""A spoke's image store (capsul/spoke/images/store.py) on real files and a real qemu-img: hand-placed
files adopted once by hashing, and unused images removed only when no disk's backing chain uses them."""
import hashlib
import os
import subprocess
import time

from capsul.spoke.images.store import ImageStore


def qcow2(path, backing=None):
    args = ["qemu-img", "create", "-q", "-f", "qcow2"]
    if backing is not None:
        args += ["-F", "qcow2", "-b", str(backing)]
    subprocess.run(args + [str(path), "16M"], check=True)


async def test_hand_placed_files_are_adopted_once_and_used_images_are_kept(tmp_path):
    images, disks = tmp_path / "os-images", tmp_path / "vms"
    images.mkdir()
    disks.mkdir()
    qcow2(images / "debian.qcow2")
    placed = hashlib.sha256((images / "debian.qcow2").read_bytes()).hexdigest()
    store = ImageStore(images)
    assert store.adopt() == {"debian.qcow2": placed}
    assert store.has(placed) and os.path.samefile(store.path(placed), images / "debian.qcow2")
    assert store.path(placed).stat().st_mode & 0o222 == 0  # read-only
    record = (images / "adopted.json").read_text()
    os.utime(images / "adopted.json", (1, 1))
    assert ImageStore(images).adopt() == {"debian.qcow2": placed}  # the record is read, nothing hashed again
    assert (images / "adopted.json").read_text() == record

    # two images fetched (put in place as the fetcher does); a disk is built on one of them, and an
    # older disk on the hand-placed file's name
    fetched = []
    for name in ("a", "b"):
        qcow2(tmp_path / name)
        digest = hashlib.sha256((tmp_path / name).read_bytes() + name.encode()).hexdigest()
        os.replace(tmp_path / name, store.path(digest))
        store.added(digest)
        fetched.append(digest)
    used, unused = fetched
    qcow2(disks / "capsul-aaaaaaaaaa.qcow2", store.path(used))
    qcow2(disks / "capsul-bbbbbbbbbb.qcow2", images / "debian.qcow2")
    assert await store.remove_unused([disks], keep_days=1) == []  # all were used within a day
    assert sorted(await store.remove_unused([disks], keep_days=0)) == [unused]
    assert store.has(used) and store.has(placed) and not store.has(unused)

    # a disk whose chain cannot be read (its backing file is gone): nothing is removed
    os.unlink(disks / "capsul-aaaaaaaaaa.qcow2")
    qcow2(tmp_path / "gone")
    qcow2(disks / "capsul-cccccccccc.qcow2", tmp_path / "gone")
    os.unlink(tmp_path / "gone")
    assert await store.remove_unused([disks], keep_days=0) == []
    assert store.has(used)
    os.unlink(disks / "capsul-cccccccccc.qcow2")
    old = time.time() - 3 * 86400
    os.utime(store.path(used), (old, old))
    (store.by_digest / f"{used}.used").unlink(missing_ok=True)
    assert await store.remove_unused([disks], keep_days=2) == [used]  # unused for 3 days now


def test_spokes_sharing_one_folder_adopt_its_files_at_the_same_moment(tmp_path):
    """Two spokes on one OS_IMAGES_DIR (the move tests' hosts, or an NFS export) start together: each
    adopts the files, neither trips on the other's record or links (found by a clean CI run)."""
    import threading
    images = tmp_path / "images"
    images.mkdir()
    for name in ("one.img", "two.img", "three.img"):
        (images / name).write_bytes(os.urandom(1 << 16))
    for _ in range(20):
        (images / "adopted.json").unlink(missing_ok=True)
        for linked in (images / "sha256").glob("*"):
            linked.unlink()
        start, results, errors = threading.Barrier(2), [], []

        def adopt():
            start.wait()
            try:
                results.append(ImageStore(images).adopt())
            except Exception as e:  # noqa: BLE001 - what the test is looking for
                errors.append(e)
        threads = [threading.Thread(target=adopt) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(results) == 2 and results[0] == results[1] and len(results[0]) == 3
        assert not list(images.glob("*.partial"))
