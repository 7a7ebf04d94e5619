"""What a missing failure page's message adds when the page's address carries an ``error``
the app did not show: grant 5 sends a callback it cannot match to the browser's session to
``/?error=Grant: missing session or misconfigured provider``, the app's home page, which says
nothing of it (without a browser: stand-ins for the adapter and the page)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from scenarios.app.failure_page import _instead

APP = "http://127.0.0.1:35599"


def _told(url: str) -> str:
    app: Any = SimpleNamespace(showing=lambda page: "the app showed / with HTTP 200",
                               capabilities=set(),
                               redirect_uris=[f"{APP}/connect/microsoft/callback"])
    return _instead(app, SimpleNamespace(url=url))  # type: ignore[arg-type]


def test_an_error_sent_to_another_page_is_named() -> None:
    assert _told(f"{APP}/?error=Grant%3A+missing+session+or+misconfigured+provider") == (
        "the app showed / with HTTP 200; its address carried error='Grant: missing session or "
        "misconfigured provider': the app refused the sign-in there, and its page should say so")


def test_the_providers_error_at_the_redirect_uri_is_not_repeated() -> None:
    assert _told(f"{APP}/connect/microsoft/callback?error=access_denied&state=s") == \
        "the app showed / with HTTP 200"
    assert _told(f"{APP}/") == "the app showed / with HTTP 200"
