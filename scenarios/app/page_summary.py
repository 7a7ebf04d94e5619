"""What the browser shows, in a line a failure message can quote: the app's page path, its
HTTP status and the first line of its text (a framework's "Internal Server Error", a library's
"Login Failure", a plain "Forbidden")."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["page_summary"]

SHOWN_TEXT = 80


def page_summary(page: Page) -> str:
    """``the app showed /auth/callback with HTTP 500: 'Internal Server Error'``."""
    status = page.evaluate(
        "() => performance.getEntriesByType('navigation')[0]?.responseStatus ?? 0")
    lines = [line.strip() for line in page.locator("body").inner_text().splitlines()]
    first = next((line for line in lines if line), "")
    first = first if len(first) <= SHOWN_TEXT else first[:SHOWN_TEXT] + "…"
    return (f"the app showed {urlsplit(page.url).path or '/'} with HTTP {status}"
            + (f": {first!r}" if first else " and no text"))
