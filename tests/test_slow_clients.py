"""Slow and many connections (capsul/slow_clients.py), on both listeners: half a request head, or a
header line now and then, is closed after REQUEST_HEAD_TIMEOUT; a body that does not come is a
408 after REQUEST_BODY_TIMEOUT; one address holds at most CONNECTIONS_PER_ADDRESS. Before, 200 such
connections were all still open after 150 s."""
from __future__ import annotations

import asyncio
import ssl

from yarl import URL

from tests.conftest import eventually


async def _open(url: str, ca) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    u = URL(url)
    context = None
    if u.scheme == "https":
        context = ssl.create_default_context(cafile=str(ca))
    return await asyncio.open_connection(u.host, u.port, ssl=context)


async def _closed(reader: asyncio.StreamReader) -> bytes:
    """What the server sent before it closed the connection (b"" if nothing); waits for the close."""
    try:
        return await reader.read()
    except (ConnectionError, ssl.SSLError):
        return b""


async def test_half_a_request_head_or_a_dripping_one_is_closed(start_node, tls_files):
    node = await start_node(REQUEST_HEAD_TIMEOUT="1.5")
    loop = asyncio.get_running_loop()
    connections = []
    for url in (node.console_url, node.api_url):
        for _ in range(10):
            reader, writer = await _open(url, tls_files.ca)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half: ")  # half its headers, then nothing
            connections.append((reader, writer))
    dripping_reader, dripping_writer = await _open(node.console_url, tls_files.ca)
    dripping_writer.write(b"GET /healthz HTTP/1.1\r\n")

    async def drip():
        for i in range(100):  # a header line now and then, forever (bounded: it is closed long before)
            await asyncio.sleep(0.3)
            dripping_writer.write(f"X-Line-{i}: 1\r\n".encode())
    dripper = asyncio.create_task(drip())
    started = loop.time()
    try:
        answers = await asyncio.wait_for(asyncio.gather(*(_closed(r) for r, _ in connections)), 30)
        assert all(b"200 OK" not in a for a in answers)
        assert await asyncio.wait_for(_closed(dripping_reader), 30) == b""
        print(f"slow connections closed after {loop.time() - started:.1f} s")
    finally:
        dripper.cancel()
        for _, writer in [*connections, (None, dripping_writer)]:
            writer.close()
    # a quick client on a kept-alive connection is served as ever
    reader, writer = await _open(node.console_url, tls_files.ca)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await asyncio.wait_for(reader.readline(), 10)).startswith(b"HTTP/1.1 200")
    writer.close()


async def test_a_body_that_does_not_come_is_a_408(start_node, tls_files):
    node = await start_node(REQUEST_BODY_TIMEOUT="1")
    for url, path in ((node.console_url, "/login"), (node.api_url, "/hub/events")):
        reader, writer = await _open(url, tls_files.ca)
        writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     f"Content-Length: 1000\r\n\r\nemail=a".encode())
        status = await asyncio.wait_for(reader.readline(), 20)
        assert status.startswith(b"HTTP/1.1 408"), status
        writer.close()


async def test_one_address_holds_at_most_its_share_of_connections(start_node, tls_files):
    node = await start_node(CONNECTIONS_PER_ADDRESS="5")
    held = [await _open(node.console_url, tls_files.ca) for _ in range(5)]
    for _, writer in held:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    for reader, _ in held:
        assert (await asyncio.wait_for(reader.readline(), 10)).startswith(b"HTTP/1.1 200")
    reader, writer = await _open(node.console_url, tls_files.ca)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert await asyncio.wait_for(_closed(reader), 10) == b""  # the sixth is closed unanswered
    writer.close()
    held.pop()[1].close()

    async def a_place_again():
        reader, writer = await _open(node.console_url, tls_files.ca)
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            return (await asyncio.wait_for(reader.readline(), 10)).startswith(b"HTTP/1.1 200")
        finally:
            writer.close()
    await eventually(a_place_again)
    for _, writer in held:
        writer.close()
