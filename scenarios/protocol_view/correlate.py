"""From what was collected to the diagram: merge the browser's log with the provider's logs and
put every message in order, between the browser, the app and the provider.

Pure. A browser request to the provider is the same request as one in the provider's log (same
method and path, started within moments): the two become one step, with what the provider
recorded (its answer, the tokens, the AADSTS error, what a fault changed). The requests the
harness made itself (its client names itself in the ``X-Mock-Caller`` header, which the log
keeps as ``caller``) are not drawn: the exchange lists them apart, saying between which steps
each came. Other provider requests no browser made are the app's back-channel calls (token,
keys, userinfo...). Logout notifications
and event deliveries are the provider's calls to the app. Steps are ordered by when they
started (every log carries real time), then tied together by the values they carry
(:mod:`scenarios.protocol_view.links`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from scenarios.protocol_view import names
from scenarios.protocol_view.known import mask_exchange
from scenarios.protocol_view.links import link
from scenarios.protocol_view.model import Actor, BrowserHit, Collected, Exchange, Step, TokenView
from scenarios.protocol_view.tokens import (
    TOKEN_NAMES,
    as_text,
    fault_changes,
    mask_json,
    mask_jwts,
    mask_pairs,
    mask_url,
    printable,
    token_view,
)

__all__ = ["IGNORED_PATHS", "correlate", "exchange_of"]

IGNORED_PATHS = ("/favicon.ico",)
"""Provider requests the diagram leaves out (a browser's own, not the protocol's)."""

MATCH_BEFORE = 2.0
"""Seconds a provider log entry may precede the browser's own record of the request."""
MATCH_AFTER = 10.0
ANSWER_MEMBERS = 12


@dataclass
class _Draft:
    wall: float
    order: int
    step: Step
    location: list[tuple[str, str]] = field(default_factory=list)


def _pairs(url: str) -> list[tuple[str, str]]:
    parts = urlsplit(url)
    return names.query_pairs(parts.query) + names.query_pairs(parts.fragment)


def _error_words(pairs: Mapping[str, Any]) -> str | None:
    """``error: description`` (first line) of an OAuth error, or a management API's message,
    control characters escaped."""
    error = pairs.get("error")
    if isinstance(error, Mapping):
        return printable(f"{error.get('code', 'error')}: {error.get('message', '')}".strip(": "))
    if not isinstance(error, str):
        return None
    description = str(pairs.get("error_description") or "").splitlines()
    return printable(f"{error}: {description[0]}" if description else error)


