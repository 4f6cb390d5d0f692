"""`GET /moves/{op_id}/disk`: a cold move's disk overlay, fetched by the destination spoke
(capsul/spoke/moves.py `_receive_disk`). Each request is signed (capsul/signing.py, direction
spoke->spoke) with the one-time secret the source made for that move and gave only the hub, which
gave it only the destination; the secret is good only while the move is at that step."""
from __future__ import annotations

from aiohttp import web

from capsul import errors, signing
from capsul.spoke.moves import CapsulMoves


def create_move_endpoints(moves: CapsulMoves) -> web.Application:
    async def secret_of(op_id: str) -> list[str]:  # the signer's "host" is the move's id
        return await moves.download_token(op_id)

    app = web.Application(middlewares=[signing.signed_api_middleware(
        signing.Verifier(signing.SPOKE_TO_SPOKE, secret_of))])

    async def disk(request: web.Request) -> web.StreamResponse:
        op_id = request.match_info["op_id"]
        if request[signing.SIGNED].host_id != op_id:
            raise errors.json_error(401, "signed for another move")
        entry = await moves.journal.get(op_id)
        path = moves.disk_of(entry["vm_id"])
        if not path.is_file():
            raise errors.json_error(404, "this host has no disk for that move")
        return web.FileResponse(path)

    app.router.add_get("/{op_id}/disk", disk, name="move_disk")
    return app
