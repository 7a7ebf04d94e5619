"""Why the browser's last navigation in a page failed, as Chromium said it (``net::ERR_…``).

Headless Chromium's own error page shows no text and its navigation timing carries no status,
so a redirect loop (``net::ERR_TOO_MANY_REDIRECTS``: Chromium follows at most 20 redirects)
looks there exactly like a connection the app dropped. The reason is only in the request's
``requestfailed`` event, so it is kept as the event comes, per page, for
:func:`scenarios.app.page_summary.page_summary` to read."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Request

__all__ = ["last_failure", "watch"]

TOO_MANY_REDIRECTS = "net::ERR_TOO_MANY_REDIRECTS"

_LAST: WeakKeyDictionary[Page, tuple[str, str]] = WeakKeyDictionary()
"""Each page's last failed main-frame navigation: its URL and Chromium's reason."""


def watch(context: BrowserContext) -> None:
    """Keep the failed navigations of every page in ``context``."""
    context.on("requestfailed", _note)


def _note(request: Request) -> None:
    if request.resource_type != "document":
        return
    with contextlib.suppress(Exception):  # a frame or page already gone
        if request.frame.parent_frame is None:
            _LAST[request.frame.page] = (request.url, request.failure or "")


def last_failure(page: Page, url: str) -> str | None:
    """Chromium's reason for the failed navigation of ``page`` to ``url``, if it was the
    page's last one to fail."""
    found = _LAST.get(page)
    return found[1] if found is not None and found[0] == url else None