class _Builder:
    def __init__(self, collected: Collected) -> None:
        self.provider = names.origin(collected.provider_url)
        self.app = names.origin(collected.app_url)
        self.drafts: list[_Draft] = []
        notes = (collected.provider or {}).get("notifications") or ()
        self.frontchannel = {mask_url(str(n.get("url"))) for n in notes
                             if isinstance(n, Mapping) and n.get("kind") == "frontchannel"}
        """Front-channel logout URLs the provider had the browser load."""
        self.last_page: dict[int, _Draft] = {}
        """The step of each browser context's last main-frame document so far."""

    def short(self, url: str) -> str:
        return names.short_url(url, provider_origin=self.provider, app_origin=self.app)

    def add(self, wall: float, step: Step, location: list[tuple[str, str]] | None = None
            ) -> None:
        self.drafts.append(_Draft(wall, len(self.drafts), step, location or []))

    def outcome(self, status: int | None, location: str | None, error: str | None = None
                ) -> str:
        if status is None:
            return f"failed: {error or 'no answer'}"
        if location:
            return f"{status} -> {self.short(location)}"
        return str(status)

    # -- the provider's log -----------------------------------------------------------------
    def provider_step(self, entry: Mapping[str, Any], source: Actor,
                      hit: BrowserHit | None) -> None:
        notes = [n for n in entry.get("notes") or () if isinstance(n, Mapping)]
        request = entry.get("request") or {}
        form: Mapping[str, Any] = request.get("form") or {}
        query = names.query_pairs(str(entry.get("query", "")))
        params = query + [(str(k), str(v)) for k, v in form.items()]
        location = str(entry.get("location") or "") or None
        response = entry.get("response") or {}
        answer = response.get("json")
        tokens = self._tokens(params, answer, location, notes)
        status = entry.get("status")
        error = next((f"{n.get('code')}: {n.get('message')}" for n in notes
                      if n.get("target") == "error"), None)
        if error is None:  # a sign-out that ended nothing, the browser sent no provider cookie
            error = next((f"sign-out ended nothing: {n.get('message')}" for n in notes
                          if n.get("target") == "signout" and n.get("problem")), None)
        if error is None and location:
            error = _error_words(dict(_pairs(location)))
        if error is None and isinstance(answer, Mapping):
            error = _error_words(answer)
        path = str(entry.get("path", ""))
        name = names.provider_step_name(path, str(entry.get("method")), form)
        absent = name == "graph" and _no_photo(status, answer)
        self.add(hit.wall if hit else float(entry.get("wall") or 0.0), Step(
            n=0, wall=hit.wall if hit else float(entry.get("wall") or 0.0), source=source,
            target="provider", name=name, method=str(entry.get("method", "")),
            target_url=self.short(f"{self.provider or ''}{path}"),
            status=status if isinstance(status, int) else None,
            outcome=self.outcome(status if isinstance(status, int) else None, location),
            params=mask_pairs(params) + _too_large(request),
            answer=_answer(answer) + _too_large(response), tokens=tokens,
            error=None if absent else error, absent=absent,
            links=(NO_PHOTO,) if absent else (),
            failure_ref=hit.failure_ref if hit else None, faults=_fault_words(notes),
            browser=hit.context if hit else None),
            _pairs(location) if location else None)

    def _tokens(self, params: Sequence[tuple[str, str]], answer: Any, location: str | None,
                notes: Sequence[Mapping[str, Any]]) -> tuple[TokenView, ...]:
        found: list[tuple[str, str]] = [(k, v) for k, v in params if k in TOKEN_NAMES]
        if isinstance(answer, Mapping):
            found += [(str(k), str(v)) for k, v in answer.items() if k in TOKEN_NAMES]
        if location:
            found += [(k, v) for k, v in _pairs(location) if k in TOKEN_NAMES]
        views = []
        for name, value in found:
            view = token_view(name, value, notes if name == "id_token" else ())
            if view is not None:
                views.append(view)
        return tuple(views)

    # -- the browser's log ------------------------------------------------------------------
    def browser_step(self, hit: BrowserHit) -> None:
        posted = names.query_pairs(hit.form or "")
        pairs = _pairs(hit.url) + posted
        params = dict(pairs)
        path = urlsplit(hit.url).path
        name = "front-channel logout" if hit.url in self.frontchannel else names.app_step_name(
            path, params, hit.status, hit.location, self.provider)
        # The tokens of the provider's form_post answer are shown once, on its page's step,
        # as those of a redirect's target are on the redirect's.
        delivered = self._form_post(hit, posted)
        if delivered:
            name = "callback"
        tokens = tuple(v for k, val in (_pairs(hit.url) if delivered else pairs)
                       if k in TOKEN_NAMES if (v := token_view(k, val)) is not None)
        self.add(hit.wall, Step(
            n=0, wall=hit.wall, source="browser",
            target="provider" if names.origin(hit.url) == self.provider else "app", name=name,
            method=hit.method, target_url=self.short(hit.url), status=hit.status,
            outcome=self.outcome(hit.status, hit.location, hit.error),
            params=mask_pairs(_pairs(hit.url)) + mask_pairs(posted, decoded="above")
            if delivered else mask_pairs(pairs), tokens=tokens, error=_error_words(params),
            failure_ref=hit.failure_ref, browser=hit.context),
            _pairs(hit.location) if hit.location else None)

    def _form_post(self, hit: BrowserHit, posted: list[tuple[str, str]]) -> bool:
        """Whether ``hit`` is the provider's answer posted to the app by its ``form_post``
        page (the browser's last page, shown from the provider, posting the answer to the
        app): if so, that page's step shows the fields it posted, as a redirect's step shows
        its target's query."""
        answer = {"code", "error", "id_token"}
        page = self.last_page.get(hit.context)
        if (hit.method != "POST" or hit.frame != "main" or page is None
                or names.origin(hit.url) == self.provider or not answer & dict(posted).keys()):
            return False
        shown = page.step
        if shown.target != "provider" or shown.status is None or not 200 <= shown.status < 300:
            return False
        page.step = replace(
            shown, outcome=f"{shown.status} form_post -> {self.short(hit.url)}",
            answer=shown.answer + mask_pairs(posted),
            tokens=shown.tokens + self._tokens(posted, None, None, ()),
            error=shown.error or _error_words(dict(posted)))
        page.location = posted
        return True

    # -- notifications and events -----------------------------------------------------------
    def notification(self, note: Mapping[str, Any], seen_urls: set[str]) -> None:
        kind = note.get("kind")
        url = mask_url(str(note.get("url") or ""))
        status = note.get("status") if isinstance(note.get("status"), int) else None
        wall = float(note.get("wall") or 0.0)
        if kind == "frontchannel":
            if url in seen_urls:
                return
            loaded = "loaded" if note.get("loaded_at") else "not loaded"
            self.add(wall, Step(n=0, wall=wall, source="browser", target="app",
                                name="front-channel logout", method="GET",
                                target_url=self.short(url), status=None,
                                outcome=f"iframe {loaded}", params=mask_pairs(_pairs(url))))
            return
        if kind != "backchannel":
            return
        payload = note.get("payload") or {}
        faults = [f for f in note.get("faults") or () if isinstance(f, Mapping)]
        token = payload.get("logout_token") if isinstance(payload, Mapping) else None
        view = token_view("logout_token", str(token), faults) if token else None
        self.add(wall, Step(
            n=0, wall=wall, source="provider", target="app", name="back-channel logout",
            method="POST", target_url=self.short(url), status=status,
            outcome=self.outcome(status, None, note.get("error")),
            tokens=(view,) if view else (), faults=_fault_words(faults)))

    def delivery(self, attempt: Mapping[str, Any], event: Mapping[str, Any] | None) -> None:
        status = attempt.get("status") if isinstance(attempt.get("status"), int) else None
        wall = float(attempt.get("wall") or 0.0)
        data = event.get("data") if isinstance(event, Mapping) else None
        shown = [(str(k), as_text(v).strip('"')) for k, v in (mask_json(data) or {}).items()] \
            if isinstance(data, Mapping) else []
        retry = f", retry due {attempt['next_retry_at']}" if attempt.get("next_retry_at") else ""
        self.add(wall, Step(
            n=0, wall=wall, source="provider", target="app",
            name=f"event {attempt.get('type', '')}".strip(), method="POST",
            target_url=self.short(str(attempt.get("url", ""))), status=status,
            outcome=self.outcome(status, None, attempt.get("error"))
            + f" ({attempt.get('outcome', '')}, attempt {attempt.get('attempt', 1)}{retry})",
            params=tuple(shown)))


