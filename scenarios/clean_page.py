"""A clean browser context and page for each scenario: a new pair, or the last scenario's pair
cleaned, which saves the browser a renderer's start.

Opening a context and its page starts a renderer process, and closing them stops it: about
0.1 s of the browser's CPU for every scenario, on cores the scenarios themselves are busy with
(docs/benchmarks.md). A registry that allows it (:attr:`scenarios.Registry.keeps_pages`) has a
worker keep its pair from one scenario to the next. Before the next scenario the runner undoes,
in the browser, everything a scenario can leave there:

- every other page of the context (popups, tabs) is closed, and the scenario's listeners and
  routes on the page and the context are removed;
- ``window.name`` is emptied (it outlives a same-site navigation), and the page goes to
  ``about:blank``;
- the cookies of every site, the HTTP cache, and every kind of storage of each origin a
  document came from (local and session storage, IndexedDB, Cache Storage, service workers),
  through the DevTools protocol (``Network.clearBrowserCookies``,
  ``Network.clearBrowserCache``, ``Storage.clearDataForOrigin``), its commands sent at once;
- the page's history, so that no document of the last scenario can be gone back to;
- the console messages and page errors Playwright keeps for the page
  (``page.console_messages()``, ``page.page_errors()``).

The mouse's last position is not carried into a new document: nothing shows as hovered.

Playwright's own context reuse (its test runner's ``newContextForReuse``) keeps the page in the
same way; it clears storage by loading every origin again, where the DevTools protocol needs
one command per origin.

The pair is closed, and the next scenario gets a new one, when the scenario did not pass, when
its page crashed or was closed, when it exposed a function to the page or routed a web socket
(neither can be withdrawn), when it changed the viewport's size, when any cleaning command
fails, and with a browser without the DevTools protocol. What a registry that keeps pages
promises in return: its scenarios leave no init scripts, Playwright clock, other emulation
(media, geolocation, offline, permissions, extra headers) or changed default timeouts on
``ctx.page`` and ``ctx.context``.

Two differences from a new page are left: the first document a scenario opens is the page's
second history entry (after ``about:blank``), not its first; and Playwright's list of the
page's last requests (``page.requests()``), which nothing clears, still holds the last
scenario's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scenarios import devtools

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Response

__all__ = ["CLEAN_MS", "NOT_YET", "PageSource"]

CLEAN_MS = 5000
"""How long each cleaning command may take before the pair is closed instead."""

NOT_YET = "Not attached to an active page"
"""How Chromium refuses a page's commands for a moment after a navigation has committed (its
DevTools session still on the document before): about 1 cleaning in 12 with the trace's
screencast on, in the runner's tests. Every command is sent again, as they all can be."""
NOT_YET_TRIES = 5
NOT_YET_WAIT_MS = 10

_Listeners = dict[int, dict[tuple[str, int], object]]
"""For each of the pair's objects (by ``id``): its listeners by event and ``id``, held so that
no new listener can take a listed one's ``id``."""


