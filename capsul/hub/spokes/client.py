"""The hub's signed calls to spokes, through the process's one aiohttp session."""
from __future__ import annotations

import logging

import aiohttp

from capsul import signing

log = logging.getLogger(__name__)


class SpokeClient:
    def __init__(self, session: aiohttp.ClientSession):
        self.session = session
        # After rotate-token a spoke keeps its old HUB_TOKEN until its operator updates it;
        # remember per host which hub token it last accepted, so we ask with that one first.
        self._accepted: dict[str, str] = {}

    async def call(self, host: dict, path: str, payload: dict, *, timeout: float) -> dict:
        """POST to one spoke. `host` is a row of hosts.list_hosts_to_call()."""
        tokens = [t for t in (host["hub_token"], host.get("previous_hub_token")) if t]
        preferred = self._accepted.get(host["id"])
        if preferred in tokens:
            tokens.remove(preferred)
            tokens.insert(0, preferred)
        for i, token in enumerate(tokens):
            try:
                answer = await signing.signed_post(
                    self.session, host["https_url"], path, payload, host_id=host["id"], token=token,
                    direction=signing.HUB_TO_SPOKE, timeout=timeout)
            except signing.CallFailed as e:
                if e.status == 401 and i + 1 < len(tokens):
                    continue  # the spoke may hold the other token of a rotation
                raise
            self._accepted[host["id"]] = token
            return answer
        raise signing.CallFailed(f"host {host['id']} has no hub token")
