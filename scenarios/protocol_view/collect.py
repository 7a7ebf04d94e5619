"""Gathering what the diagram is drawn from: the browser's documents, and the mock provider's
logs read over HTTP (``GET /_mock/activity``), the way a test in any language would.

:class:`BrowserLog` listens to a browser context (and any context a scenario opens) and keeps
each document the browser asked for, masked as it is recorded: pages, redirect hops, iframes,
with the real time each started. At the end it looks for the app's failure reference on the
error pages it saw. :func:`collect` adds one read of the provider's logs since the scenario
started. Both are cheap: a callback per document, one HTTP call per scenario.
"""

from __future__ import annotations

import contextlib
import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urljoin

import httpx

from scenarios import navigation_failures
from scenarios.ca_trust import public_trust
from scenarios.protocol_view.model import BrowserHit, Collected
from scenarios.protocol_view.tokens import mask_query, mask_url

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Request, Response

__all__ = ["BrowserLog", "Observable", "ProtocolSources", "collect", "fetch_activity"]

ERROR_PAGES_READ = 3
"""Error pages (status >= 400) read for a failure reference, the last ones seen."""
FETCH_TIMEOUT = 5.0
FINAL_PAGE_TIMEOUT_MS = 2000
FINAL_PAGE_CHARS = 1_000_000
"""How much of a page's last document is read for a failure reference: its HTML's start, where
a failure page says it. A 10 MB signed-in page (a large table, an inline bundle) took 1-4 s
to come through Playwright's driver whole, and its tags' removal after."""
DEFAULT_REFERENCE = re.compile(r"Reference:\s*([A-Za-z0-9][A-Za-z0-9_-]{3,63})")
_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class ProtocolSources:
    """Where a scenario's exchange can be read: what its environment tells the runner."""

    provider_url: str | None
    """The provider's base URL (its origin tells the provider's pages from the app's)."""
    app_url: str | None = None
    mock: bool = True
    """Whether the provider is the mock, whose logs ``/_mock/activity`` serves."""
    http: httpx.Client | None = None
    reference: re.Pattern[str] | None = None
    """Finds the app's failure reference in an error page (group 1, or the whole match)."""


@runtime_checkable
class Observable(Protocol):
    """An environment whose exchange can be drawn (the live stack is one)."""

    @property
    def protocol_sources(self) -> ProtocolSources: ...


ANSWER_FIELDS = frozenset({"code", "id_token", "error"})
"""The fields of the provider's answer, one of which its ``form_post`` page always posts."""


def _posted_form(request: Request) -> str | None:
    """The form-encoded body ``request`` posted, masked, when it is the provider's answer (a
    form that carries a code, an ID token or an error: its ``form_post`` page's), which the
    diagram shows; ``None`` for any other body (an app's own sign-in form, whatever it calls
    its fields), which the diagram has no use for and is not kept."""
    if request.method != "POST":
        return None
    try:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = request.post_data
    except Exception:  # a body that is not text
        return None
    if kind != "application/x-www-form-urlencoded" or body is None:
        return None
    if not ANSWER_FIELDS & {name for name, _ in parse_qsl(body, keep_blank_values=True)}:
        return None
    return mask_query(body)


def _reference_in(page: str, pattern: re.Pattern[str]) -> str | None:
    """The reference ``pattern`` finds in the text of the HTML ``page`` (as a person reads it:
    tags out, entities decoded, spaces collapsed)."""
    text = " ".join(html.unescape(_TAG.sub(" ", page)).split())
    match = pattern.search(text)
    if match is None:
        return None
    return match.group(1) if match.groups() else match.group(0)


