"""A failure's picture of a page taller than Chromium can picture at once (an app's huge error
page) is cut at MAX_HEIGHT, as a step's DevTools picture is, instead of failing; Chromium's own
error page is pictured without Playwright's screenshot, and a page's DevTools capture that
fails leaves the picture to Playwright's, unless the page still awaits its answer (no picture
then, at once)."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from scenarios import devtools, screenshots
from scenarios.screenshots import (
    MAX_HEIGHT,
    NoPicture,
    Photographer,
    failure_screenshot,
    on_browser_error_page,
    screenshot,
    watch_page_versions,
)

pytestmark = pytest.mark.browser


def _size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


@pytest.mark.parametrize(("lines", "height"), [(2_000, MAX_HEIGHT), (3, 720)])
def test_a_picture_of_a_tall_page_is_cut(page: Page, tmp_path: Path, lines: int,
                                          height: int) -> None:
    watch_page_versions(page.context)
    page.set_content("<h1>Big</h1><p>" + ("x" * 100 + "<br>") * lines + "</p>")
    assert page.evaluate("document.documentElement.scrollHeight") > 15 * lines
    screenshot(page, tmp_path / "failure.png")
    assert _size(tmp_path / "failure.png") == (1280, height)


def test_a_failure_on_a_page_whose_state_cannot_be_read_is_pictured_in_its_viewport(
        page: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A renderer too busy to answer (a huge page on a loaded machine) gets the quick picture.
    monkeypatch.setattr(Photographer, "state", lambda self, page: None)
    page.set_content("<h1>Big</h1><p>" + ("x" * 100 + "<br>") * 2_000 + "</p>")
    failure_screenshot(page, tmp_path / "failure.png")
    assert _size(tmp_path / "failure.png") == (1280, 720)


@pytest.fixture
def empty_answers() -> Iterator[str]:
    """The URL of a server that closes every connection without a word (an app that exits as
    it is asked, say): Chromium shows its own error page, ERR_EMPTY_RESPONSE."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            connection.recv(4096)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/login"
    stop.set()
    thread.join()
    listener.close()


def test_a_failure_on_the_browsers_error_page_is_its_devtools_capture(
        page: Page, tmp_path: Path, empty_answers: str, monkeypatch: pytest.MonkeyPatch) -> None:
    watch_page_versions(page.context)
    with pytest.raises(Exception, match="ERR_EMPTY_RESPONSE"):
        page.goto(empty_answers)
    assert on_browser_error_page(page)

    def no_screenshot(*args: object, **kwargs: object) -> None:
        raise AssertionError("Playwright's screenshot of the browser's error page")

    monkeypatch.setattr(screenshots, "screenshot", no_screenshot)
    failure_screenshot(page, tmp_path / "failure.png")
    assert _size(tmp_path / "failure.png") == (1280, 720)
    page.goto("data:text/html,<h1>An app's page</h1>")
    assert not on_browser_error_page(page)


def _lost(*args: object, **kwargs: object) -> None:
    raise TimeoutError("the capture was held with the document the page left")


def test_a_failed_capture_of_a_page_still_awaiting_its_answer_is_no_picture_at_once(
        page: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's screenshot is held with the document the page leaves as well: it would
    # only cost 3 s more for no picture.
    watch_page_versions(page.context)
    page.set_content("<h1>Left</h1>")
    monkeypatch.setattr(screenshots, "awaiting_answer", lambda page: True)
    monkeypatch.setattr(devtools, "send", _lost)

    def no_screenshot(*args: object, **kwargs: object) -> None:
        raise AssertionError("Playwright's screenshot of a page awaiting its answer")

    monkeypatch.setattr(screenshots, "screenshot", no_screenshot)
    with pytest.raises(NoPicture):
        failure_screenshot(page, tmp_path / "failure.png")
    assert not (tmp_path / "failure.png").exists()


def test_a_capture_that_failed_as_the_navigation_ended_leaves_the_picture_to_playwright(
        page: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The navigation ended as the capture was sent: Chromium drops such a capture, and the
    # page it moved on to can be pictured.
    watch_page_versions(page.context)
    page.set_content("<h1>Arrived</h1>")
    answers = iter([True])
    monkeypatch.setattr(screenshots, "awaiting_answer", lambda page: next(answers, False))
    monkeypatch.setattr(devtools, "send", _lost)
    failure_screenshot(page, tmp_path / "failure.png")
    assert _size(tmp_path / "failure.png")[0] == 1280
