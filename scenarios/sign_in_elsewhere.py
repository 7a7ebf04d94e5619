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

__all__ = ["sign_in_control_shown", "sign_in_elsewhere"]

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


def sign_in_elsewhere(page: Page) -> str:
    """A clause to end "the provider's sign-in page did not appear" with, or ``""``: a window
    ``page`` opened that is still open (``window.open``, as MSAL.js's ``loginPopup`` and
    oidc-client-ts's ``signinPopup`` do; a popup's :meth:`Page.opener` is the page that opened
    it, see https://playwright.dev/python/docs/api/class-page#page-opener), else a visible
    button or link named like "Sign in" on ``page``."""
    with shielded():  # read for a message, also as the app exits
        popups = [other for other in page.context.pages
                  if other is not page and not other.is_closed() and _opened_by(other, page)]
        if popups:
            return (f"; it opened a popup window at {_bare(popups[0].url)}, where the scenarios "
                    "do not follow a sign-in: they prove automatic login in the page the "
                    "sign-in URL opened (MSAL.js: loginRedirect rather than loginPopup, "
                    "https://learn.microsoft.com/entra/identity-platform/scenario-spa-sign-in; "
                    "oidc-client-ts: signinRedirect rather than signinPopup)")
        found = sign_in_control_shown(page)
        if found is None:
            return ""
        kind, text = found
        return (f"; the page waits for a click on its {text!r} {kind}: a sign-in URL must send "
                "the browser to the provider by itself (a redirect, a refresh or a script); "
                "for a customer sign-in page that waits for it, name it in the profile as "
                f"[sign_in] control = {json.dumps(text, ensure_ascii=False)}, which is clicked "
                "on the pages of [sign_in] urls only (a protected URL must start the sign-in "
                "by itself, and a partner launch URL is never clicked through: partner-app SSO "
                "starts at once)")
    return ""


def sign_in_control_shown(page: Page) -> tuple[str, str] | None:
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
