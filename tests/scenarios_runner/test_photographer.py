"""How a step picture is taken when its DevTools capture fails: once is tried again, twice
gives the page Playwright's screenshots from then, and a capture out of time is neither; a
first capture lost to a navigation is sent again to the new document at once."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, cast

import pytest
from playwright.sync_api import Error, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from scenarios.screenshots import CAPTURE_MS, CAPTURE_TRIES, FIRST_CAPTURE_MS, Photographer

PICTURE = b"\x89PNG\r\n\x1a\n-the-picture"
UNABLE = "Protocol error (Page.captureScreenshot): Unable to capture screenshot"


class _Session:
    """A page's DevTools session whose next captures fail with ``failures``, in turn."""

    def __init__(self, *failures: Exception, version: str = "doc-1:0") -> None:
        self.failures = list(failures)
        self.captures = 0
        self.limits: list[float] = []
        self.version = version
        """The page's document and change count, as its state read answers."""

    def send(self, method: str, params: dict[str, object], timeout: float) -> dict[str, Any]:
        if method == "Runtime.evaluate":
            return {"result": {"value": [self.version, False]}}
        if method == "Page.getLayoutMetrics":
            return {"cssContentSize": {"width": 800, "height": 600},
                    "cssLayoutViewport": {"clientWidth": 1280, "clientHeight": 800}}
        assert method == "Page.captureScreenshot", method
        self.captures += 1
        self.limits.append(timeout)
        if self.failures:
            raise self.failures.pop(0)
        return {"data": base64.b64encode(PICTURE).decode()}


class _Context:
    def __init__(self, session: _Session) -> None:
        self.session = session

    def new_cdp_session(self, page: object) -> _Session:
        return self.session


class _Page:
    """What the photographer uses of a page: its context's DevTools session, and Playwright's
    masked screenshot."""

    url = "http://app.test/account"

    def __init__(self, session: _Session) -> None:
        self.context = _Context(session)
        self.screenshots: list[str] = []

    def locator(self, selector: str) -> str:
        return selector

    def screenshot(self, *, path: str, full_page: bool, mask: list[str],
                   timeout: float | None = None, clip: dict[str, float] | None = None) -> None:
        self.screenshots.append(path)
        Path(path).write_bytes(b"playwright's")


def _take(photographer: Photographer, page: _Page, path: Path, version: str | None = None
          ) -> bool:
    return photographer.take(cast(Page, page), path, secret=False, version=version)


def test_a_capture_that_fails_once_is_tried_again_at_once(tmp_path: Path) -> None:
    session = _Session(Error(UNABLE))
    page, photographer = _Page(session), Photographer()
    assert _take(photographer, page, tmp_path / "first.png") is True
    assert (tmp_path / "first.png").read_bytes() == PICTURE
    assert session.captures == 2 and page.screenshots == []
    # the page is not given up: its next picture is a DevTools one too
    assert _take(photographer, page, tmp_path / "second.png") is True
    assert session.captures == 3 and page.screenshots == []


def test_a_page_whose_captures_keep_failing_gets_playwrights_screenshots(tmp_path: Path) -> None:
    session = _Session(*(Error(UNABLE) for _ in range(CAPTURE_TRIES)))
    page, photographer = _Page(session), Photographer()
    assert _take(photographer, page, tmp_path / "first.png") is False
    assert (tmp_path / "first.png").read_bytes() == b"playwright's"
    assert session.captures == CAPTURE_TRIES
    assert _take(photographer, page, tmp_path / "second.png") is False
    assert session.captures == CAPTURE_TRIES  # not asked again
    assert page.screenshots == [str(tmp_path / "first.png"), str(tmp_path / "second.png")]


@pytest.mark.parametrize("tries", [1, 2])
def test_a_capture_out_of_time_is_not_tried_again_nor_held_against_the_page(
    tmp_path: Path, tries: int
) -> None:
    session = _Session(*([Error(UNABLE)] * (tries - 1)), PlaywrightTimeout("Timeout 5000ms"))
    page, photographer = _Page(session), Photographer()
    assert _take(photographer, page, tmp_path / "busy.png") is False
    assert session.captures == tries and len(page.screenshots) == 1
    assert _take(photographer, page, tmp_path / "later.png") is True
    assert (tmp_path / "later.png").read_bytes() == PICTURE


class _Navigating(_Session):
    """A page that moves on to its next document while its first capture is out."""

    def send(self, method: str, params: dict[str, object], timeout: float) -> dict[str, Any]:
        if method == "Page.captureScreenshot" and self.captures == 0:
            self.version = "doc-2:0"
        return super().send(method, params, timeout)


def test_a_capture_lost_to_a_navigation_pictures_the_next_document_at_once(
        tmp_path: Path) -> None:
    session = _Navigating(PlaywrightTimeout(f"Timeout {FIRST_CAPTURE_MS}ms"))
    page, photographer = _Page(session), Photographer()
    assert _take(photographer, page, tmp_path / "moved.png", version="doc-1:3") is False, (
        "another document: the caller reads its state again")
    assert (tmp_path / "moved.png").read_bytes() == PICTURE and page.screenshots == []
    assert session.limits == [FIRST_CAPTURE_MS, CAPTURE_MS]


def test_a_slow_capture_of_the_same_document_gets_the_rest_of_its_time(tmp_path: Path) -> None:
    session = _Session(PlaywrightTimeout(f"Timeout {FIRST_CAPTURE_MS}ms"), version="doc-1:3")
    page, photographer = _Page(session), Photographer()
    assert _take(photographer, page, tmp_path / "slow.png", version="doc-1:3") is True
    assert (tmp_path / "slow.png").read_bytes() == PICTURE and page.screenshots == []
    assert session.limits == [FIRST_CAPTURE_MS, CAPTURE_MS - FIRST_CAPTURE_MS]
    session.failures = [PlaywrightTimeout("a"), PlaywrightTimeout("b")]
    assert _take(photographer, page, tmp_path / "busy.png", version="doc-1:3") is False
    assert len(page.screenshots) == 1, "out of time twice: Playwright's screenshot"
    assert _take(photographer, page, tmp_path / "later.png", version="doc-1:3") is True
