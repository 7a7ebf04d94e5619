"""A person who stays more than two minutes at the provider's sign-in page, as Chromium sees it.

Chromium takes a cookie set without a ``SameSite`` attribute as ``SameSite=Lax``, with one
exception: for two minutes after it was set, it still sends it on a cross-site top-level POST
(the "Lax + POST" mitigation of chromium.org's "SameSite Updates" page, introduced with the
Lax default in Chrome 80 and still applied by the Chromium the scenarios run).
A provider answering a ``response_mode=form_post`` sign-in posts its form to the app's callback
from its own site, so within those two minutes the callback gets such a cookie, and after
them it does not. A scenario signs in within seconds; a person who reads an MFA prompt, looks
up a password or registers an authenticator takes longer. An app whose callback finds its
sign-in through such a cookie (Microsoft's msal-node web-app tutorial with express-session's
default cookie, whose PKCE verifier is in the session) passes a fast sign-in and fails that
person's with whatever its callback does without its session.

The two minutes cannot be waited out in a scenario (Chromium dates the cookie by the machine's
clock, not the provider's), so :func:`outlast_lax_allowance` sets the app's cookies again with
an explicit ``SameSite=Lax``, which has no such exception: the browser then sends on the
provider's form post what it would send after two minutes. Playwright reports a cookie set
without the attribute as ``Lax`` too, and setting an explicit ``Lax`` cookie again changes
nothing, so every ``Lax`` cookie of the app is set again. A redirect back to the callback
(``response_mode=query``) is a top-level GET, which carries ``Lax`` cookies either way; no
return from another site carries a ``SameSite=Strict`` cookie (:func:`strict_cookies_note`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from scenarios.live import LiveStack

if TYPE_CHECKING:  # SetCookieParam is only in Playwright's private module
    from playwright._impl._api_structures import SetCookieParam
    from playwright.sync_api import BrowserContext, Page, Request

ALLOWANCE = "two minutes"
"""How long Chromium sends a cookie set without ``SameSite`` on a cross-site POST."""


def app_urls(stack: LiveStack) -> list[str]:
    """The URLs whose cookies are the app's: its base URL and its redirect URIs (a cookie's
    path may be the callback's)."""
    return list(dict.fromkeys([stack.app.base_url, *stack.app.redirect_uris]))


def outlast_lax_allowance(context: BrowserContext, urls: Sequence[str]) -> tuple[str, ...]:
    """Set the ``Lax`` cookies the browser sends to ``urls`` (those set without ``SameSite``
    among them) again with an explicit ``SameSite=Lax``, as they are once the two minutes have
    passed; the names of those cookies, sorted. ``None`` and ``Strict`` cookies stay as they
    are, and a session cookie stays one."""
    lax = [cookie for cookie in context.cookies(list(urls)) if cookie.get("sameSite") == "Lax"]
    again: list[SetCookieParam] = []
    for cookie in lax:
        param: SetCookieParam = {
            "name": cookie["name"], "value": cookie["value"], "domain": cookie["domain"],
            "path": cookie["path"], "httpOnly": cookie["httpOnly"], "secure": cookie["secure"],
            "sameSite": "Lax"}
        if cookie["expires"] >= 0:  # a session cookie stays one
            param["expires"] = cookie["expires"]
        again.append(param)
    if again:
        context.add_cookies(again)
    return tuple(sorted({cookie["name"] for cookie in lax}))


def callback_posts(page: Page, stack: LiveStack) -> Callable[[], bool]:
    """Watch ``page`` for a POST to one of the app's redirect URIs (the provider's
    ``form_post`` answer); the returned call says whether one was sent."""
    seen: list[str] = []
    callbacks = tuple(uri.split("?", 1)[0] for uri in stack.app.redirect_uris)

    def note(request: Request) -> None:
        if request.method == "POST" and request.url.split("?", 1)[0] in callbacks:
            seen.append(request.url)

    page.on("request", note)
    return lambda: bool(seen)


def lax_post_problem(names: tuple[str, ...]) -> str:
    """Why a form_post sign-in failed once the app's ``Lax`` cookies ``names`` lost the
    two-minute exception."""
    which = ", ".join(names)
    plural = "s" if len(names) > 1 else ""
    return (f"the provider answered by a form post to the app's callback (response_mode="
            f"form_post), which is cross-site, and the browser held the app's cookie{plural} "
            f"{which} as SameSite=Lax: Chromium sends a cookie set without a SameSite attribute "
            f"on such a post only within {ALLOWANCE} of setting it, so a person who stays "
            f"longer at the provider's sign-in page (an MFA prompt, a forgotten password) "
            f"comes back without it, as this scenario did. Set the cookie the callback needs "
            f"SameSite=None; Secure, or ask for response_mode=query")


def strict_cookies_note(page: Page, stack: LiveStack) -> str:
    """``; `` and why a sign-in cannot finish when the browser holds cookies of the app set
    ``SameSite=Strict`` and the provider is another site (as Entra is): its redirect (or form
    post) to the callback carries none of them (as ``conformance``'s preflight says it);
    ``""`` otherwise. Never raises."""
    from scenarios.app_exit import shielded
    from scenarios.conformance.readiness import strict_cookie_problem
    from scenarios.conformance.setup import same_site

    try:
        if same_site(stack.idp.base_url, stack.app.base_url):
            return ""
        with shielded():
            names = sorted({cookie["name"] for cookie in page.context.cookies(stack.app.base_url)
                            if cookie.get("sameSite") == "Strict"})
    except Exception:  # a closed page: the message goes without it
        return ""
    return f"; {strict_cookie_problem(tuple(names))}" if names else ""
