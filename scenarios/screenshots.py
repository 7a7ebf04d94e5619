"""Step screenshots: when a page changed, and how to take its picture cheaply.

Every document of a scenario's contexts counts its own changes (DOM mutations and typed input)
under a per-document id (:data:`PAGE_VERSION_SCRIPT`), so a step that left the page as it was
can reuse the picture already taken of it; about half the steps only call the provider's or
the app's APIs.

A picture is a full-page PNG. Where nothing secret shows, it is taken through the Chrome
DevTools Protocol (``Page.captureScreenshot``; beyond the viewport, as Playwright's own full-page
screenshot does, only when the page is larger than the viewport, which costs a resize and
another frame): about 30 ms for a new document, against about 80 ms for Playwright's masked
screenshot, which first injects its scripts into the document, waits for its fonts, hides the
caret and lays the masks over it, changing the document it pictures. A page with a typed
password (a ``type=password`` field that holds a value) gets Playwright's screenshot with that
field masked, as does a failure's picture and any page the protocol cannot take (a browser
that is not Chromium).

The page's state is read through the same DevTools session (``Runtime.evaluate`` in the
document's own world): about 4 ms for a new document, where Playwright's ``wait_for_function``
first injects its own script into it and takes about 22 ms (``bench/overhead.py``). The
page's size, which the picture needs, is read with it (``Page.getLayoutMetrics`` sent at the
same time): one round trip through Playwright's driver less for each picture. Every
DevTools command has a time limit (:mod:`scenarios.devtools`); where it cannot have one, the
state is read with ``wait_for_function`` and the pictures are Playwright's.

While a page's navigation waits for its answer (an app that never answers its callback),
Chromium holds back every command for the document it leaves, Playwright's screenshot (its
scripts, its masks) included, but still captures what the page shows: a failure's picture
or a step's picture of such a page is that capture, of the viewport, in about 50 ms, where
reading its state and Playwright's screenshot waited 3 s and gave no picture. Nothing in that
document can be read or masked then; Chromium draws a password field's value as discs, so at
most its length shows.
"""

from __future__ import annotations

import base64
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios import devtools

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, CDPSession, FloatRect, Page, Request

__all__ = [
    "MASKED_SELECTOR",
    "Area",
    "NoPicture",
    "PAGE_VERSION_SCRIPT",
    "PageState",
    "Photographer",
    "awaiting_answer",
    "failure_screenshot",
    "on_browser_error_page",
    "page_state",
    "screenshot",
    "waiting_picture",
    "watch_page_versions",
]

MASKED_SELECTOR = "input[type=password]"

PAGE_VERSION_SCRIPT = """(() => {
  const id = Math.random().toString(36).slice(2);
  let changes = 0, armed = false;
  const what = { subtree: true, childList: true, attributes: true, characterData: true };
  const seen = new MutationObserver(() => { changes += 1; seen.disconnect(); armed = false; });
  const arm = () => { if (!armed) { seen.observe(document, what); armed = true; } };
  arm();
  document.addEventListener("input", () => { changes += 1; }, true);
  Object.defineProperty(window, "__ssoHarnessPageVersion",
    { get: () => { arm(); return `${id}:${changes}`; }, configurable: true });
})();"""
"""Counts a document's changes since its version was last read, not each of them: the first
change after a read counts and stops the observer until the next read. Chromium makes a
mutation record of every node its parser inserts; an observer that stayed on took records of
every row of a large page (a 10 MB table loaded in 2.3 s instead of 1.2 s; 13.6 s instead of
8.8 s where it was shown), one kept only until the first change takes one parser chunk's."""

_STATE_JS = f"""() => {{
  const version = window.__ssoHarnessPageVersion;
  if (!version) return "none";
  const secret = [...document.querySelectorAll("{MASKED_SELECTOR}")].some((f) => f.value);
  return [version, secret];
}}"""
_STATE_EXPRESSION = f"({_STATE_JS})()"

