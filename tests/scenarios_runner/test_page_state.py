"""A step's picture reads its page's state through DevTools: the same answer as Playwright's
``wait_for_function``, in time on a page whose navigation never commits, and pictures the
size of the page whether or not it fits the viewport."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from scenarios import devtools
from scenarios.context import ScenarioContext
from scenarios.registry import Scenario
from scenarios.screenshots import (
    UNREAD_SCREENSHOT_MS,
    VERSION_READ_MS,
    Area,
    Photographer,
    awaiting_answer,
    failure_screenshot,
    page_state,
    watch_page_versions,
)

from .page_server import Pages, serving, start_hanging_navigation

BOUNDED = VERSION_READ_MS / 1000 + 4
"""A read that gives up is back within its limit, plus room for a loaded machine (the page it
reads never answers, so a read without a limit would never come back)."""

pytestmark = pytest.mark.browser


class _Pages(Pages):
    def page(self, path: str) -> tuple[int, str]:
        height = 2400 if path == "/tall" else 100
        return 200, (f"<body style='margin:0'><div style='height:{height}px'>{path}</div>"
                     "<input type=password></body>")


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(_Pages) as origin:
        yield origin


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 800, "height": 600})
    watch_page_versions(context)
    yield context
    context.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_the_devtools_read_agrees_with_playwrights(context: BrowserContext, origin: str) -> None:
    page = context.new_page()
    photographer = Photographer()
    assert photographer.state(page) is None  # about:blank
    page.goto(f"{origin}/short")
    first = photographer.state(page)
    assert first is not None and not first.secret
    assert first == page_state(page)
    page.locator("input").fill("typed")
    typed = photographer.state(page)
    assert typed is not None and typed.secret and typed.version != first.version
    assert typed == page_state(page)
    page.goto(f"{origin}/short")  # a new document: a new id
    again = photographer.state(page)
    assert again is not None and again.version.split(":")[0] != first.version.split(":")[0]


def test_a_document_without_the_script_has_no_state(browser: Browser, origin: str) -> None:
    page = browser.new_page()  # a context that does not watch page versions
    page.goto(f"{origin}/short")
    assert Photographer().state(page) is None
    page.close()


def test_a_page_whose_navigation_never_commits_is_read_in_time(context: BrowserContext,
                                                               origin: str) -> None:
    page = context.new_page()
    page.goto(f"{origin}/short")
    photographer = Photographer()
    before = photographer.state(page)
    assert before is not None
    start_hanging_navigation(page, origin)
    started = time.monotonic()
    # Chromium holds the command back until the navigation ends: the read gives up in time,
    # and the step gets Playwright's masked screenshot.
    assert photographer.state(page) is None
    assert time.monotonic() - started < BOUNDED


def test_with_a_playwright_whose_sends_have_no_time_limit(context: BrowserContext, origin: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devtools, "bounded_sends", lambda: False)
    page = context.new_page()
    page.goto(f"{origin}/short")
    photographer = Photographer()
    state = photographer.state(page)
    assert state is not None and state == page_state(page)
    start_hanging_navigation(page, origin)
    started = time.monotonic()
    assert photographer.state(page) is None  # wait_for_function's own limit
    assert time.monotonic() - started < BOUNDED


@pytest.mark.parametrize(("path", "size"), [("/short", (800, 600)), ("/tall", (800, 2421))])
def test_pictures_are_of_the_whole_page(context: BrowserContext, origin: str, tmp_path: Path,
                                        path: str, size: tuple[int, int]) -> None:
    page = context.new_page()
    page.goto(origin + path)
    before = page.evaluate("() => [scrollX, scrollY, innerWidth, innerHeight]")
    assert Photographer().take(page, tmp_path / "shot.png", secret=False) is True
    assert _png_size((tmp_path / "shot.png").read_bytes()) == size
    assert page.evaluate("() => [scrollX, scrollY, innerWidth, innerHeight]") == before


def test_a_picture_takes_the_size_read_with_the_state(context: BrowserContext, origin: str,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    page = context.new_page()
    page.goto(f"{origin}/tall")
    photographer = Photographer()
    state = photographer.state(page)
    assert state is not None and state.area == Area(800, 2421, beyond=True)
    # A new page's first capture is now and then refused and tried again, which reads the
    # size again: the page's first frame is pictured before the counting starts.
    assert photographer.take(page, tmp_path / "first.png", secret=False) is True
    sent: list[str] = []
    send = devtools.send

    def counted(session: object, method: str, *args: object) -> object:
        sent.append(method)
        return send(session, method, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(devtools, "send", counted)
    assert photographer.take(page, tmp_path / "tall.png", secret=False, version=state.version,
                             area=state.area) is True
    # The size is not read again: the capture is the first command. (On a loaded machine a
    # capture may run out of time and be tried again, which reads the state and the size.)
    assert sent[0] == "Page.captureScreenshot", sent
    assert _png_size((tmp_path / "tall.png").read_bytes()) == (800, 2421)
    # The area given is the one pictured: the viewport's alone here.
    assert photographer.take(page, tmp_path / "cut.png", secret=False, version=state.version,
                             area=Area(800, 600, beyond=False)) is True
    assert _png_size((tmp_path / "cut.png").read_bytes()) == (800, 600)


def test_no_step_picture_of_a_page_whose_navigation_never_commits_waits_the_page_timeout(
        context: BrowserContext, origin: str, tmp_path: Path) -> None:
    """A step's picture of a page whose state could not be read does not wait the page's
    timeout (30 s here) on a page Playwright cannot picture."""
    page = context.new_page()
    page.goto(f"{origin}/short")
    start_hanging_navigation(page, origin)
    started = time.monotonic()
    with pytest.raises(PlaywrightTimeoutError):
        Photographer().take(page, tmp_path / "step.png", secret=True)
    assert time.monotonic() - started < (VERSION_READ_MS + UNREAD_SCREENSHOT_MS) / 1000 + 4


@pytest.fixture
def slow_ways(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What a picture of a page awaiting its answer must not do (read the page's state: a
    second; Playwright's screenshot: two more), as each is tried. Asserting that neither was
    tried proves "at once" where a bound on the wall clock would fail on a loaded host."""
    tried: list[str] = []

    def state(self: Photographer, page: Page) -> None:
        tried.append("read the page's state")

    def playwright_screenshot(self: Page, **_options: object) -> bytes:
        tried.append("Playwright's screenshot")
        raise PlaywrightTimeoutError("not here")

    monkeypatch.setattr(Photographer, "state", state)
    monkeypatch.setattr(Page, "screenshot", playwright_screenshot)
    return tried


