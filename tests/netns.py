"""Test hosts in network namespaces: a bridge in the root namespace, one namespace per spoke.

Addresses come from 198.18.0.0/15 (reserved for network tests) and exist only on the
bridge and inside the namespaces this module makes; everything is removed afterwards.
"""
from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass, field


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@dataclass
class NetnsLab:
    subnet: str = "198.18.200"
    tag: str = field(default_factory=lambda: secrets.token_hex(2))
    namespaces: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # namespace -> its veth end in the root namespace

    @property
    def bridge(self) -> str:
        return f"cbr{self.tag}"

    @property
    def hub_address(self) -> str:
        return f"{self.subnet}.1"

    def up(self) -> None:
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.hub_address}/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")

    def add_host(self, index: int) -> tuple[str, str]:
        """A namespace wired to the bridge; returns (namespace, its address)."""
        ns = f"capsul-{self.tag}-{index}"
        outside, inside = f"cv{self.tag}h{index}", f"cv{self.tag}n{index}"
        address = f"{self.subnet}.{10 + index}"
        ip("netns", "add", ns)
        self.namespaces.append(ns)
        ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        self.links[ns] = outside
        ip("link", "set", inside, "netns", ns)
        ip("link", "set", outside, "master", self.bridge)
        ip("link", "set", outside, "up")
        ip("-n", ns, "addr", "add", f"{address}/24", "dev", inside)
        ip("-n", ns, "link", "set", inside, "up")
        ip("-n", ns, "link", "set", "lo", "up")
        return ns, address

    def cut(self, ns: str) -> None:
        ip("link", "set", self.links[ns], "down")

    def restore(self, ns: str) -> None:
        ip("link", "set", self.links[ns], "up")

    def down(self) -> None:
        for ns in self.namespaces:
            subprocess.run(["ip", "link", "del", self.links.get(ns, "")], capture_output=True)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
