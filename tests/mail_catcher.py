"""A real SMTP server (aiosmtpd) on the test's event loop, catching the login mails capsul sends."""
from __future__ import annotations

import asyncio
import email
import email.policy
import re

from aiosmtpd.smtp import SMTP

LINK_RE = re.compile(r"https?://\S+/login/[A-Za-z0-9_-]+(?:\?\S*)?")


class MailCatcher:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.arrived = asyncio.Condition()
        self.server: asyncio.base_events.Server | None = None
        self.port: int | None = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        async with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 OK"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: SMTP(self, hostname="mail.test"), "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()

    def env(self) -> dict[str, str]:
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(self.port), "MAIL_USE_TLS": "false",
                "MAIL_DEFAULT_SENDER": "capsul@mail.test"}

    async def login_link(self, to: str, *, after: int = 0, timeout: float = 10) -> str:
        """The link in the newest mail to `to`, waiting until more than `after` mails reached it."""
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: self.count_to(to) > after), timeout)
        message = [m for m in self.messages if m["To"] == to][-1]
        body = message.get_content()
        match = LINK_RE.search(body)
        assert match, f"no login link in the mail to {to}: {body!r}"
        return match.group(0)

    def count_to(self, to: str) -> int:
        return sum(1 for m in self.messages if m["To"] == to)