def test_a_failure_on_a_page_whose_navigation_never_commits_pictures_what_it_shows_at_once(
        context: BrowserContext, origin: str, tmp_path: Path, slow_ways: list[str]) -> None:
    """The page still shows the document it leaves, which Chromium captures though it answers
    no other command for it: the failure's picture is that, of the viewport, without reading
    the page's state (a second) or trying Playwright's screenshot (two more, and no picture)."""
    page = context.new_page()
    page.goto(f"{origin}/short")
    start_hanging_navigation(page, origin)
    assert awaiting_answer(page)
    failure_screenshot(page, tmp_path / "failure.png")
    assert slow_ways == []
    assert _png_size((tmp_path / "failure.png").read_bytes()) == (800, 600)


def test_a_steps_picture_of_a_page_whose_navigation_never_commits_is_what_it_shows_at_once(
        browser: Browser, context: BrowserContext, origin: str, tmp_path: Path,
        slow_ways: list[str]) -> None:
    """As a failure's: a passing step's picture of such a page neither reads its state (a
    second) nor tries Playwright's screenshot (two more, and no picture)."""
    page = context.new_page()
    page.goto(f"{origin}/short")
    start_hanging_navigation(page, origin)
    ctx = ScenarioContext[None](
        scenario=Scenario(id="s.waiting", title="t", proves="p", group="s",
                          run=lambda _ctx: None),
        browser=browser, context=context, page=page, env=None, report_dir=tmp_path)
    with ctx.step("the app's callback is still loading"):
        pass
    assert slow_ways == []
    [step] = ctx.steps
    assert step.status == "passed" and step.screenshot is not None
    assert _png_size((tmp_path / step.screenshot).read_bytes()) == (800, 600)


def test_a_page_is_awaiting_an_answer_only_until_its_navigation_is_answered(
        context: BrowserContext, origin: str) -> None:
    page = context.new_page()
    assert not awaiting_answer(page)
    page.goto(f"{origin}/short")
    assert not awaiting_answer(page)
    page.goto(f"{origin}/missing-page-answered-all-the-same")
    assert not awaiting_answer(page)
