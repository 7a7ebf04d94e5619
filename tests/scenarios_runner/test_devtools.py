"""Waiting on a page through its DevTools session: the first truthy value, in this document or
the next, a time limit that holds on a navigation that never commits, no check left behind,
and Playwright's own wait where sends have no time limit."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Error, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from scenarios import devtools

from .page_server import Pages, serving, start_hanging_navigation

pytestmark = pytest.mark.browser


class _Pages(Pages):
    def page(self, path: str) -> tuple[int, str]:
        if path == "/late":  # an element after 150 ms, which stays
            return 200, ("<body><script>setTimeout(() => document.body.insertAdjacentHTML("
                         "'beforeend', '<p id=late>late</p>'), 150);</script></body>")
        if path == "/later":  # an element after 150 ms, then the next document after 300 ms
            return 200, ("<body><script>setTimeout(() => document.body.insertAdjacentHTML("
                         "'beforeend', '<p id=late>late</p>'), 150);"
                         "setTimeout(() => { location.href = '/next'; }, 300);</script></body>")
        return 200, f"<body><p id=here>{path}</p></body>"


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(_Pages) as origin:
        yield origin


LATE = "() => document.getElementById('late')?.textContent"
NEXT = "(a) => location.pathname === a.path && document.getElementById('here')?.textContent"


def test_the_first_truthy_value(page: Page, origin: str) -> None:
    # Not /later: on a busy machine the wait may begin after its element has gone with its
    # document, 150 ms after it came.
    assert devtools.session_of(page) is not None
    page.goto(f"{origin}/late")
    assert devtools.wait_until(page, LATE, None, 5000) == "late"


def test_the_wait_follows_into_the_next_document(page: Page, origin: str) -> None:
    page.goto(f"{origin}/later")
    assert devtools.wait_until(page, NEXT, {"path": "/next"}, 5000) == "/next"


def test_a_time_limit_and_no_check_left_behind(page: Page, origin: str) -> None:
    page.goto(f"{origin}/here")
    counting = "() => { window.looks = (window.looks || 0) + 1; return false; }"
    started = time.monotonic()
    with pytest.raises(PlaywrightTimeout):
        devtools.wait_until(page, counting, None, 300)
    assert time.monotonic() - started < 2
    looks = page.evaluate("() => window.looks")
    assert looks > 1  # checked on frame after frame
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.looks") == looks  # and no longer


def test_a_navigation_that_never_commits_ends_at_the_time_limit(page: Page, origin: str) -> None:
    page.goto(f"{origin}/here")
    start_hanging_navigation(page, origin)
    started = time.monotonic()
    with pytest.raises(PlaywrightTimeout):
        devtools.wait_until(page, NEXT, {"path": "/elsewhere"}, 1000)
    assert time.monotonic() - started < 3


def test_a_check_that_throws_is_an_error(page: Page, origin: str) -> None:
    page.goto(f"{origin}/here")
    with pytest.raises(Error, match="no such thing"):
        devtools.wait_until(page, "() => { throw new Error('no such thing'); }", None, 2000)


def test_without_time_limits_playwrights_own_wait(page: Page, origin: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devtools, "bounded_sends", lambda: False)
    assert devtools.session_of(page) is None
    page.goto(f"{origin}/late")
    assert devtools.wait_until(page, LATE, None, 5000) == "late"
    with pytest.raises(PlaywrightTimeout):
        devtools.wait_until(page, "() => false", None, 200)


def test_commands_sent_at_once_all_run(page: Page, origin: str) -> None:
    page.goto(f"{origin}/here")
    session = devtools.session_of(page)
    assert session is not None
    answers = devtools.send_all(session, [
        ("Runtime.evaluate", {"expression": f"window.sent{n} = {n}"}) for n in range(5)], 2000)
    assert page.evaluate("[0, 1, 2, 3, 4].map((n) => window['sent' + n])") == [0, 1, 2, 3, 4]
    assert [answer["result"]["value"] for answer in answers] == [0, 1, 2, 3, 4]
    with pytest.raises(Error, match="no_such"):
        devtools.send_all(session, [("Runtime.evaluate", {"expression": "1"}),
                                    ("Page.no_such_command", {})], 2000)


class _OneAtATime:
    """A DevTools session with only the sync API's ``send``."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, method: str, params: dict[str, object], timeout: float) -> dict[str, object]:
        self.sent.append(method)
        return {"method": method}


def test_commands_go_one_at_a_time_without_the_call_beneath() -> None:
    session = _OneAtATime()
    answers = devtools.send_all(session, [("A.one", {}), ("B.two", {})], 100)  # type: ignore[arg-type]
    assert session.sent == ["A.one", "B.two"]
    assert answers == [{"method": "A.one"}, {"method": "B.two"}]
