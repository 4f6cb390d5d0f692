"""A VM's files on a spoke (real qemu-img, real ISO) and its domain XML."""
import io
import json
import subprocess
import xml.etree.ElementTree as ET

import pycdlib
import pytest

from capsul.hub import capsuls, db
from capsul.hub.db import vms
from capsul.spoke.cloud_init import mac_for_ipv4
from capsul.spoke.domain_xml import build_domain_xml
from capsul.spoke.storage import Storage, StorageError
from tests.conftest import add_account_with_key, eventually, spoke_ready

PAYLOAD = {"vm_id": "capsul-abcdefghij", "vcpus": 2, "memory_mb": 1024, "disk_gb": 1, "os_image": "tiny",
           "os_image_file": "tiny.qcow2", "public_ipv4": "198.18.0.7", "network_name": "default",
           "ssh_public_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0 alice@laptop"]}


@pytest.fixture
def storage(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(images / "tiny.qcow2"), "64M"], check=True)
    return Storage(images, tmp_path / "vms", real=True)


def read_iso_file(path, name):
    iso = pycdlib.PyCdlib()
    iso.open(str(path))
    out = io.BytesIO()
    iso.get_file_from_iso_fp(out, rr_path=f"/{name}")
    label = iso.pvd.volume_identifier.decode().strip()
    iso.close()
    return label, out.getvalue().decode()


async def test_prepare_makes_an_overlay_and_a_seed_and_remove_takes_them_away(storage):
    files = await storage.prepare(PAYLOAD)
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(files.disk)], check=True,
                                     capture_output=True, text=True).stdout)
    assert info["format"] == "qcow2" and info["virtual-size"] == 1024 ** 3
    assert info["backing-filename"] == str(storage.images_dir / "tiny.qcow2")
    label, user_data = read_iso_file(files.seed, "user-data")
    assert label == "cidata"
    assert "hostname: capsul-abcdefghij" in user_data and "name: cyberian" in user_data
    assert '"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0 alice@laptop"' in user_data
    assert "local-hostname: capsul-abcdefghij" in read_iso_file(files.seed, "meta-data")[1]

    made_at = files.disk.stat().st_mtime_ns
    assert await storage.prepare(PAYLOAD) == files  # again: the disk is kept as it is
    assert files.disk.stat().st_mtime_ns == made_at

    files.console_log.write_text("boot log")
    assert set(await storage.remove(PAYLOAD["vm_id"])) == {files.disk, files.seed, files.console_log}
    assert list(storage.vm_dir.iterdir()) == []
    assert await storage.remove(PAYLOAD["vm_id"]) == []  # harmless twice


async def test_a_missing_image_is_a_clear_error(storage):
    with pytest.raises(StorageError, match="OS image nope is missing or unreadable"):
        await storage.prepare({**PAYLOAD, "os_image": "nope", "os_image_file": "nope.qcow2"})
    assert not storage.vm_dir.exists() or list(storage.vm_dir.iterdir()) == []


async def test_the_test_driver_gets_paths_but_no_files(tmp_path):
    storage = Storage(tmp_path / "images", tmp_path / "vms", real=False)
    files = await storage.prepare(PAYLOAD)
    assert files.disk == tmp_path / "vms" / "capsul-abcdefghij.qcow2" and not files.disk.exists()


@pytest.mark.parametrize("domain_type", ["kvm", "qemu", "test"])
def test_domain_xml(storage, domain_type):
    files = storage.paths(PAYLOAD["vm_id"])
    root = ET.fromstring(build_domain_xml(PAYLOAD, files, domain_type=domain_type))
    assert root.get("type") == domain_type and root.findtext("name") == "capsul-abcdefghij"
    assert root.findtext("memory") == "1024" and root.find("memory").get("unit") == "MiB"
    assert root.findtext("vcpu") == "2"
    disks = {d.find("target").get("dev"): d.find("source").get("file") for d in root.iter("disk")}
    assert disks == {"vda": str(files.disk), "vdb": str(files.seed)}
    assert root.find("os/boot").get("dev") == "hd" and root.find("os/kernel") is None
    assert root.find("devices/interface/mac").get("address") == mac_for_ipv4("198.18.0.7") == "52:54:c6:12:00:07"
    assert root.find("devices/serial/log").get("file") == str(files.console_log)
    assert (root.find("cpu") is not None) == (domain_type == "kvm")


async def test_the_node_builds_with_the_same_xml_on_the_test_driver_and_fails_cleanly_without_an_image(
        start_node, pool, tmp_path):
    node = await start_node(VM_STORAGE_DIR=str(tmp_path / "vms"))
    await add_account_with_key(pool)
    await spoke_ready(pool)
    vm = await capsuls.create_capsul(node.hub, "alice@example.org", "f1-xs", "debian12", ["laptop"])
    virt = node.hypervisor

    async def defined():
        return await virt.exists(vm["id"])

    await eventually(defined)
    assert f"{tmp_path / 'vms' / vm['id']}.qcow2" in await virt.xml(vm["id"])

    # the same spoke with real file work and an empty image folder: the create fails cleanly
    node.spoke_operations.storage = Storage(tmp_path / "no-images", tmp_path / "vms", real=True)
    failed = await capsuls.create_capsul(node.hub, "alice@example.org", "f1-xs", "debian12", ["laptop"])

    async def marked_failed():
        async with db.cursor(pool) as cur:
            row = await vms.get_vm(cur, failed["id"])
        return row["state"] == "failed" and row

    row = await eventually(marked_failed)
    assert "OS image debian12 is missing or unreadable" in row["failure_reason"] and row["public_ipv4"] is None
    assert not await virt.exists(failed["id"])
