"""What a conformance run is given: the RP and provider under test, who signs in, the browser's
settings and when to stop (:class:`ConformanceOptions`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["CLOCK_TOLERANCE", "ConformanceOptions"]

CLOCK_TOLERANCE = 60.0
"""Seconds the app's clock (its ``Date`` header) may differ from the provider's: more, and
tokens look expired or not yet valid to it, whatever the row."""


@dataclass(frozen=True, kw_only=True)
class ConformanceOptions:
    rp: str
    """The RP's base URL."""
    idp: str
    """The mock provider's base URL."""
    start: str = "/login"
    start_control: str | None = None
    """The button or link to click on the page ``start`` opens, when it waits for a click
    (``--app`` with a profile's ``[sign_in] control`` and no ``--start``)."""
    check: str = "/api/me"
    """The check URL: answers 2xx when signed in, 401, 403 or a redirect when not; with
    :attr:`shown_signed_in`, the page that shows who is signed in."""
    shown_signed_in: Callable[[Page], bool] | None = None
    """Whether the browser of the page given is signed in, told by a page of the app (a
    profile's ``[signed_in] page`` with its selector or text, opened beside it) instead of the
    check URL's status: for an app with no such URL, a single-page app above all, whose
    sign-in lives in the browser (``None``: ask the check URL)."""
    backchannel: str | None = None
    started_app: bool = False
    """The harness started the app from a profile (``--app``), which hands it its own URL by
    the profile's placeholders."""
    tenant: str
    client_id: str
    upn: str
    password: str
    headed: bool = False
    timeout_ms: float = 10_000
    ws_endpoint: str | None = None
    context_options: Mapping[str, Any] = field(default_factory=dict)
    """Options of each browser context (how it trusts an https provider)."""
    clock_tolerance: float = CLOCK_TOLERANCE
    max_failures: int | None = None
    """``--max-failures N``: once N rows have failed, the rows left are not run (SKIP)."""

    @property
    def over_tls(self) -> bool:
        return self.idp.startswith("https://")

    def rp_url(self, path: str) -> str:
        return path if "://" in path else f"{self.rp.rstrip('/')}/{path.lstrip('/')}"
