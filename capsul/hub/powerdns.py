"""PowerDNS Authoritative's HTTP API, as reverse DNS uses it (hub/reverse_dns.py): which zones the
server holds, and one PTR record replaced. Through the hub process's one aiohttp session.

    api = PowerDns(session, url, api_key, server_id)
    zone = await api.zone_for("5.113.0.203.in-addr.arpa.")   # the longest zone holding it, or None
    await api.set_ptr(zone, "5.113.0.203.in-addr.arpa.", "www.example.org.", ttl=3600)

Every failure is PowerDnsError, whose str() is safe to show an admin.
"""
from __future__ import annotations

import aiohttp
from yarl import URL

TIMEOUT = aiohttp.ClientTimeout(total=10)


class PowerDnsError(Exception):
    pass


class PowerDns:
    def __init__(self, session: aiohttp.ClientSession, url: str, api_key: str, server_id: str):
        self.session = session
        self.base = URL(url) / "api" / "v1" / "servers" / server_id
        self.headers = {"X-API-Key": api_key}

    async def _call(self, method: str, url: URL, body: dict | None = None):
        try:
            async with self.session.request(method, url, json=body, headers=self.headers, timeout=TIMEOUT) as r:
                text = await r.text()
                if r.status >= 300:
                    raise PowerDnsError(f"PowerDNS answered {r.status} to {method} {url.path}: {text.strip()[:200]}")
                return await r.json(content_type=None) if text.strip() else None
        except (aiohttp.ClientError, TimeoutError, ValueError) as e:
            raise PowerDnsError(f"PowerDNS at {self.base.origin()} cannot be reached: {str(e) or type(e).__name__}") \
                from None

    async def zones(self) -> list[str]:
        listed = await self._call("GET", self.base / "zones")
        if not isinstance(listed, list):
            raise PowerDnsError("PowerDNS listed its zones in a shape capsul does not know")
        return [z["name"] for z in listed if isinstance(z, dict) and isinstance(z.get("name"), str)]

    async def zone_for(self, record: str) -> str | None:
        """The zone (its name, with the final dot) this server holds that `record` is in: the longest one."""
        record = record.lower()
        inside = [z for z in await self.zones() if record == z.lower() or record.endswith("." + z.lower())]
        return max(inside, key=len) if inside else None

    async def set_ptr(self, zone: str, record: str, target: str, *, ttl: int) -> None:
        await self._call("PATCH", self.base / "zones" / zone, {"rrsets": [{
            "name": record, "type": "PTR", "ttl": ttl, "changetype": "REPLACE",
            "records": [{"content": target, "disabled": False}]}]})
