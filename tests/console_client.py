"""A person using the web console over plain HTTP: a cookie jar, forms with their CSRF token."""
from __future__ import annotations

import html
import re

import aiohttp
from yarl import URL

from tests.mail_catcher import MailCatcher

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ERROR_RE = re.compile(r'<p class="error" role="alert">(.*?)</p>', re.S)


class ConsoleClient:
    def __init__(self, base_url: str, *, user_agent: str | None = None):
        self.base_url = base_url.rstrip("/")
        # unsafe=True: keep cookies for an IP address host (127.0.0.1)
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                             headers={"User-Agent": user_agent} if user_agent else None)
        self.csrf: str | None = None

    async def close(self) -> None:
        await self.session.close()

    def url(self, path: str) -> str:
        return self.base_url + path

    async def get(self, path: str, **kwargs) -> tuple[int, str]:
        async with self.session.get(self.url(path), **kwargs) as r:
            text = await r.text()
            self._remember_csrf(text)
            return r.status, text

    async def post(self, path: str, data: dict | list, *, csrf: bool = True, **kwargs) -> tuple[int, str, URL]:
        """POST a form (with the page's CSRF token unless csrf=False); follows redirects."""
        if self.csrf is None and csrf:
            await self.get("/login")
        fields = list(data.items()) if isinstance(data, dict) else list(data)
        if csrf:
            fields.append(("csrf_token", self.csrf))
        async with self.session.post(self.url(path), data=fields, **kwargs) as r:
            text = await r.text()
            self._remember_csrf(text)
            return r.status, text, r.url

    def _remember_csrf(self, text: str) -> None:
        match = CSRF_RE.search(text)
        if match:
            self.csrf = html.unescape(match.group(1))

    async def login(self, mail: MailCatcher, email: str) -> None:
        before = mail.count_to(email)
        status, text, _ = await self.post("/login", {"email": email, "next": "/capsuls"})
        assert status == 200 and "Check your mail" in text, (status, error_of(text))
        link = await mail.login_link(email, after=before)
        status, text, url = await self.open_login_link(link)
        assert status == 200 and url.path == "/capsuls", (status, url, error_of(text))

    async def open_login_link(self, link: str) -> tuple[int, str, URL]:
        """What a person does with the mailed link: open it, press Log in."""
        status, page = await self.get(link[len(self.base_url):])
        assert status == 200, status
        path = URL(link).path
        return await self.post(path, {"next": URL(link).query.get("next", "/capsuls")})

    def session_cookie(self) -> str | None:
        for cookie in self.session.cookie_jar:
            if cookie.key == "capsul_session":
                return cookie.value
        return None


def error_of(text: str) -> str | None:
    """The error message a page shows, unescaped."""
    match = ERROR_RE.search(text)
    return html.unescape(match.group(1)).strip() if match else None
