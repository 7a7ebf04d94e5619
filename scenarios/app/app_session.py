"""Forgetting the app's session in a browser: its cookies, and its origin's web storage.

A server-side app keeps its session in a cookie. A single-page app keeps its tokens in web
storage: oidc-client-ts (and react-oidc-context, angular-auth-oidc-client on it) in
``sessionStorage`` by default, MSAL.js in ``sessionStorage`` or ``localStorage`` (encrypted
since MSAL.js 4 with a key in a session cookie, so the cookies alone happen to sign it out).
Clearing only the cookies would leave most single-page apps signed in, and a scenario that
drops the app's session (a silent return, a user disabled after signing in) would judge an app
that never asked the provider again.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["cookie_domain", "forget_app_session"]

CLEAR_STORAGE = "() => { localStorage.clear(); sessionStorage.clear(); }"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def cookie_domain(url: str) -> str:
    """The domain the browser files a cookie of ``url``'s host under: the host name, or an
    IPv6 address in its brackets as the URL writes it (Chromium's cookie for
    ``http://[::1]:8000/`` has the domain ``[::1]``; ``urlsplit`` gives the address bare, a
    domain no cookie has)."""
    host = urlsplit(url).hostname or ""
    return f"[{host}]" if ":" in host else host


def forget_app_session(page: Page, base_url: str) -> None:
    """Clear the app's cookies in ``page``'s context, the web storage of every page of the
    context that shows the app (a tab's ``sessionStorage`` is its own), and the origin's
    ``localStorage`` also where no tab shows the app (Chromium's DevTools
    ``Storage.clearDataForOrigin``, asked through ``page``). The provider's session stays."""
    from playwright.sync_api import Error

    page.context.clear_cookies(domain=cookie_domain(base_url))
    origin = _origin(base_url)
    for shown in page.context.pages:
        if _origin(shown.url) == origin:
            with contextlib.suppress(Error):  # a page closing or navigating away meanwhile
                shown.evaluate(CLEAR_STORAGE)
    session = page.context.new_cdp_session(page)
    try:
        session.send("Storage.clearDataForOrigin",
                     {"origin": origin, "storageTypes": "local_storage"})
    finally:
        with contextlib.suppress(Error):
            session.detach()