NO_PHOTO = "the user has no photo: Graph's answer then, which apps go on without"


def _no_photo(status: object, answer: object) -> bool:
    """Graph's answer for a user without a profile photo: 404 ``ImageNotFound`` ("If no photo
    exists, the operation returns 404 Not Found",
    https://learn.microsoft.com/graph/api/profilephoto-get)."""
    error = answer.get("error") if isinstance(answer, Mapping) else None
    return status == 404 and isinstance(error, Mapping) and error.get("code") == "ImageNotFound"


def _answer(body: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(body, Mapping):
        return ()
    out = []
    for key, value in body.items():
        if key in TOKEN_NAMES:
            continue
        if key == "keys" and isinstance(value, list):
            kids = [str(k.get("kid", "(no kid)")) for k in value if isinstance(k, Mapping)]
            out.append(("keys", f"{len(kids)}: {', '.join(kids)}"))
            continue
        text = as_text(mask_json(value, str(key)))
        out.append((str(key), text.strip('"') if isinstance(value, str) else text))
    return tuple(out[:ANSWER_MEMBERS])


def _too_large(body: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """What the log says of a body too large to keep: its size."""
    if not body.get("too_large"):
        return ()
    return (("body", f"too large to keep ({body.get('bytes')} bytes)"),)


def _fault_words(notes: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    words = []
    for note in notes:
        fault = note.get("fault")
        if not isinstance(fault, Mapping):
            continue
        text = f"fault {fault.get('kind')}"
        if note.get("effect"):
            text += f": {note['effect']}"
        changes, _, signature = fault_changes([note], str(note.get("target")))
        if changes:
            text += " (" + ", ".join(f"{c.name} {c.how}" for c in changes) + ")"
        if signature:
            text += f"; {signature}"
        words.append(text)
    return tuple(words)


def _match(hit: BrowserHit, entries: Sequence[Mapping[str, Any]], used: set[int]
           ) -> Mapping[str, Any] | None:
    path = urlsplit(hit.url).path
    for index, entry in enumerate(entries):
        if index in used or entry.get("method") != hit.method or entry.get("path") != path:
            continue
        wall = float(entry.get("wall") or 0.0)
        if hit.wall - MATCH_BEFORE <= wall <= hit.wall + MATCH_AFTER:
            used.add(index)
            return entry
    return None


def correlate(collected: Collected) -> Exchange:
    """The ordered exchange of what was collected."""
    builder = _Builder(collected)
    activity = collected.provider or {}
    logged = [e for e in activity.get("requests") or ()
              if isinstance(e, Mapping) and e.get("path") not in IGNORED_PATHS]
    entries = [e for e in logged if not e.get("caller")]
    used: set[int] = set()
    seen_urls: set[str] = set()
    for hit in sorted(collected.browser, key=lambda h: h.wall):
        seen_urls.add(hit.url)
        entry = None
        if builder.provider is not None and names.origin(hit.url) == builder.provider:
            entry = _match(hit, entries, used)
        if entry is not None:
            builder.provider_step(entry, "browser", hit)
        else:
            builder.browser_step(hit)
        if hit.frame == "main":
            builder.last_page[hit.context] = builder.drafts[-1]
    for index, entry in enumerate(entries):
        if index not in used:
            name = names.provider_step_name(str(entry.get("path", "")),
                                            str(entry.get("method", "")))
            builder.provider_step(entry, "browser" if name in names.BROWSER_NAMES else "app",
                                  None)
    for note in activity.get("notifications") or ():
        if isinstance(note, Mapping):
            builder.notification(note, seen_urls)
    events = {e.get("id"): e for e in activity.get("events") or () if isinstance(e, Mapping)}
    for attempt in activity.get("deliveries") or ():
        if isinstance(attempt, Mapping):
            builder.delivery(attempt, events.get(attempt.get("event_id")))
    ordered = sorted(builder.drafts, key=lambda d: (d.wall, d.order))
    steps = link([(replace(d.step, n=i + 1), d.location) for i, d in enumerate(ordered)])
    covers = "browser, app and provider" if collected.provider is not None else (
        "the browser only, without the mock provider's log")
    own = [e for e in logged if e.get("caller")]
    return Exchange(steps=tuple(steps), covers=covers, problems=collected.problems,
                    harness=tuple(_harness_call(builder, e, steps) for e in own))


def _harness_call(builder: _Builder, entry: Mapping[str, Any], steps: Sequence[Step]) -> str:
    """One call of the harness's, in a line: what it was, what it got and where it came."""
    wall = float(entry.get("wall") or 0.0)
    after = [s.n for s in steps if s.wall <= wall]
    if not steps:
        where = "no step drawn"
    elif not after:
        where = "before step 1"
    elif after[-1] == steps[-1].n:
        where = f"after step {after[-1]}"
    else:
        where = f"between steps {after[-1]} and {after[-1] + 1}"
    status = entry.get("status")
    url = builder.short(str(builder.provider or "") + str(entry.get("path", "")))
    answer = status if isinstance(status, int) else "no answer"
    return printable(f"{entry.get('method', '')} {url}  {answer}, {where}")


def exchange_of(collected: Collected | None) -> Exchange | None:
    """:func:`correlate`, for runners: ``None`` for nothing collected, and a diagram that says
    what went wrong rather than an exception; a JWT no name tells of (in a path, in a URL
    inside a parameter) without its signature too."""
    if collected is None:
        return None
    try:
        return mask_exchange(correlate(collected), mask_jwts)
    except Exception as exc:
        return Exchange(problems=(f"the exchange could not be drawn: {type(exc).__name__}: "
                                  f"{exc}",))