class PageSource:
    """Hands each scenario of one worker its browser context and page (:meth:`take`), and takes
    them back after it (:meth:`give_back`): with ``keep``, the pair is cleaned and handed to the
    next scenario; without, each scenario gets a new pair and its pair is closed."""

    def __init__(self, open_context: Callable[[], BrowserContext], *, keep: bool) -> None:
        self._open_context = open_context
        self.keep = keep
        self._pair: tuple[BrowserContext, Page] | None = None
        self._origins: set[str] = set()
        """Origins of the documents the pair showed since it was last cleaned."""
        self._listeners: _Listeners = {}
        """The listeners the pair had when it was handed out: the scenario's come on top."""
        self._bindings = 0
        self._viewport: object = None
        self._broken = False

    def take(self) -> tuple[BrowserContext, Page]:
        """A clean context and page for the next scenario."""
        pair = self._pair
        if pair is not None:
            self._pair = None
            try:
                self._clean(*pair)
            except Exception:
                _close(pair[0])
            else:
                return self._handed_out(pair)
        context = self._open_context()
        try:
            page = context.new_page()
        except BaseException:
            _close(context)
            raise
        self._origins.clear()
        self._broken = False
        if self.keep:
            context.on("response", self._note_origin)
            context.on("close", self._note_broken)
            page.on("crash", self._note_broken)
            page.on("close", self._note_broken)
        return self._handed_out((context, page))

    def give_back(self, context: BrowserContext, page: Page, *, reusable: bool) -> None:
        """The scenario is over: keep the pair for the next one when ``reusable`` (the scenario
        passed) and nothing it did stands in the way; otherwise close it. Never raises: a
        check that cannot be made closes the pair."""
        try:
            kept = (self.keep and reusable and not self._broken and not page.is_closed()
                    and self._bindings == _bindings(context, page)
                    and self._viewport == page.viewport_size
                    and not any(_routes(o, "_web_socket_routes") for o in (context, page))
                    and _remove_new_listeners(self._listeners, (context, page)))
        except Exception:
            kept = False
        if kept:
            self._pair = (context, page)
        else:
            _close(context)

    def close(self) -> None:
        """Close the kept pair, if any (the worker is done)."""
        if self._pair is not None:
            _close(self._pair[0])
            self._pair = None

    def _handed_out(self, pair: tuple[BrowserContext, Page]) -> tuple[BrowserContext, Page]:
        if self.keep:
            try:
                self._listeners = _listeners(pair)
                self._bindings = _bindings(*pair)
            except Exception:  # not read: give_back finds the pair's listeners unknown
                self._listeners = {}
            self._viewport = pair[1].viewport_size
        return pair

    def _clean(self, context: BrowserContext, page: Page) -> None:
        session = devtools.session_of(page)
        if session is None or self._broken or page.is_closed():
            raise RuntimeError("the page cannot be cleaned")
        for other in context.pages:
            if other is not page:
                other.close()
        for routed in (context, page):
            if _routes(routed, "_routes"):
                routed.unroute_all(behavior="ignoreErrors")
        page.goto("about:blank", wait_until="commit", timeout=CLEAN_MS)
        commands: list[tuple[str, dict[str, object]]] = [
            ("Runtime.evaluate", {"expression": "window.name = ''"}),
            ("Network.clearBrowserCookies", {}),
            ("Network.clearBrowserCache", {}),
        ]
        commands += [("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
                     for origin in sorted(self._origins)]
        commands.append(("Page.resetNavigationHistory", {}))
        for attempt in range(NOT_YET_TRIES):
            try:
                devtools.send_all(session, commands, CLEAN_MS)
                break
            except Exception as exc:
                if NOT_YET not in str(exc) or attempt == NOT_YET_TRIES - 1:
                    raise
                page.wait_for_timeout(NOT_YET_WAIT_MS)
        page.clear_console_messages()
        page.clear_page_errors()
        self._origins.clear()

    def _note_origin(self, response: Response) -> None:
        parts = urlsplit(response.url)
        if parts.scheme in ("http", "https") and response.request.is_navigation_request():
            self._origins.add(f"{parts.scheme}://{parts.netloc}")

    def _note_broken(self, *_: object) -> None:
        self._broken = True


def _close(context: BrowserContext) -> None:
    with contextlib.suppress(Exception):
        context.close()


def _emitter(api_object: object) -> Any:
    """The event emitter behind a Playwright object; ``None`` where this Playwright has none
    that can be read, and the pair is then never kept."""
    emitter = getattr(api_object, "_impl_obj", None)
    needed = ("event_names", "raw_listeners", "remove_listener")
    return emitter if all(hasattr(emitter, name) for name in needed) else None


def _listeners(objects: tuple[object, ...]) -> _Listeners:
    found: _Listeners = {}
    for api_object in objects:
        emitter = _emitter(api_object)
        if emitter is not None:
            found[id(api_object)] = {(event, id(listener)): listener
                                     for event in emitter.event_names()
                                     for listener in emitter.raw_listeners(event)}
    return found


def _remove_new_listeners(before: _Listeners, objects: tuple[object, ...]) -> bool:
    """Remove every listener added to ``objects`` since ``before``; ``False`` where they cannot
    be read."""
    for api_object in objects:
        emitter = _emitter(api_object)
        if emitter is None or id(api_object) not in before:
            return False
        kept = before[id(api_object)]
        for event in list(emitter.event_names()):
            for listener in list(emitter.raw_listeners(event)):
                if (event, id(listener)) not in kept:
                    emitter.remove_listener(event, listener)
    return True


def _routes(api_object: object, kind: str) -> bool:
    """Whether the object may have routes of ``kind`` (``_routes``, ``_web_socket_routes``);
    ``True`` where this Playwright does not tell. ``unroute_all`` removes the first kind (a
    command to the browser even when there is none), and nothing removes the second."""
    found = getattr(getattr(api_object, "_impl_obj", None), kind, None)
    return not isinstance(found, list) or bool(found)


def _bindings(context: BrowserContext, page: Page) -> int:
    """How many functions are exposed to the pair's documents (``expose_binding``)."""
    return sum(len(getattr(getattr(o, "_impl_obj", None), "_bindings", {}))
               for o in (context, page))
