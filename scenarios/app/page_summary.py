"""What the browser shows, in a line a failure message can quote: the app's page path, its
HTTP status and the first line of its text (a framework's "Internal Server Error", a library's
"Login Failure", a plain "Forbidden")."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["page_summary"]

SHOWN_TEXT = 80
READ_MS = 2000
"""How long each read may take: a message must come even from a page whose navigation never
commits (``evaluate`` has no time limit, so the status is read with ``wait_for_function``)."""

_STATUS_JS = "() => String(performance.getEntriesByType('navigation')[0]?.responseStatus ?? 0)"


def page_summary(page: Page) -> str:
    """``the app showed /auth/callback with HTTP 500: 'Internal Server Error'``."""
    path = urlsplit(page.url).path or "/"
    try:
        status = str(page.wait_for_function(_STATUS_JS, timeout=READ_MS).json_value())
        text = page.locator("body").inner_text(timeout=READ_MS)
    except PlaywrightError:
        return f"the app showed {path}, which could not be read within {READ_MS / 1000:g} s"
    lines = [line.strip() for line in text.splitlines()]
    first = next((line for line in lines if line), "")
    first = first if len(first) <= SHOWN_TEXT else first[:SHOWN_TEXT] + "…"
    return (f"the app showed {path} with HTTP {status}"
            + (f": {first!r}" if first else " and no text"))