VERSION_READ_MS = 1000
CAPTURE_MS = 5000
"""How long a DevTools capture may take before Playwright's screenshot is taken instead."""
FIRST_CAPTURE_MS = 500
"""How long the first capture of a known document is waited for before the page's document is
read again. A capture sent as the page starts a navigation is held with the document it was
sent to and lost when the next one commits (Chromium never answers it). A single-page app
that moves on from its redirect URI as a step ends (MSAL.js's, ``examples/msal_spa``) cost
:data:`CAPTURE_MS` for such a picture (5.0-5.2 s, in four runs of six), now 0.5-0.6 s. A new
document is pictured at once; the same one gets the rest of :data:`CAPTURE_MS` (a busy
machine, not a lost capture). Captures take 35 ms (median), 54 ms at most, over a run of the
catalogue on 2 cores."""
CAPTURE_TRIES = 2
"""DevTools captures of one picture before the page gets Playwright's screenshots. Chromium
now and then answers "Unable to capture screenshot" for a new page's first frame (1 in 40
captures sent as its first navigation ended, on 2 cores) and pictures it at the second try."""

BROWSER_ERROR_PAGE = "chrome-error://"
"""Where Chromium shows its own error page (a navigation that got no answer, an empty one):
nothing on it to mask, and its failure picture is the DevTools capture (under 0.1 s), not
Playwright's screenshot, which took 0.4-0.9 s of such a page with six runs at once on 2 cores,
and once more than :data:`UNREAD_SCREENSHOT_MS` on a loaded CI machine (no picture): just after
the navigation failed, ``page.url`` still named the blank page before it, whose state is not
read, so only that viewport screenshot within the limit was tried."""

UNREAD_SCREENSHOT_MS = 2000
"""How long Playwright's screenshot may take of a page whose state could not be read. That is
mostly a page whose navigation never commits (an app that never answers its callback), and no
picture of it can be taken at all: Playwright's waited the page's whole timeout (10 s) for
its fonts, for each picture of such a page; now it gives up after this. A page that can be
pictured is taken in well under it (80 ms, median)."""

MAX_HEIGHT = 16_384
"""Chromium cannot picture a taller area in one capture ("Unable to capture screenshot"); a
longer page is cut there, by either way of taking its picture."""


_awaiting: weakref.WeakKeyDictionary[Page, Request] = weakref.WeakKeyDictionary()
"""Each page's navigation request that has had no answer yet (nor failed)."""


def watch_page_versions(context: BrowserContext) -> None:
    """Let :func:`page_state` tell whether a page changed since its last screenshot, and
    :func:`awaiting_answer` whether its navigation waits for an answer."""
    context.add_init_script(PAGE_VERSION_SCRIPT)
    context.on("request", _navigation_sent)
    context.on("response", lambda response: _navigation_answered(response.request))
    context.on("requestfailed", _navigation_answered)


def _main_frame_page(request: Request) -> Page | None:
    try:
        if not request.is_navigation_request() or request.frame.parent_frame is not None:
            return None
        return request.frame.page
    except Exception:  # a service worker's request has no frame
        return None


def _navigation_sent(request: Request) -> None:
    if (page := _main_frame_page(request)) is not None:
        _awaiting[page] = request


def _navigation_answered(request: Request) -> None:
    if (page := _main_frame_page(request)) is not None and _awaiting.get(page) is request:
        del _awaiting[page]


def awaiting_answer(page: Page) -> bool:
    """Whether the page's navigation was sent and has had neither an answer (a redirect's
    included, then the next request's) nor a failure: the page still shows the document it
    leaves, and Chromium answers no command for that document until the navigation ends.
    Known for the contexts :func:`watch_page_versions` watches."""
    return page in _awaiting


@dataclass(frozen=True)
class Area:
    """What a picture of the whole page covers, from the page's layout metrics."""

    width: float
    height: float
    beyond: bool
    """The page is larger than the viewport."""


@dataclass(frozen=True)
class PageState:
    version: str
    """The document's id and change count."""
    secret: bool
    """A password field holds a value."""
    area: Area | None = field(default=None, compare=False)
    """The page's size when it was read (through DevTools only)."""


def page_state(page: Page) -> PageState | None:
    """The page's version and whether a typed password shows; ``None`` when it cannot be read
    within a second (no document yet, a navigation that never commits, a context without the
    script). Read with ``wait_for_function``, which has a timeout: ``evaluate`` has none, and
    waits for ever on a page whose navigation hangs (an app that never answers its callback)."""
    if page.url in ("", "about:blank"):
        return None
    try:
        found = page.wait_for_function(_STATE_JS, timeout=VERSION_READ_MS).json_value()
    except Exception:
        return None
    return _state_of(found)


