"""The address of the person's browser, for per-client limits and logs.

Behind a load balancer every request comes from the balancer; TRUSTED_PROXIES names the
balancers, whose X-Forwarded-For is then believed — read from the right, stopping at the
first hop that is not itself a trusted proxy (anything further left was written by the
client and proves nothing).
"""
from __future__ import annotations

import ipaddress

from aiohttp import web

from capsul.hub.console.keys import config_key


def client_address(request: web.Request) -> str | None:
    proxies = request.config_dict[config_key].trusted_proxies
    address = request.remote
    if not proxies or not _is_trusted(address, proxies):
        return address
    hops = [hop.strip() for header in request.headers.getall("X-Forwarded-For", ()) for hop in header.split(",")]
    for hop in reversed(hops):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            break  # garbage from the far side: the last trusted hop is all we know
        if not _is_trusted(address, proxies):
            break
    return address


def _is_trusted(address: str | None, proxies) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False  # a Unix socket peer has no address
    return any(ip in network for network in proxies)
