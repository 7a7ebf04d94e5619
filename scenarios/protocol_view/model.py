"""What the protocol view is made of: what was collected (:class:`Collected`) and the diagram
drawn from it (:class:`Exchange`, a list of :class:`Step` between three actors).

Every value held here is already masked: nothing secret is ever stored in these records, so
they can go into any report as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ACTORS", "Actor", "BrowserHit", "Change", "Collected", "Exchange", "Step",
           "TokenView"]

Actor = Literal["browser", "app", "provider"]
ACTORS: tuple[Actor, ...] = ("browser", "app", "provider")


@dataclass(frozen=True, kw_only=True)
class BrowserHit:
    """One document the browser asked for (a page, a redirect hop, an iframe)."""

    wall: float
    """Real time the request started, seconds since the epoch."""
    method: str
    url: str
    """Masked (codes, tokens and secrets in the query or fragment)."""
    status: int | None
    """``None``: the request failed (``error`` says how)."""
    location: str | None = None
    """A redirect's target, masked."""
    form: str | None = None
    """The form-encoded body a POST carried when it is the provider's answer posted by its
    ``form_post`` page (a code, an ID token or an error), masked as a URL's query is; ``None``
    for any other (a sign-in form's is not kept)."""
    frame: Literal["main", "frame"] = "main"
    context: int = 0
    """Which browser context (0: the scenario's page; 1, 2...: contexts it opened)."""
    error: str | None = None
    failure_ref: str | None = None
    """The app's failure reference, when the page showed one."""


@dataclass(frozen=True, kw_only=True)
class Collected:
    """Everything gathered for one scenario or conformance row."""

    browser: tuple[BrowserHit, ...] = ()
    provider: dict[str, Any] | None = None
    """``GET /_mock/activity`` of the mock provider (``None``: no mock, or it did not answer)."""
    provider_url: str | None = None
    app_url: str | None = None
    problems: tuple[str, ...] = ()
    """Why part of the picture is missing (the provider's log could not be read...)."""


@dataclass(frozen=True, kw_only=True)
class Change:
    """One header member, claim or body member a fault changed."""

    part: str
    """``header``, ``claims`` or ``body``."""
    name: str
    how: Literal["changed", "added", "removed"]
    before: str | None = None
    """As JSON text; ``None`` when it was absent."""
    after: str | None = None


@dataclass(frozen=True, kw_only=True)
class TokenView:
    """A JWT seen on the way, decoded without verifying; its signature never shown."""

    name: str
    """``ID token``, ``access token``, ``logout token``, ``ID token hint``..."""
    header: tuple[tuple[str, str], ...]
    """(member, value as JSON text), in the token's order."""
    claims: tuple[tuple[str, str], ...]
    signature: str
    """``[redacted]``, ``none`` (an unsigned token), or what a fault did to it."""
    changes: tuple[Change, ...] = ()
    fault: str | None = None
    """The kind of the fault that changed it."""
    encrypted: bool = False
    """An encrypted token (a JWE): its header is shown, its claims cannot be read."""

    def changed(self, part: str) -> dict[str, Change]:
        """The changes to ``part`` (``header`` or ``claims``), by name."""
        return {c.name: c for c in self.changes if c.part == part}


@dataclass(frozen=True, kw_only=True)
class Step:
    """One message of the exchange, from one actor to another."""

    n: int
    wall: float
    source: Actor
    target: Actor
    name: str
    """What it is: ``sign-in start``, ``sign-out start`` (an app's redirect to the provider),
    ``authorize``, ``sign-in``, ``callback``, ``token``, ``userinfo``, ``keys``,
    ``discovery``, ``logout``, ``back-channel logout``, ``front-channel logout``, ``event``,
    ``page``, ``redirect``..."""
    method: str
    target_url: str
    """Where it went (masked), without the query."""
    status: int | None
    outcome: str
    """The answer in a few words: ``302 -> app /auth/callback``, ``200``, ``failed: timeout``."""
    params: tuple[tuple[str, str], ...] = ()
    """What it carried (query or form), masked."""
    answer: tuple[tuple[str, str], ...] = ()
    """Members of a JSON answer, or the fields of the form a ``form_post`` page of the
    provider's posted (tokens are in ``tokens``), masked."""
    tokens: tuple[TokenView, ...] = ()
    error: str | None = None
    """An AADSTS error or an OAuth error the step answered or carried."""
    failure_ref: str | None = None
    faults: tuple[str, ...] = ()
    """What armed faults did here, in words."""
    links: tuple[str, ...] = ()
    """How it ties to other steps: the code it redeems, the state it returns..."""
    absent: bool = False
    """An error status that says only that something does not exist, which an app goes on
    without (Graph's 404 ``ImageNotFound`` for a user without a photo): not gone wrong."""
    browser: int | None = None
    """The browser a step of the browser's was made in (its context: 0 the scenario's page,
    1, 2...: those it opened); ``None`` for the app's and the provider's calls, and for a
    browser's step only the provider's log tells of."""

    @property
    def erred(self) -> bool:
        """Whether the step went wrong: it carried or answered an error, the app showed its
        failure reference, it was answered 4xx or 5xx (but for an answer that something is
        :attr:`absent`), or it got no answer."""
        return bool(self.error or self.failure_ref
                    or (self.status is not None and self.status >= 400 and not self.absent)
                    or (self.status is None and self.outcome.startswith("failed")))

    @property
    def browser_name(self) -> str | None:
        """``browser 1``, ``browser 2``... (``None`` when not known)."""
        return None if self.browser is None else f"browser {self.browser + 1}"


@dataclass(frozen=True, kw_only=True)
class Exchange:
    """The diagram of one scenario: steps in order, and what it covers."""

    steps: tuple[Step, ...] = ()
    covers: str = "browser, app and provider"
    problems: tuple[str, ...] = field(default_factory=tuple)
    harness: tuple[str, ...] = ()
    """The calls the harness made to the provider to arrange the scenario (Graph's management
    API, a token request of its own), which are not drawn: each in a line that says where it
    came (``PATCH provider /graph/.../users/alice  204, between steps 4 and 5``)."""

    @property
    def several_browsers(self) -> bool:
        """Whether the steps were made in more than one browser (then each says which)."""
        return len({s.browser for s in self.steps if s.browser is not None}) > 1

    @property
    def changed_tokens(self) -> tuple[TokenView, ...]:
        return tuple(t for s in self.steps for t in s.tokens if t.changes)
