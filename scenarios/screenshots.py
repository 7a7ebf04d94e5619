"""Step screenshots: when a page changed, and how to take its picture cheaply.

Every document of a scenario's contexts counts its own changes (DOM mutations and typed input)
under a per-document id (:data:`PAGE_VERSION_SCRIPT`), so a step that left the page as it was
can reuse the picture already taken of it; about half the steps only call the provider's or
the app's APIs.

A picture is a full-page PNG. Where nothing secret shows, it is taken through the Chrome
DevTools Protocol (``Page.captureScreenshot`` beyond the viewport, as Playwright's own full-page
screenshot does): about 35 ms for a new document, against about 80 ms for Playwright's masked
screenshot, which first injects its scripts into the document, waits for its fonts, hides the
caret and lays the masks over it, changing the document it pictures. A page with a typed
password (a ``type=password`` field that holds a value) gets Playwright's screenshot with that
field masked, as does a failure's picture and any page the protocol cannot take (a browser
that is not Chromium).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, CDPSession, Page

__all__ = [
    "MASKED_SELECTOR",
    "PAGE_VERSION_SCRIPT",
    "PageState",
    "Photographer",
    "page_state",
    "screenshot",
    "watch_page_versions",
]

MASKED_SELECTOR = "input[type=password]"

PAGE_VERSION_SCRIPT = """(() => {
  const id = Math.random().toString(36).slice(2);
  let changes = 0;
  const bump = () => { changes += 1; };
  new MutationObserver(bump).observe(document,
    { subtree: true, childList: true, attributes: true, characterData: true });
  document.addEventListener("input", bump, true);
  Object.defineProperty(window, "__ssoHarnessPageVersion",
    { get: () => `${id}:${changes}`, configurable: true });
})();"""

_STATE_JS = f"""() => {{
  const version = window.__ssoHarnessPageVersion;
  if (!version) return "none";
  const secret = [...document.querySelectorAll("{MASKED_SELECTOR}")].some((f) => f.value);
  return [version, secret];
}}"""

VERSION_READ_MS = 1000

MAX_HEIGHT = 16_384
"""Chromium cannot picture a taller area in one capture; a longer page is cut there."""


def watch_page_versions(context: BrowserContext) -> None:
    """Let :func:`page_state` tell whether a page changed since its last screenshot."""
    context.add_init_script(PAGE_VERSION_SCRIPT)


@dataclass(frozen=True)
class PageState:
    version: str
    """The document's id and change count."""
    secret: bool
    """A password field holds a value."""


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
    if not (isinstance(found, list) and len(found) == 2 and isinstance(found[0], str)):
        return None
    return PageState(version=found[0], secret=bool(found[1]))


def screenshot(page: Page, path: Path) -> None:
    """Playwright's full-page screenshot with every password field masked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True, mask=[page.locator(MASKED_SELECTOR)])


class Photographer:
    """Takes the pictures of one scenario's pages, keeping a DevTools session per page."""

    def __init__(self) -> None:
        self._sessions: dict[int, CDPSession | None] = {}

    def take(self, page: Page, path: Path, *, secret: bool) -> bool:
        """A full-page PNG of ``page`` at ``path``; ``True`` when the document was left as it
        was (a DevTools capture), ``False`` when Playwright's masked screenshot was used."""
        if not secret:
            session = self._session(page)
            if session is not None:
                try:
                    data = _capture(session)
                except Exception:
                    self._sessions[id(page)] = None  # not again: Playwright's from now on
                else:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                    return True
        screenshot(page, path)
        return False

    def _session(self, page: Page) -> CDPSession | None:
        key = id(page)
        if key not in self._sessions:
            try:
                self._sessions[key] = page.context.new_cdp_session(page)
            except Exception:  # not Chromium
                self._sessions[key] = None
        return self._sessions[key]


def _capture(session: CDPSession) -> bytes:
    size = session.send("Page.getLayoutMetrics")["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": max(1, size["width"]),
            "height": max(1, min(size["height"], MAX_HEIGHT)), "scale": 1}
    shot = session.send("Page.captureScreenshot",
                        {"format": "png", "captureBeyondViewport": True, "clip": clip})
    return base64.b64decode(shot["data"])
