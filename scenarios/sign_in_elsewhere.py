"""Why a sign-in URL left the browser on the app's page: the sign-in it started is in a popup
window, or the page waits for a click.

Both are sign-ins a person completes, but not the automatic login the scenarios prove, which
runs in the page the sign-in URL opened. Without this a failure says only that the provider's
sign-in page did not appear, which reads as an app that never reached the provider when its
popup shows that very page.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scenarios.app_exit import shielded
from scenarios.failure_query import query_shown

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from scenarios.live import LiveStack

__all__ = ["Control", "NoSignInPage", "click_advice", "sign_in_control_shown",
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
        named = stack.app.profile.sign_in.control
        if self.waiting is None or named is None:
            return str(self)
        return self.head + click_advice(self.waiting, named, clicked=stack.sign_in_clicked)


def why_not_shown(page: Page, stack: LiveStack | None = None) -> tuple[str, Control | None]:
    """A clause to end "the provider's sign-in page did not appear" with, or ``""``: a window
    ``page`` opened that is still open (``window.open``, as MSAL.js's ``loginPopup`` and
    oidc-client-ts's ``signinPopup`` do; a popup's :meth:`Page.opener` is the page that opened
    it, see https://playwright.dev/python/docs/api/class-page#page-opener), else a visible
    button or link named like "Sign in" on ``page``, which is returned too, with advice that
    fits the profile of ``stack``'s app, when given (:func:`click_advice`)."""
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
        if stack is None:
            return click_advice(found), found
        return (click_advice(found, stack.app.profile.sign_in.control,
                             clicked=stack.sign_in_clicked), found)
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
