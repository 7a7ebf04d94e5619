"""Why a sign-in URL left the browser on the app's page: the sign-in it started is in a popup
window, or the page waits for a click.

Both are sign-ins a person completes, but not the automatic login the scenarios prove, which
runs in the page the sign-in URL opened. Without this a failure says only that the provider's
sign-in page did not appear, which reads as an app that never reached the provider when its
popup shows that very page.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scenarios.app_exit import shielded
from scenarios.failure_query import query_shown

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from scenarios.live import LiveStack

__all__ = ["Control", "NoSignInPage", "advising_for", "click_advice", "sign_in_control_shown",
           "why_not_shown"]

READ_MS = 500
"""How long the page may take to say which control it shows."""

_CONTROL_JS = """() => {
  const visible = (el) => { const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden"; };
  const words = /\\b(sign|log)[\\s-]?(in|on)\\b/i;
  // A link to this very page with no query of its own (a navigation bar's "Login" on the
  // login page) starts nothing; "#" and "javascript:" links are a script's buttons.
  const here = (href) => { if (!href || /^\\s*(#|javascript:)/i.test(href)) return false;
    const u = new URL(href, location.href);
    return u.origin === location.origin && u.pathname === location.pathname && !u.search; };
  const controls = document.querySelectorAll(
    "button, a, input[type=submit], input[type=button], [role=button], [role=link]");
  for (const el of controls) {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "")
      .replace(/\\s+/g, " ").trim();
    const href = el.tagName === "A" ? el.getAttribute("href") : null;
    if (href !== null && here(href)) continue;
    if (text && text.length <= 60 && words.test(text) && visible(el)) {
      const link = (el.tagName === "A" && href !== null) || el.getAttribute("role") === "link";
      const kind = link ? "link" : "button";
      return [kind, text];
    }
  }
  return null;
}"""


Control = tuple[str, str]
"""A control the app's page shows: its kind (``button`` or ``link``) and its name."""

_RUNNING_ON: ContextVar[object] = ContextVar("sign_in_advice_stack", default=None)
"""The stack the running scenario signs in on (:func:`advising_for`), for a sign-in page's
failure raised where no stack is passed (a driver's ``expect_sign_in_page``)."""


@contextlib.contextmanager
def advising_for(stack: object) -> Iterator[None]:
    """While a scenario runs on ``stack``, the advice of :func:`why_not_shown` fits its app's
    profile even where the caller passes no stack (:func:`~scenarios.flows.sign_in_at_idp`
    after :func:`~scenarios.sign_in_asked.expect_sign_in_asked`, a driver's own check): a
    profile that names ``[sign_in] control`` is never told to name it. Any environment is
    taken; one without an app profile (a stand-in) gets the generic advice."""
    token = _RUNNING_ON.set(stack)
    try:
        yield
    finally:
        _RUNNING_ON.reset(token)


def _advice(waiting: Control, stack: object) -> str:
    """:func:`click_advice` for ``waiting`` as it fits the profile of ``stack``'s app, when it
    has one (its ``[sign_in] control``, and whether the page was reached by clicking it)."""
    profile = getattr(getattr(stack, "app", None), "profile", None)
    sign_in = getattr(profile, "sign_in", None)
    if sign_in is None:
        return click_advice(waiting)
    return click_advice(waiting, getattr(sign_in, "control", None),
                        clicked=bool(getattr(stack, "sign_in_clicked", False)))


class NoSignInPage(AssertionError):
    """The provider's sign-in page did not appear: ``head`` says so and what the browser
    shows, ``waiting`` is the sign-in control the app's page waits to have clicked, if any,
    for a caller that knows the profile to give advice that fits it (:func:`click_advice`)."""

    def __init__(self, head: str, why: str, waiting: Control | None) -> None:
        super().__init__(head + why)
        self.head, self.why, self.waiting = head, why, waiting

    def fitting(self, stack: LiveStack) -> str:
        """The message as it fits the profile of ``stack``'s app: never the advice to name a
        ``[sign_in] control`` it names already (:func:`click_advice`)."""
        if self.waiting is None:
            return str(self)
        return self.head + _advice(self.waiting, stack)


def why_not_shown(page: Page, stack: LiveStack | None = None) -> tuple[str, Control | None]:
    """A clause to end "the provider's sign-in page did not appear" with, or ``""``: a window
    ``page`` opened that is still open (``window.open``, as MSAL.js's ``loginPopup`` and
    oidc-client-ts's ``signinPopup`` do; a popup's :meth:`Page.opener` is the page that opened
    it, see https://playwright.dev/python/docs/api/class-page#page-opener), else a visible
    button or link named like "Sign in" on ``page``, which is returned too, with advice that
    fits the profile of ``stack``'s app, when given, else of the stack the running scenario
    signs in on (:func:`advising_for`; :func:`click_advice`)."""
    with shielded():  # read for a message, also as the app exits
        popups = [other for other in page.context.pages
                  if other is not page and not other.is_closed() and _opened_by(other, page)]
        if popups:
            return (f"; it opened a popup window at {_bare(popups[0].url)}, where the scenarios "
                    "do not follow a sign-in: they prove automatic login in the page the "
                    "sign-in URL opened (MSAL.js: loginRedirect rather than loginPopup, "
                    "https://learn.microsoft.com/entra/identity-platform/scenario-spa-sign-in; "
                    "oidc-client-ts: signinRedirect rather than signinPopup)"), None
        found = sign_in_control_shown(page)
        if found is None:
            return "", None
        return _advice(found, stack if stack is not None else _RUNNING_ON.get()), found
    return "", None


def click_advice(waiting: Control, named: str | None = None, *, clicked: bool = False) -> str:
    """The clause for a page that waits for a click on ``waiting``. A profile that names no
    ``[sign_in] control`` is told to name it; one that names ``named`` is told whether it was
    clicked (``clicked``: on the page of a sign-in URL, and the browser stayed on the app) or
    why not (the page was reached otherwise, as by a protected URL)."""
    kind, text = waiting
    seen = f"its {text!r} {kind}"
    if named is None:
        return (f"; the page waits for a click on {seen}: a sign-in URL must send "
                "the browser to the provider by itself (a redirect, a refresh or a script); "
                "for a customer sign-in page that waits for it, name it in the profile as "
                f"[sign_in] control = {json.dumps(text, ensure_ascii=False)}, which is clicked "
                "on the pages of [sign_in] urls only (a protected URL must start the sign-in "
                "by itself, and a partner launch URL is never clicked through: partner-app SSO "
                "starts at once)")
    if clicked:
        after = ("still shows it" if " ".join(text.split()) == " ".join(named.split())
                 else f"waits for a click on {seen}")
        return (f"; [sign_in] control {named!r} was clicked, but the browser stayed on the app, "
                f"whose page {after}: the click must send the browser to the provider (a "
                "link, a form post or a script), not to another page of the app")
    return (f"; the page waits for a click on {seen}, which no scenario gives here: [sign_in] "
            f"control {named!r} is clicked only on the page a scenario opens by following one "
            "of [sign_in] urls, and this page was reached otherwise: a protected URL must start "
            "the sign-in by itself (a redirect to the provider, or to a sign-in page that sends "
            "the browser on without a click), and a partner launch URL is never clicked "
            "through: partner-app SSO starts at once")


def sign_in_control_shown(page: Page) -> Control | None:
    """The kind (``"button"`` or ``"link"``) and name of the first visible control on ``page``
    named like "Sign in" or "Log on" (a link to the page itself aside), else ``None``; waits
    :data:`READ_MS` at most for one to show."""
    try:
        kind, text = page.wait_for_function(_CONTROL_JS, timeout=READ_MS).json_value()
    except Exception:  # no such control, or a page that cannot be read
        return None
    return str(kind), str(text)


def _opened_by(other: Page, page: Page) -> bool:
    try:
        return other.opener() == page
    except Exception:  # closed while asked
        return False


def _bare(url: str) -> str:
    """``url`` without its query and fragment (an authorize URL's state and nonce)."""
    parts = urlsplit(url)
    return parts._replace(query="", fragment="").geturl() + query_shown(url)