def _state_of(found: object, area: Area | None = None) -> PageState | None:
    if not (isinstance(found, list) and len(found) == 2 and isinstance(found[0], str)):
        return None
    return PageState(version=found[0], secret=bool(found[1]), area=area)


def screenshot(page: Page, path: Path, *, timeout_ms: float | None = None,
               full_page: bool = True) -> None:
    """Playwright's screenshot (of the full page, cut at :data:`MAX_HEIGHT`: Playwright trims
    the clip to a smaller page; else of the viewport) with every password field masked, within
    ``timeout_ms`` (default: the page's timeout)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    clip: FloatRect | None = (
        {"x": 0, "y": 0, "width": MAX_HEIGHT, "height": MAX_HEIGHT} if full_page else None)
    page.screenshot(path=str(path), full_page=full_page, mask=[page.locator(MASKED_SELECTOR)],
                    timeout=timeout_ms, clip=clip)


class NoPicture(Exception):
    """A failure's page that cannot be pictured: its DevTools capture failed while its
    navigation still waits for its answer."""


def failure_screenshot(page: Page, path: Path) -> None:
    """A failure's picture: :func:`screenshot`; of a page whose navigation waits for its
    answer (:func:`awaiting_answer`) or of Chromium's own error page
    (:func:`on_browser_error_page`) the DevTools capture of what it shows, within
    :data:`UNREAD_SCREENSHOT_MS`; when the page's state cannot be read otherwise (a renderer
    busy with a huge page) only the viewport, within :data:`UNREAD_SCREENSHOT_MS`, which a
    whole tall page would not fit in on a loaded machine.

    Raises :class:`NoPicture` at once when the capture of a page awaiting its answer failed
    and the page still awaits it: reading its state and Playwright's screenshot are held with
    the document it leaves as well, and gave no picture after about 3 s more. A capture that
    failed as the navigation ended (the page no longer awaits its answer) leaves the picture
    to Playwright's screenshot of the page it moved on to."""
    if waiting_picture(page, path) or (
            on_browser_error_page(page) and _viewport_capture(page, path)):
        return
    if awaiting_answer(page) and devtools.session_of(page) is not None:
        raise NoPicture("the page awaits its answer and its capture failed")
    if Photographer().state(page) is not None:
        screenshot(page, path)
    else:
        screenshot(page, path, timeout_ms=UNREAD_SCREENSHOT_MS, full_page=False)


def on_browser_error_page(page: Page) -> bool:
    """Whether the page shows Chromium's own error page, asked of the page itself through its
    DevTools session: Playwright's ``page.url`` still names the page before it for a moment
    after a navigation to it failed."""
    found = _quiet_send(page, "Runtime.evaluate", {
        "expression": "location.href", "returnByValue": True}, VERSION_READ_MS)
    return found is not None and str(
        (found.get("result") or {}).get("value", "")).startswith(BROWSER_ERROR_PAGE)


def _quiet_send(page: Page, method: str, params: dict[str, object], timeout_ms: float
                ) -> dict[str, Any] | None:
    """A DevTools command's answer through the page's session; ``None`` without a session or
    when the command fails or runs out of time."""
    if (session := devtools.session_of(page)) is None:
        return None
    try:
        return devtools.send(session, method, params, timeout_ms)
    except Exception:
        return None


def waiting_picture(page: Page, path: Path) -> bool:
    """Of a page whose navigation waits for its answer (:func:`awaiting_answer`), the DevTools
    capture of the viewport it shows at ``path``, within :data:`UNREAD_SCREENSHOT_MS` (about
    50 ms, where reading its state and Playwright's screenshot wait 3 s for nothing); ``False``,
    and no picture, for any other page, one without a DevTools session, or a failed capture."""
    return awaiting_answer(page) and _viewport_capture(page, path)


def _viewport_capture(page: Page, path: Path) -> bool:
    """The DevTools capture of the viewport ``page`` shows, at ``path``, within
    :data:`UNREAD_SCREENSHOT_MS`; ``False`` without a DevTools session or when the capture
    fails (the navigation ended as it was sent: the page's other pictures are tried then)."""
    shot = _quiet_send(page, "Page.captureScreenshot", {
        "format": "png", "optimizeForSpeed": True}, UNREAD_SCREENSHOT_MS)
    if shot is None:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return True


