"""A back-channel row for an app told signed in by a page (``[signed_in] page``, no check
URL): the observation says so, and the row's reason words what that page showed rather than
a check URL's status no one asked for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pytest

from scenarios.conformance.browser_rows import RowDriver
from scenarios.conformance.control import MockControl
from scenarios.conformance.options import ConformanceOptions
from scenarios.conformance.rows import ROWS, judge

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

LT_NONCE = next(row for row in ROWS if row.id == "rp-backchannel-rpinitlogout-lt-with-nonce")


class _Control:
    """The provider's side of one back-channel row: a logout token the app answered 400."""

    logout_url = "http://idp.test/logout"

    def __init__(self) -> None:
        self.notes: list[dict[str, Any]] = []

    def backchannel_notes(self) -> list[dict[str, Any]]:
        return list(self.notes)

    def arm(self, kind: str, **_: str) -> str:
        return kind

    def end_session(self, cookies: dict[str, str]) -> None:
        self.notes.append({"id": "n1", "status": 400, "headers": {}})


class _Context:
    def cookies(self, url: str) -> list[dict[str, str]]:
        return []


def test_a_page_judged_app_s_back_channel_row_says_what_its_page_showed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    options = ConformanceOptions(rp="http://rp.test", idp="http://idp.test", check="/",
                                 shown_signed_in=lambda page: False, tenant="t",
                                 client_id="c", upn="u", password="p")
    driver = RowDriver(options, cast(MockControl, _Control()), cast("Browser", None))
    monkeypatch.setattr(driver, "_sign_in", lambda page: None)
    monkeypatch.setattr(driver, "_settled_check", lambda page, log: 200)
    monkeypatch.setattr("scenarios.conformance.browser_rows._navigation_log", lambda page: None)
    obs = driver._backchannel(LT_NONCE, cast("Page", None), cast("BrowserContext", _Context()))
    assert obs.by_page and obs.check_status_after == 401
    reason = judge(LT_NONCE, obs).reason
    assert "(the [signed_in] page showed no one signed in afterwards)" in reason, reason
    assert "check URL" not in reason
