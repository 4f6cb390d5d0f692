"""OS images by digest (docs/images.md): fetched by a spoke from a file server in a network
namespace of its own (tests/image_server.py), verified, and refused with a reason in every bad case."""
import hashlib
import os
import secrets
import shutil
import subprocess

import pytest

from capsul.config import Role
from capsul.hub import capsuls, db
from capsul.hub.db import catalog
from tests.conftest import ALICE, add_account_with_key, eventually, shared_tmpdir, wait_for_state
from tests.image_server import ImageServer
from tests.spoke_cluster import SpokeSpec, start_spokes

pytestmark = pytest.mark.slow


@pytest.fixture
def server():
    s = ImageServer().open()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def small_disk():
    """OS_IMAGES_DIR on a 6 MiB tmpfs: a full disk is easy to reach."""
    folder = shared_tmpdir("capsul-test-images-")
    images = folder / "os-images"
    images.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "capsul-test-images", str(images)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(images)], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def image_file(server: ImageServer, name: str, size: int) -> tuple[str, bytes]:
    data = secrets.token_bytes(size)
    (server.folder / name).write_bytes(data)
    return hashlib.sha256(data).hexdigest(), data


async def held_by(pool, host_id: str, digest: str) -> dict:
    async with db.cursor(pool) as cur:
        await cur.execute("SELECT images FROM hosts WHERE id = %s", (host_id,))
        return ((await cur.fetchone())["images"] or {}).get(digest, {})


async def test_a_create_waits_while_its_host_fetches_and_verifies_the_image(start_node, pool, tls_files, server,
                                                                            small_disk):
    digest, data = image_file(server, "tiny.img", 2 << 20)
    async with db.cursor(pool) as cur:
        await catalog.add_image(cur, "tiny", "Tiny Linux", None, None, None, None,
                                url=server.url("resume-once", "tiny.img"), sha256=digest, size_bytes=len(data))
    hub = await start_node(Role.HUB, HEARTBEAT_INTERVAL="0.5", RESYNC_INTERVAL="3600")
    await add_account_with_key(pool)
    images = small_disk / "os-images"
    cluster = await start_spokes(pool, hub.api_url, [SpokeSpec("s1", 8192, 8, "198.18.1.0/24")], small_disk,
                                 tls_files, extra_env={"OS_IMAGES_DIR": str(images), "IMAGE_FETCH_STALL_TIMEOUT": "1"})
    try:
        vm = await capsuls.create_capsul(hub.hub, ALICE, "f1-xs", "tiny", ["laptop"])
        await wait_for_state(pool, vm["id"], "running", within=60)
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT state FROM vm_events WHERE vm_id = %s ORDER BY id", (vm["id"],))
            seen = [r["state"] for r in await cur.fetchall()]
        assert "fetching-image" in seen and seen.index("fetching-image") < seen.index("running"), seen
        stored = images / "sha256" / digest
        assert stored.read_bytes() == data  # whole, under its digest
        assert not os.access(stored, os.W_OK) or stored.stat().st_mode & 0o222 == 0  # read-only
        assert not list((images / "fetching").iterdir())
        ranges = [line.split()[-1] for line in server.requests() if "tiny.img" in line and line.startswith("GET")]
        assert ranges[0] == "-" and ranges[1].startswith("bytes=") and int(ranges[1][6:-1]) > 0, ranges  # resumed

        async def reported():
            return (await held_by(pool, "s1", digest)).get("state") == "present"
        await eventually(reported, within=15)

        # a second capsul of the same image fetches nothing
        before = len(server.requests())
        second = await capsuls.create_capsul(hub.hub, ALICE, "f1-xs", "tiny", ["laptop"])
        await wait_for_state(pool, second["id"], "running")
        assert len(server.requests()) == before

        # the bad cases: each a reason for the admin page, nothing left half-written
        bad = {"wrong digest": ("files", "other.img", 1 << 20, "0" * 64, "not this image"),
               "truncated": ("truncate", "cut.img", 1 << 20, None, "cut after"),
               "404": ("files", "absent.img", 1 << 20, None, "404"),
               "stall": ("stall", "slow.img", 1 << 20, None, "sent nothing for 1 s"),
               "full disk": ("files", "big.img", 8 << 20, None, "too full")}
        for case, (kind, name, size, claimed, words) in bad.items():
            real_digest, _ = image_file(server, name, size)
            if case == "404":
                (server.folder / name).unlink()
            want = claimed or real_digest
            await hub.hub.dispatcher.to_host("fetch_image", {"sha256": want, "url": server.url(kind, name),
                                                             "size_bytes": size}, "s1")

            async def failed():
                held = await held_by(pool, "s1", want)
                return held if held.get("state") == "failed" else None
            held = await eventually(failed, within=30)
            assert words in held["error"], (case, held)
            assert not (images / "sha256" / want).exists(), case
            assert not list((images / "fetching").iterdir()), case
    finally:
        await cluster.stop()