class BrowserLog:
    """Every document the browser asks for in the contexts it watches, masked."""

    def __init__(self, reference: re.Pattern[str] | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.hits: list[BrowserHit] = []
        self.reference = reference or DEFAULT_REFERENCE
        self.clock = clock
        self._error_pages: list[tuple[int, Response]] = []
        self._pages: list[tuple[int, Page]] = []
        self._starts: dict[Request, float] = {}
        """When each document request not yet answered (or failed) was sent."""

    def watch(self, context: BrowserContext, index: int = 0) -> None:
        """Record ``context``'s documents as browser ``index`` (0: the scenario's own)."""
        context.on("request", self._request)
        context.on("response", lambda response: self._response(response, index))
        context.on("requestfailed", lambda request: self._failed(request, index))
        navigation_failures.watch(context)  # why a page is the browser's own error page
        context.on("page", lambda page: self._pages.append((index, page)))
        self._pages += [(index, page) for page in context.pages]

    def _request(self, request: Request) -> None:
        if request.resource_type == "document":
            self._starts[request] = self.clock()

    def _started(self, request: Request) -> float:
        """When ``request`` started: the browser's timing, or (a request that failed has
        none) the time its ``request`` event came, not the time it failed, which is after
        whatever the app did while the browser waited."""
        sent = self._starts.pop(request, None)
        try:
            start = float(request.timing.get("startTime", -1))
        except Exception:
            start = -1
        if start > 0:
            return start / 1000
        return sent if sent is not None else self.clock()

    @staticmethod
    def _frame(request: Request) -> str:
        try:
            return "main" if request.frame.parent_frame is None else "frame"
        except Exception:
            return "main"

    def _response(self, response: Response, index: int) -> None:
        request = response.request
        if request.resource_type != "document":
            return
        location = response.headers.get("location")
        self.hits.append(BrowserHit(
            wall=self._started(request), method=request.method, url=mask_url(response.url),
            status=response.status, context=index, form=_posted_form(request),
            location=mask_url(urljoin(response.url, location)) if location else None,
            frame="main" if self._frame(request) == "main" else "frame"))
        if response.status >= 400:
            self._error_pages.append((len(self.hits) - 1, response))
            del self._error_pages[:-ERROR_PAGES_READ]

    def _failed(self, request: Request, index: int) -> None:
        if request.resource_type != "document":
            return
        self.hits.append(BrowserHit(
            wall=self._started(request), method=request.method, url=mask_url(request.url),
            status=None, error=(request.failure or "failed")[:200], context=index,
            form=_posted_form(request),
            frame="main" if self._frame(request) == "main" else "frame"))

    def finish(self, *, final_pages: bool = False) -> None:
        """Look for the app's failure reference on the error pages seen (and, with
        ``final_pages``, on each page's last document); call while the contexts are open."""
        for position, response in self._error_pages:
            with contextlib.suppress(Exception):
                self._note_reference(position, response.text())
        self._error_pages.clear()
        for index, page in self._pages if final_pages else ():
            last = next((i for i in range(len(self.hits) - 1, -1, -1)
                         if self.hits[i].context == index and self.hits[i].frame == "main"),
                        None)
            if last is None or self.hits[last].failure_ref is not None:
                continue
            with contextlib.suppress(Exception):
                if not page.is_closed():
                    # Bounded: page.content() waits without end while a navigation is pending
                    # (an app that never answers its callback).
                    html = page.locator("html").evaluate(
                        "(e, most) => e.outerHTML.slice(0, most)", FINAL_PAGE_CHARS,
                        timeout=FINAL_PAGE_TIMEOUT_MS)
                    self._note_reference(last, html)

    def _note_reference(self, position: int, text: str) -> None:
        found = _reference_in(text, self.reference)
        if found is not None:
            self.hits[position] = replace(self.hits[position], failure_ref=found)


def fetch_activity(http: httpx.Client, provider_url: str, since: float
                   ) -> tuple[dict[str, Any] | None, str | None]:
    """The mock's ``/_mock/activity`` since the real time ``since``: (the answer, ``None``) or
    (``None``, why it could not be read)."""
    url = f"{provider_url.rstrip('/')}/_mock/activity"
    try:
        response = http.get(url, params={"since": f"{since:.3f}"}, timeout=FETCH_TIMEOUT)
    except httpx.HTTPError as exc:
        return None, f"the provider's log could not be read ({type(exc).__name__}: {exc})"
    if response.status_code != 200:
        return None, f"the provider's log could not be read ({url} answered " \
                     f"{response.status_code})"
    try:
        body = response.json()
    except ValueError:
        return None, f"the provider's log could not be read ({url} answered no JSON)"
    return (body, None) if isinstance(body, dict) else (None, "unexpected activity answer")


def collect(log: BrowserLog, sources: ProtocolSources | None, since: float, *,
            final_pages: bool = False) -> Collected:
    """What the browser recorded and, for the mock provider, its logs since ``since``
    (``final_pages``: read each page's last document for a failure reference too). Never
    raises: what went wrong is in ``problems``."""
    try:
        log.finish(final_pages=final_pages)
    except Exception as exc:
        return Collected(browser=tuple(log.hits), problems=(
            f"the browser's log could not be finished: {type(exc).__name__}: {exc}",))
    if sources is None:
        return Collected(browser=tuple(log.hits))
    provider: dict[str, Any] | None = None
    problems: tuple[str, ...] = ()
    if sources.mock and sources.provider_url:
        http = sources.http or httpx.Client(verify=public_trust())
        try:
            provider, problem = fetch_activity(http, sources.provider_url, since)
        finally:
            if sources.http is None:
                http.close()
        problems = (problem,) if problem else ()
    return Collected(browser=tuple(log.hits), provider=provider,
                     provider_url=sources.provider_url, app_url=sources.app_url,
                     problems=problems)
