"""``flows.NavigationLog``'s check that a sign-in went by redirects alone, which the catalogue's
and ``run --idp``'s automatic login both make: fed responses in-process, no browser."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import cast

import pytest
from playwright.sync_api import Page

from scenarios.flows import NavigationLog

IDP = "https://login.example.test"
APP = "http://127.0.0.1:8000"
FRAME = object()


class _Page:
    """What ``NavigationLog`` uses of a page: its main frame and its response event."""

    main_frame = FRAME

    def __init__(self) -> None:
        self.handlers: list[Callable[[object], None]] = []

    def on(self, event: str, handler: Callable[[object], None]) -> None:
        assert event == "response"
        self.handlers.append(handler)

    def receive(self, url: str, status: int, location: str | None = None) -> None:
        response = SimpleNamespace(
            url=url, status=status, headers={"location": location} if location else {},
            request=SimpleNamespace(resource_type="document", frame=FRAME, method="GET"))
        for handler in self.handlers:
            handler(response)


def _signed_in(*between: tuple[str, int]) -> NavigationLog:
    """A log of following the widget's sign-in URL with a provider session: redirects to the
    provider and back, with ``between`` before the app's page."""
    page = _Page()
    log = NavigationLog(cast(Page, page))
    page.receive(f"{APP}/widget/login", 302, f"{IDP}/authorize")
    page.receive(f"{IDP}/authorize?client_id=x", 302, f"{APP}/auth/callback?code=c")
    page.receive(f"{APP}/auth/callback?code=c", 302, "/widget")
    for url, status in between:
        page.receive(url, status)
    page.receive(f"{APP}/widget", 200)
    return log


def test_redirects_alone_to_the_app_page_pass() -> None:
    _signed_in().expect_no_page_between(IDP)


def test_a_page_of_the_apps_own_on_the_way_fails() -> None:
    log = _signed_in((f"{APP}/auth/finishing", 200))
    assert log.pages_shown_from(IDP) == []
    with pytest.raises(AssertionError, match="expected only the app page, saw .*/auth/finishing"):
        log.expect_no_page_between(IDP)


def test_a_page_of_the_providers_fails() -> None:
    with pytest.raises(AssertionError, match=r"the provider showed \[.*/kmsi"):
        _signed_in((f"{IDP}/kmsi", 200)).expect_no_page_between(IDP)
