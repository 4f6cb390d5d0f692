"""Playwright driving Debian's /usr/bin/chromium (nothing downloaded), and what a failed
browser test leaves behind: a screenshot and the HTML of every open page under test-artifacts/."""
from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page

from tests.conftest import REPO

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = REPO / "test-artifacts"


class Browsers:
    """Browser contexts (separate cookie jars: separate people or sessions) opened by one test."""

    def __init__(self, browser: Browser):
        self.browser = browser
        self.contexts: list[BrowserContext] = []

    async def new_page(self, **options) -> Page:
        """A page in a context of its own (its own cookies); `options` for the context, such as viewport."""
        context = await self.browser.new_context(**options)
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return await context.new_page()

    async def save_artifacts(self, test_name: str) -> list[Path]:
        folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for c, context in enumerate(self.contexts):
            for p, page in enumerate(context.pages):
                stem = folder / f"context{c}-page{p}"
                try:
                    await page.screenshot(path=f"{stem}.png", full_page=True)
                    Path(f"{stem}.html").write_text(await page.content())
                    saved += [Path(f"{stem}.png"), Path(f"{stem}.html")]
                except Exception as e:  # a page that crashed: save what can be saved
                    Path(f"{stem}.error.txt").write_text(repr(e))
        return saved

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()
