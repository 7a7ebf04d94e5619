"""``app check``'s walk from a sign-in URL to where the app sends the browser: the app's own
redirects and immediate refreshes followed, a page that posts itself on posted, without a
browser (:func:`follow_to_provider`)."""

from __future__ import annotations

import html
import re
from typing import Literal
from urllib.parse import urljoin

import httpx

from scenarios.app.elsewhere import bare
from scenarios.app.failure_probe import MAX_APP_REDIRECTS, host_of, page_says
from scenarios.app.self_posting import SCRIPT, posts_itself, submit
from scenarios.app.sign_in_control import control_hint

__all__ = ["follow_to_provider"]

# An immediate <meta http-equiv="refresh" content="0; URL=..."> sends the browser on with no
# click, like a redirect (Microsoft's identity package starts its sign-in this way).
_META_REFRESH = re.compile(
    r"""<meta\s+http-equiv\s*=\s*["']?refresh["']?\s+content\s*=\s*(["'])\s*0\s*;\s*"""
    r"""url\s*=\s*["']?(?P<url>[^"'>]+?)["']?\s*\1""", re.IGNORECASE)


def follow_to_provider(http: httpx.Client, url: str, app_base: str, *, clickable: bool = False
                       ) -> tuple[str, str | None, Literal["page", "posting", "script"] | None]:
    """Follow the app's own redirects from ``url``; return (what happened, URL that left the
    app or ``None``, whether it ended on a page of the app: ``"posting"`` for one that may post
    itself on (:func:`~scenarios.app.self_posting.posts_itself`) when posting its form as it
    would leads nowhere, ``"script"`` for another with a script, which may send the browser on
    by itself, else ``"page"``, which waits for a click: for a ``clickable`` sign-in URL, the
    message names the profile line for a sign-in link or button it shows)."""
    current = url
    for _ in range(MAX_APP_REDIRECTS):
        try:
            response = http.get(current, follow_redirects=False)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return f"cannot be opened: {str(exc) or type(exc).__name__}", None, None
        refresh = _META_REFRESH.search(response.text) if response.is_success else None
        location = (response.headers["location"] if response.is_redirect
                    else html.unescape(refresh.group("url")) if refresh is not None else None)
        if location is not None:
            target = urljoin(current, location)
            if host_of(target) != host_of(app_base):
                return "redirects away", target, None
            current = target
            continue
        if response.is_success and (action := posts_itself(response, app_base)) is not None:
            if (posted_to := submit(http, response, action)) is not None:
                if host_of(posted_to) != host_of(app_base):
                    return "redirects away", posted_to, None
                current = posted_to
                continue
            return (f"is a page whose script may post its form to {action} as it loads (an app "
                    "whose sign-in starts only by a POST, as Auth.js's does): the check runs no "
                    "script and cannot follow it, the scenarios' browser does (a page that "
                    "waits for a click fails them)"), None, "posting"
        if response.is_success and SCRIPT.search(response.text) is not None:
            # next-auth v4's signIn() fetches the CSRF token, POSTs by fetch and then sets
            # window.location: a script with no form in the page, as MSAL.js's loginRedirect.
            return ("is a page whose script may start the sign-in as it loads (next-auth v4's "
                    "signIn(), MSAL.js): the check runs no script and cannot follow it, the "
                    "scenarios' browser does (a page that waits for a click fails them)"
                    ), None, "script"
        if response.is_success:
            hint = control_hint(response.text, current) if clickable else ""
            # A protected URL that redirects to the app's own sign-in page (an OmniAuth app's
            # /account to /login): the page that waits is that one, not the URL asked for.
            led = f"led to {bare(current)}, which " if bare(current) != bare(url) else ""
            return (f"{led}answered HTTP {response.status_code} with a page instead of sending the "
                    "browser to the provider (the scenarios expect a redirect: no click on a "
                    f"page in between){hint}"), None, "page"
        return f"answered HTTP {response.status_code}{page_says(response)}", None, None
    return f"redirects more than {MAX_APP_REDIRECTS} times within the app", None, None
