"""The seed the spoke writes, checked by cloud-init's own tools (Debian's cloud-init package,
the version Debian 12's cloud images carry): the user-data against cloud-init's schema, and the
network-config rendered by the distro renderers (ifupdown, systemd-networkd, netplan), for an
IPv4-only and a dual-stack pool. A config real cloud-init rejects or mangles fails here.
tests/test_reachable_capsul.py boots the same seed in a real cloud image.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from capsul.spoke import cloud_init
from capsul.spoke.storage import write_seed_iso
from tests.test_storage import read_iso_file

pytestmark = pytest.mark.skipif(shutil.which("cloud-init") is None, reason="./setup.sh test installs cloud-init")

BASE = {"vm_id": "capsul-abcdefghij", "ssh_public_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0 alice@laptop",
                                                          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK1 alice@phone"],
        "public_ipv4": "203.0.113.10", "ipv4_prefix": 24, "ipv4_gateway": "203.0.113.1",
        "dns_servers": ["203.0.113.53", "2001:db8:53::53"]}
DUAL = {**BASE, "public_ipv6": "2001:db8:1::2", "ipv6_prefix": 64, "ipv6_gateway": "2001:db8:1::1"}
LINK_LOCAL_GATEWAY = {**DUAL, "ipv6_gateway": "fe80::1"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def render(network_config: str, kind: str, folder: Path) -> str:
    """The files cloud-init's renderer `kind` writes for this network-config, concatenated."""
    source, out = folder / f"network-config-{kind}", folder / f"out-{kind}"
    source.write_text(network_config)
    result = run("cloud-init", "devel", "net-convert", "--network-data", str(source), "--kind", "yaml",
                 "--output-kind", kind, "--distro", "debian", "--directory", str(out))
    assert result.returncode == 0, f"cloud-init rejected the network-config for {kind}:\n{result.stderr[-3000:]}"
    return "\n".join(p.read_text() for p in sorted(out.rglob("*")) if p.is_file())


def test_the_user_data_passes_cloud_inits_schema_check(tmp_path):
    path = tmp_path / "user-data"
    path.write_text(cloud_init.user_data(BASE))
    result = run("cloud-init", "schema", "--config-file", str(path))
    assert result.returncode == 0 and "Valid cloud-config" in result.stdout, result.stdout + result.stderr
    text = path.read_text()
    for expected in ("hostname: capsul-abcdefghij", "name: cyberian", "ssh_pwauth: false", "lock_passwd: true",
                     "resize_rootfs: true", "no_ssh_fingerprints: false", *BASE["ssh_public_keys"]):
        assert expected in text


def test_the_schema_check_catches_a_broken_user_data(tmp_path):
    """The check above could fail: a wrong type is reported by the same command."""
    path = tmp_path / "user-data"
    path.write_text(cloud_init.user_data(BASE).replace("ssh_pwauth: false", "ssh_pwauth: [1]"))
    result = run("cloud-init", "schema", "--config-file", str(path))
    assert result.returncode != 0 and "ssh_pwauth" in result.stdout + result.stderr


@pytest.mark.parametrize("kind", ["eni", "networkd", "netplan"])
def test_an_ipv4_pool_renders_an_address_a_default_route_and_dns(kind, tmp_path):
    text = render(cloud_init.network_config(BASE), kind, tmp_path)
    assert "203.0.113.10/24" in text and "203.0.113.53" in text
    assert {"eni": "gateway 203.0.113.1", "networkd": "Gateway=203.0.113.1",
            "netplan": "gateway4: 203.0.113.1"}[kind] in text
    assert "2001:db8:1::" not in text and "inet6" not in text


@pytest.mark.parametrize("payload", [DUAL, LINK_LOCAL_GATEWAY], ids=["routed-gateway", "link-local-gateway"])
@pytest.mark.parametrize("kind", ["eni", "networkd", "netplan"])
def test_a_dual_stack_pool_renders_both_addresses_and_both_default_routes(kind, payload, tmp_path):
    text = render(cloud_init.network_config(payload), kind, tmp_path)
    gw6 = payload["ipv6_gateway"]
    assert "203.0.113.10/24" in text and "2001:db8:1::2/64" in text
    assert {"eni": f"gateway {gw6}", "networkd": f"Gateway={gw6}", "netplan": f"gateway6: {gw6}"}[kind] in text
    assert {"eni": "gateway 203.0.113.1", "networkd": "Gateway=203.0.113.1",
            "netplan": "gateway4: 203.0.113.1"}[kind] in text
    assert "::/64" not in text.replace("2001:db8:1::2/64", "")  # no default route narrowed to a /64
    mac = cloud_init.mac_for_ipv4("203.0.113.10")
    if kind != "eni":
        assert mac in text.lower()


def test_the_renderers_catch_what_debian_12_rejects(tmp_path):
    """The check could fail: `to: default`, accepted by newer cloud-init, is refused by this one."""
    broken = cloud_init.network_config(BASE).replace("    gateway4: \"203.0.113.1\"\n",
                                                     "    routes:\n      - to: default\n        via: 203.0.113.1\n")
    assert "to: default" in broken
    with pytest.raises(AssertionError, match="rejected"):
        render(broken, "eni", tmp_path)


def test_the_seed_iso_carries_all_three_files(tmp_path):
    write_seed_iso(tmp_path / "seed.iso", DUAL)
    label, network = read_iso_file(tmp_path / "seed.iso", "network-config")
    assert label == "cidata" and network == cloud_init.network_config(DUAL)
    assert read_iso_file(tmp_path / "seed.iso", "user-data")[1] == cloud_init.user_data(DUAL)
    assert "instance-id: capsul-abcdefghij" in read_iso_file(tmp_path / "seed.iso", "meta-data")[1]


def test_a_capsul_without_an_address_gets_no_network_config():
    assert cloud_init.network_config({"vm_id": "capsul-abcdefghij"}) is None
