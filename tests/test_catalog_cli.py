"""Operators' commands for what can be bought (`run.py sizes`, `add-size`, `deprecate-size`,
`images`, `add-image`, `deprecate-image`), run as processes against the test database and
checked in what people see: pricing and the create form."""
from __future__ import annotations

import pytest

from capsul.hub import db
from tests.console_client import error_of
from tests.processes import run_cli
from tests.test_console import create_capsul, logged_in


@pytest.fixture
async def catalog_cleanup(pool):
    yield
    async with db.cursor(pool) as cur:  # sizes and images are seeded, not truncated between tests
        await cur.execute("DELETE FROM vms WHERE size = 'g2-big' OR os = 'tinylinux'")
        await cur.execute("DELETE FROM vm_sizes WHERE id = 'g2-big'")
        await cur.execute("DELETE FROM os_images WHERE id = 'tinylinux'")
        await cur.execute("UPDATE vm_sizes SET deprecated = false")
        await cur.execute("UPDATE os_images SET deprecated = false")


async def test_an_operator_offers_and_retires_sizes_and_images(console, mail, people, pool, test_env,
                                                             catalog_cleanup):
    env = {k: v for k, v in test_env.items() if k not in ("CONSOLE_LISTEN", "API_LISTEN")}
    status, out, err = await run_cli(["add-size", "g2-big", "--price", "61.50", "--vcpus", "6", "--memory-mb",
                                      "12288", "--disk-gb", "80", "--bandwidth-gb", "6000"], env)
    assert (status, out.strip()) == (0, "size g2-big offered: $61.50/month, 6 vCPU, 12288 MiB, 80 GB disk"), err
    status, out, err = await run_cli(["add-image", "tinylinux", "--file", "tiny.qcow2", "--description",
                                      "Tiny Linux 1.0", "--kernel", "vmlinuz", "--cmdline", "console=ttyS0"], env)
    assert status == 0 and "OS image tinylinux offered: Tiny Linux 1.0 (tiny.qcow2)" in out, err

    alice = await logged_in(people, mail, "alice@example.org", key=True)
    status, text = await alice.get("/pricing")
    assert status == 200 and "g2-big" in text and "$61.50" in text
    status, text = await alice.get("/capsuls/create")
    assert "g2-big" in text and "Tiny Linux 1.0" in text
    vm_id = await create_capsul(alice, pool, size="f1-xs")

    status, out, err = await run_cli(["deprecate-size", "f1-xs"], env)
    assert (status, out.strip()) == (0, "f1-xs is no longer offered"), err
    status, out, err = await run_cli(["deprecate-image", "tinylinux"], env)
    assert status == 0, err
    status, text = await alice.get("/pricing")
    assert "f1-xs" not in text and "g2-big" in text
    status, text = await alice.get("/capsuls/create")
    assert 'value="f1-xs"' not in text and "Tiny Linux 1.0" not in text
    status, text, _ = await alice.post("/capsuls/create", [("size", "f1-xs"), ("os", "debian12"),
                                                           ("ssh_key", "laptop")])
    assert status == 400 and "size" in error_of(text)
    status, text = await alice.get(f"/capsuls/{vm_id}")  # capsuls already on it go on
    assert status == 200 and "f1-xs" in text

    status, out, err = await run_cli(["sizes"], env)
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert status == 0 and "DEPRECATED" in lines["f1-xs"] and "1 capsul(s)" in lines["f1-xs"], out
    assert "$   61.50/month  6 vCPU  12288 MiB  80 GB disk  6000 GB transfer  0 capsul(s)" in lines["g2-big"]
    status, out, err = await run_cli(["images"], env)
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "kernel vmlinuz" in lines["tinylinux"] and "DEPRECATED" in lines["tinylinux"]
    assert "1 capsul(s)" in lines["debian12"]

    status, out, err = await run_cli(["deprecate-size", "f1-xs", "--undo"], env)
    assert (status, out.strip()) == (0, "f1-xs is offered again"), err
    status, text = await alice.get("/pricing")
    assert "f1-xs" in text


@pytest.mark.parametrize("args, message", [
    (["add-size", "f1-xs", "--price", "1", "--vcpus", "1", "--memory-mb", "512", "--disk-gb", "10"],
     "size 'f1-xs' exists already"),
    (["add-size", "Big One", "--price", "1", "--vcpus", "1", "--memory-mb", "512", "--disk-gb", "10"],
     "argument id: use 1-63 of a-z"),
    (["add-size", "g2-big", "--price", "1.005", "--vcpus", "1", "--memory-mb", "512", "--disk-gb", "10"],
     "at most 2 decimals"),
    (["add-size", "g2-big", "--price", "-1", "--vcpus", "1", "--memory-mb", "512", "--disk-gb", "10"],
     "dollars a month from 0"),
    (["add-size", "g2-big", "--price", "nan", "--vcpus", "1", "--memory-mb", "512", "--disk-gb", "10"],
     "dollars a month from 0"),
    (["add-size", "g2-big", "--price", "1", "--vcpus", "0", "--memory-mb", "512", "--disk-gb", "10"],
     "argument --vcpus: a whole number from 1 to 256"),
    (["add-size", "g2-big", "--price", "1", "--vcpus", "1", "--memory-mb", "512"], "--disk-gb"),
    (["add-image", "debian12", "--file", "x.qcow2", "--description", "again"], "OS image 'debian12' exists already"),
    (["add-image", "tinylinux", "--file", "../etc/passwd", "--description", "x"], "no folders"),
    (["add-image", "tinylinux", "--file", "a/b.qcow2", "--description", "x"], "no folders"),
    (["add-image", "tinylinux", "--file", "t.qcow2", "--description", ""], "1-200 characters"),
    (["add-image", "tinylinux", "--file", "t.qcow2", "--description", "x", "--initrd", "i.gz"],
     "--initrd and --cmdline go with --kernel"),
    (["deprecate-size", "nosuch"], "no size 'nosuch'"),
    (["deprecate-image", "nosuch"], "no OS image 'nosuch'"),
])
async def test_bad_catalog_commands_say_why_and_change_nothing(test_env, pool, catalog_cleanup, args, message):
    async def catalog():
        async with db.cursor(pool) as cur:
            await cur.execute("SELECT id, deprecated, dollars_per_month FROM vm_sizes ORDER BY id")
            sizes = await cur.fetchall()
            await cur.execute("SELECT id, deprecated, file_name FROM os_images ORDER BY id")
            return sizes, await cur.fetchall()
    before = await catalog()
    status, out, err = await run_cli(args, test_env)
    assert status == 2 and message in err and out == "", (status, out, err)
    assert await catalog() == before
