"""The nftables script a spoke writes for its capsuls' firewalls, from the hub's document.

Two tables of the spoke's own (FIREWALL_TABLE), replaced whole in one `nft -f` transaction, so a
change is atomic and nothing outside them is ever touched:

- `inet` family, hook forward: traffic routed to a capsul's address (and bridged traffic too where
  br_netfilter passes it to IP hooks) jumps, through one verdict map per address family, to the
  capsul's chain: established and related traffic and IPv6 neighbour discovery are let in, then
  its rules, then the rest is dropped. A capsul that allows everything has no chain.
- `bridge` family, hook prerouting: every frame a guest sends is matched by the host side of its
  interface (capsul/spoke/domain_xml.py tap_name) and dropped unless it comes from the capsul's
  own MAC and addresses (ARP included; DHCP from 0.0.0.0, IPv6 link-local and DAD's `::` allowed;
  other ethertypes, VLAN tags among them, dropped). This is the anti-spoofing: nftables rather than
  libvirt's nwfilter `clean-traffic`, because nwfilter needs ebtables and iptables and keeps its rules
  in tables of libvirt's, while one nftables transaction here covers both concerns atomically and
  the spoke can read back exactly what it wrote (capsul/spoke/firewall/keeper.py).

Lookups are verdict maps (hashes), so the cost per packet does not grow with the number of capsuls
(bench/firewall.py). Every value put in the script is parsed first: addresses by ipaddress, ports as
ints, names built from capsul ids; nothing the hub sends is pasted in as text.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from capsul.spoke.cloud_init import mac_for_ipv4

ND_TYPES = ("nd-neighbor-solicit", "nd-neighbor-advert", "nd-router-advert", "nd-redirect")


@dataclass(frozen=True)
class Rule:
    protocol: str  # tcp, udp, icmp
    port_from: int | None
    port_to: int | None
    source: ipaddress.IPv4Network | ipaddress.IPv6Network | None


@dataclass(frozen=True)
class Capsul:
    vm_id: str
    device: str
    ipv4: ipaddress.IPv4Address | None
    ipv6: ipaddress.IPv6Address | None
    rules: tuple[Rule, ...] | None  # None: every inbound packet allowed

    @property
    def chain(self) -> str:
        return "c_" + self.vm_id.replace("-", "_")


def _rule_line(rule: Rule) -> str | None:
    """One rule as nftables says it, or None where it cannot match (an IPv6 source of an ICMP rule is
    ICMPv6, so each family gets its own match)."""
    words = []
    if rule.source is not None:
        words.append(f"{'ip' if rule.source.version == 4 else 'ip6'} saddr {rule.source}")
    if rule.protocol == "icmp":
        if rule.source is None:
            words.append("meta l4proto { icmp, ipv6-icmp }")
        else:
            words.append("meta l4proto " + ("icmp" if rule.source.version == 4 else "ipv6-icmp"))
    else:
        ports = str(rule.port_from) if rule.port_from == rule.port_to else f"{rule.port_from}-{rule.port_to}"
        words.append(f"{rule.protocol} dport {ports}")
    return " ".join(words) + " accept"


def _inbound_chain(c: Capsul) -> list[str]:
    lines = [f"  chain {c.chain} {{",
             "    ct state established,related accept",
             "    ct state invalid drop",
             f"    icmpv6 type {{ {', '.join(ND_TYPES)} }} accept"]
    lines += [f"    {_rule_line(r)}" for r in c.rules]
    lines += ["    counter drop", "  }"]
    return lines


def _spoofing_chain(c: Capsul) -> list[str]:
    mac = mac_for_ipv4(str(c.ipv4)) if c.ipv4 else None
    lines = [f"  chain {c.chain} {{", "    ether type != { ip, ip6, arp } drop"]
    if mac:
        lines += [f"    ether saddr != {mac} drop", f"    arp saddr ether != {mac} drop"]
    if c.ipv4:
        lines += ["    ip saddr 0.0.0.0 udp sport 68 udp dport 67 accept",  # DHCP before it has its address
                  f"    arp saddr ip != {c.ipv4} drop", f"    ip saddr != {c.ipv4} drop"]
    else:
        lines += ["    ether type { ip, arp } drop"]
    lines += ["    ip6 saddr { ::, fe80::/10 } accept"]
    lines += [f"    ip6 saddr != {c.ipv6} drop" if c.ipv6 else "    ether type ip6 drop"]
    lines += ["    accept", "  }"]
    return lines


def _map(name: str, key: str, elements: list[str]) -> list[str]:
    lines = [f"  map {name} {{", f"    type {key} : verdict"]
    if elements:
        lines.append("    elements = { " + ", ".join(elements) + " }")
    return lines + ["  }"]


def script(table: str, capsuls: list[Capsul]) -> str:
    """The whole `nft -f` input: both tables made (if missing), deleted and written again, at once."""
    filtered = [c for c in capsuls if c.rules is not None]
    lines = [f"table inet {table} {{}}", f"delete table inet {table}", f"table bridge {table} {{}}",
             f"delete table bridge {table}", f"table inet {table} {{"]
    lines += _map("inbound4", "ipv4_addr", [f"{c.ipv4} : jump {c.chain}" for c in filtered if c.ipv4])
    lines += _map("inbound6", "ipv6_addr", [f"{c.ipv6} : jump {c.chain}" for c in filtered if c.ipv6])
    lines += ["  chain forward {", "    type filter hook forward priority filter; policy accept;",
              "    ip daddr vmap @inbound4", "    ip6 daddr vmap @inbound6", "  }"]
    for c in filtered:
        lines += _inbound_chain(c)
    lines += ["}", f"table bridge {table} {{"]
    lines += _map("from_guests", "ifname", [f'"{c.device}" : jump {c.chain}' for c in capsuls])
    lines += ["  chain prerouting {", "    type filter hook prerouting priority filter; policy accept;",
              "    iifname vmap @from_guests", "  }"]
    for c in capsuls:
        lines += _spoofing_chain(c)
    lines.append("}")
    return "\n".join(lines) + "\n"


def changes_script(table: str, before: dict[str, Capsul], after: dict[str, Capsul]) -> str | None:
    """Only what changed between two writes, as one transaction: each changed or gone capsul's map
    elements and chains deleted, each changed or new one's added. None when nothing changed. A host of
    1,000 capsuls then writes a few lines per rule change instead of some 22,000 (bench/firewall.py)."""
    gone = [c for vm_id, c in before.items() if after.get(vm_id) != c]
    new = [c for vm_id, c in after.items() if before.get(vm_id) != c]
    if not gone and not new:
        return None
    lines = []
    for c in gone:  # elements first: a chain cannot go while a map still jumps to it
        if c.rules is not None:
            if c.ipv4:
                lines.append(f"delete element inet {table} inbound4 {{ {c.ipv4} }}")
            if c.ipv6:
                lines.append(f"delete element inet {table} inbound6 {{ {c.ipv6} }}")
        lines.append(f'delete element bridge {table} from_guests {{ "{c.device}" }}')
    for c in gone:
        if c.rules is not None:
            lines.append(f"delete chain inet {table} {c.chain}")
        lines.append(f"delete chain bridge {table} {c.chain}")
    for c in new:
        if c.rules is not None:
            lines += [f"table inet {table} {{", *_inbound_chain(c), "}"]
            if c.ipv4:
                lines.append(f"add element inet {table} inbound4 {{ {c.ipv4} : jump {c.chain} }}")
            if c.ipv6:
                lines.append(f"add element inet {table} inbound6 {{ {c.ipv6} : jump {c.chain} }}")
        lines += [f"table bridge {table} {{", *_spoofing_chain(c), "}",
                  f'add element bridge {table} from_guests {{ "{c.device}" : jump {c.chain} }}']
    return "\n".join(lines) + "\n"


def removal_script(table: str) -> str:
    return f"table inet {table} {{}}\ndelete table inet {table}\ntable bridge {table} {{}}\ndelete table bridge {table}\n"