class Photographer:
    """Takes the pictures of one scenario's pages through their DevTools sessions."""

    def __init__(self) -> None:
        self._refused: set[int] = set()
        """Pages whose capture failed other than by its time limit: Playwright's from then."""

    def state(self, page: Page) -> PageState | None:
        """:func:`page_state`, read through the page's DevTools session where it has one."""
        if page.url in ("", "about:blank"):
            return None
        session = devtools.session_of(page)
        if session is None:
            return page_state(page)
        try:
            found, metrics = devtools.send_all(session, [
                ("Runtime.evaluate", {"expression": _STATE_EXPRESSION, "returnByValue": True}),
                ("Page.getLayoutMetrics", {})], VERSION_READ_MS)
        except Exception:  # a navigation still pending after the time limit, a closed page
            return None
        return _state_of((found.get("result") or {}).get("value"), _area(metrics))

    def take(self, page: Page, path: Path, *, secret: bool, version: str | None = None,
             area: Area | None = None) -> bool:
        """A full-page PNG of ``page`` at ``path``; ``True`` when it is of the document whose
        state was ``version`` (read by :meth:`state`, with the page's ``area``), left as it was
        (a DevTools capture); ``False`` when Playwright's masked screenshot was used or the
        page had moved on to another document, whose state is then to be read again.
        Without a ``version`` (the state could not be read), Playwright's screenshot gets only
        :data:`UNREAD_SCREENSHOT_MS`."""
        session = None if secret or id(page) in self._refused else devtools.session_of(page)
        document = version.partition(":")[0] if version else None
        data, same = (None, False) if session is None else self._devtools_picture(
            page, session, document, area)
        if data is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return same
        screenshot(page, path, timeout_ms=UNREAD_SCREENSHOT_MS if version is None else None)
        return False

    def _devtools_picture(self, page: Page, session: CDPSession, document: str | None,
                          area: Area | None) -> tuple[bytes | None, bool]:
        """The picture through DevTools, and whether it is of ``document``; no picture after
        the captures ran out of time (the page is still busy) or failed :data:`CAPTURE_TRIES`
        times (the page is refused from then). A first capture of a known ``document`` out of
        time after :data:`FIRST_CAPTURE_MS` was lost if the page has another document now.
        ``area`` is used for the first capture only; a later one reads the page's size again."""
        checked, same = document is None, True
        limit = CAPTURE_MS if checked else FIRST_CAPTURE_MS
        failures = 0
        while failures < CAPTURE_TRIES:
            try:
                return _capture(session, limit, area), same
            except Exception as exc:
                area = None
                if not devtools.timed_out(exc):
                    failures += 1
                    continue
                if checked:
                    return None, same
                checked = True
                now = self.state(page)
                same = now is not None and now.version.partition(":")[0] == document
                limit = CAPTURE_MS - FIRST_CAPTURE_MS if same else CAPTURE_MS
        self._refused.add(id(page))
        return None, same


def _area(metrics: dict[str, Any]) -> Area:
    """What a picture covers, from ``Page.getLayoutMetrics``' answer: the whole page, cut at
    :data:`MAX_HEIGHT`. A page that fits in the viewport is pictured as it is shown; a larger
    one is laid out at its full size first, which takes another frame."""
    size, viewport = metrics["cssContentSize"], metrics["cssLayoutViewport"]
    width, height = max(1, size["width"]), max(1, min(size["height"], MAX_HEIGHT))
    beyond = width > viewport["clientWidth"] or height > viewport["clientHeight"]
    return Area(width, height, beyond)


def _capture(session: CDPSession, limit_ms: float, area: Area | None = None) -> bytes:
    if area is None:
        area = _area(devtools.send(session, "Page.getLayoutMetrics", {}, VERSION_READ_MS))
    shot = devtools.send(session, "Page.captureScreenshot", {
        "format": "png", "optimizeForSpeed": True, "captureBeyondViewport": area.beyond,
        "clip": {"x": 0, "y": 0, "width": area.width, "height": area.height, "scale": 1}},
        limit_ms)
    return base64.b64decode(shot["data"])
