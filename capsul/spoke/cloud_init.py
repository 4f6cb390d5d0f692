"""What a capsul's NoCloud seed tells cloud-init in the guest.

- user-data: the hostname (the capsul id), the login user `cyberian` with the chosen SSH keys,
  no password login, the root filesystem grown to the disk, host key fingerprints printed on
  the serial console (where the spoke reads them, see `host_keys.py`);
- meta-data: the instance id, so cloud-init runs its first-boot modules once per capsul, and
  again after each rebuild (the id and its generation);
- network-config (version 2, matched by MAC): the addresses the hub allocated, default
  routes and DNS, so the address a person is shown is the address the guest has.

The network config is written for the oldest cloud-init we support (22.4, Debian 12), whose
route handling has three traps: it rejects `to: default` ("Address default is not a valid ip
network") and then configures nothing; it turns `to: ::/0` into `::/64` (a prefix of 0 is
dropped as false); and its ifupdown renderer writes routes as `route add ... || true`, which
does nothing on an image without net-tools. So the default routes are given as `gateway4` and
`gateway6`, which every renderer (ifupdown, networkd, netplan) turns into a real default route;
netplan calls them deprecated but accepts them. tests/test_cloud_init_seed.py renders the
seed with cloud-init's own tools, and tests/test_reachable_capsul.py boots it.
"""
from __future__ import annotations

import ipaddress
import json

LOGIN_USER = "cyberian"  # the user capsuls are logged in to, as in the original capsul
INTERFACE = "eth0"  # the name the guest's one NIC gets (cloud-init renames it by MAC)


def mac_for_ipv4(ipv4: str) -> str:
    """A stable, locally administered MAC per address, so a VM's MAC maps back to its IPv4."""
    octets = ipaddress.IPv4Address(ipv4).packed
    return "52:54:" + ":".join(f"{b:02x}" for b in octets)


def _q(value) -> str:
    """A YAML scalar: JSON's quoting is valid YAML and never mistaken for another type."""
    return json.dumps(value)


def user_data(payload: dict) -> str:
    keys = [k.replace("\n", " ").strip() for k in payload.get("ssh_public_keys", [])]
    lines = [
        "#cloud-config",
        f"hostname: {payload['vm_id']}",  # a capsul id: [a-z0-9-] only
        "preserve_hostname: false",
        "manage_etc_hosts: true",
        "users:",
        f"  - name: {LOGIN_USER}",
        "    sudo: \"ALL=(ALL) NOPASSWD:ALL\"",
        "    shell: /bin/sh",
        "    lock_passwd: true",
        "    ssh_authorized_keys:",
        *[f"      - {_q(k)}" for k in keys],
        "disable_root: true",
        "ssh_pwauth: false",
        "growpart:",
        "  mode: auto",
        "  devices: [\"/\"]",
        "resize_rootfs: true",
        "no_ssh_fingerprints: false",
        # moved to another segment: a new instance (its new addresses applied), the same host keys
        *(["ssh_deletekeys: false"] if payload.get("keep_host_keys") else []),
        # every image has C.UTF-8; cloud-init's default (en_US.UTF-8) is missing from Debian's
        # cloud images, where update-locale then fails and cloud-init reports an error
        "locale: C.UTF-8",
    ]
    return "\n".join(lines) + "\n"


def instance_id(payload: dict) -> str:
    """The capsul id, and after a rebuild its generation too: a new instance-id is what makes
    cloud-init run its first-boot modules again (keys, host keys, growpart) on the fresh disk."""
    generation = int(payload.get("generation") or 0)
    return payload["vm_id"] if generation == 0 else f"{payload['vm_id']}-{generation}"


def meta_data(payload: dict) -> str:
    return f"instance-id: {instance_id(payload)}\nlocal-hostname: {payload['vm_id']}\n"


def network_config(payload: dict) -> str | None:
    """Version 2 network config for the capsul's NIC, or None when it has no address."""
    ipv4 = payload.get("public_ipv4")
    if not ipv4:
        return None
    addresses = [f"{ipv4}/{int(payload.get('ipv4_prefix') or 32)}"]
    if payload.get("public_ipv6"):
        addresses.append(f"{payload['public_ipv6']}/{int(payload.get('ipv6_prefix') or 128)}")
    lines = [
        "version: 2",
        "ethernets:",
        f"  {INTERFACE}:",
        "    match:",
        f"      macaddress: {_q(mac_for_ipv4(ipv4))}",
        f"    set-name: {INTERFACE}",
        "    dhcp4: false",
        "    dhcp6: false",
        "    accept-ra: false",  # the address and route are the ones given here, not a router's
        "    addresses:",
        *[f"      - {_q(a)}" for a in addresses],
    ]
    if payload.get("ipv4_gateway"):
        lines.append(f"    gateway4: {_q(payload['ipv4_gateway'])}")
    if payload.get("public_ipv6") and payload.get("ipv6_gateway"):
        lines.append(f"    gateway6: {_q(payload['ipv6_gateway'])}")
    if payload.get("dns_servers"):
        lines += ["    nameservers:", "      addresses:", *[f"        - {_q(d)}" for d in payload["dns_servers"]]]
    return "\n".join(lines) + "\n"
