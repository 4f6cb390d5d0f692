"""Login mails: sent through SMTP (aiosmtplib), or written to the log when no server is set."""
from __future__ import annotations

import logging
from email.message import EmailMessage

import aiosmtplib

from capsul.config import Config

log = logging.getLogger(__name__)
SEND_TIMEOUT = 15  # seconds; a hung mail server must not hold a request forever


class MailFailed(Exception):
    """The mail could not be handed to the SMTP server; str() is safe to show."""


class Mailer:
    def __init__(self, config: Config):
        self.config = config

    async def send_login_link(self, to: str, url: str) -> None:
        if not self.config.mail_server:
            # NOTE: the embedded default has no mail server: one line with the full URL, so an
            # operator (or a test) can copy it.
            log.warning("login link for %s (no MAIL_SERVER set, so it is not mailed): %s", to, url)
            return
        await self.send(to, "Your capsul login link",
                        f"Hello,\n\nsomeone (hopefully you) asked to log in to capsul with this address.\n"
                        f"Open this link within 15 minutes to log in; it works once:\n\n{url}\n\n"
                        f"If it was not you, ignore this mail: nothing happens without the link.\n")

    async def send(self, to: str, subject: str, body: str) -> None:
        """One plain-text mail (logged instead when no MAIL_SERVER is set); MailFailed if refused."""
        if not self.config.mail_server:
            log.warning("mail to %s (no MAIL_SERVER set, so it is not sent): %s", to, subject)
            return
        message = EmailMessage()
        message["From"] = self.config.mail_default_sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        config = self.config
        try:
            await aiosmtplib.send(message, hostname=config.mail_server, port=config.mail_port,
                                  username=config.mail_username, password=config.mail_password,
                                  start_tls=config.mail_use_tls, timeout=SEND_TIMEOUT)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as e:
            log.error("cannot mail %r to %s through %s:%s: %s", subject, to, config.mail_server, config.mail_port, e)
            raise MailFailed("we could not send the mail just now; try again in a few minutes") from None
        log.info("mailed %r to %s", subject, to)
