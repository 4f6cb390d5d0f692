"""The hub's signed calls to spokes, through the process's one aiohttp session."""
from __future__ import annotations

import logging

import aiohttp

from capsul import serial_console, signing

log = logging.getLogger(__name__)


class SpokeClient:
    def __init__(self, session: aiohttp.ClientSession):
        self.session = session
        # After rotate-token a spoke keeps its old HUB_TOKEN until its operator updates it;
        # remember per host which hub token it last accepted, so we ask with that one first.
        self._accepted: dict[str, str] = {}

    def _tokens(self, host: dict) -> list[str]:
        """The host's hub tokens, the one it last accepted first."""
        tokens = [t for t in (host["hub_token"], host.get("previous_hub_token")) if t]
        preferred = self._accepted.get(host["id"])
        if preferred in tokens:
            tokens.remove(preferred)
            tokens.insert(0, preferred)
        return tokens

    async def call(self, host: dict, path: str, payload: dict, *, timeout: float) -> dict:
        """POST to one spoke. `host` is a row of hosts.list_hosts_to_call()."""
        tokens = self._tokens(host)
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

    async def open_console(self, host: dict, vm_id: str, *, timeout: float) -> aiohttp.ClientWebSocketResponse:
        """The capsul's serial console on its spoke: a websocket whose upgrade is signed
        (GET, empty body). Raises CallFailed when the spoke refuses or cannot be reached."""
        tokens = self._tokens(host)
        for i, token in enumerate(tokens):
            try:
                ws = await signing.signed_websocket(
                    self.session, host["https_url"], f"/spoke/console/{vm_id}", host_id=host["id"], token=token,
                    direction=signing.HUB_TO_SPOKE, timeout=timeout, heartbeat=serial_console.WS_HEARTBEAT,
                    max_msg_size=serial_console.BUFFER_BYTES)
            except signing.CallFailed as e:
                if e.status == 401 and i + 1 < len(tokens):
                    continue
                raise
            self._accepted[host["id"]] = token
            return ws
        raise signing.CallFailed(f"host {host['id']} has no hub token")
