"""After an app's sign-out has started: does the provider's page come, or the app's signed-out
page without it (an app that signs out locally only)? Shared by ``signout.rp-initiated`` against
the mock and in ``run --idp``, whose drivers would otherwise wait out their timeout for a
provider's page that never comes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal
from urllib.parse import urlsplit

from playwright.sync_api import Page

from scenarios.navigation_log import NavigationLog, shown_url
from scenarios.settled_error import settled_error

__all__ = ["SIGN_OUT_WAIT_MS", "at_provider", "end_session_requests", "is_provider_document",
           "provider_or_signed_out_page", "signed_out_locally"]

SIGN_OUT_WAIT_MS = 10_000
"""How long the app's sign-out may take to reach the provider or its signed-out page."""

Came = Literal["provider", "app", "neither"]


def at_provider(log: NavigationLog, provider_host: str, end_session_paths: tuple[str, ...],
                *, app_host: str | None = None) -> bool:
    """Whether a document of the provider's (its host, or an end-session path) was loaded.
    A document on ``app_host`` is the app's own, whatever its path: an app may serve its
    sign-out at ``/oauth2/logout`` (django-auth-adfs does), Entra's v1 end-session path."""
    return any(is_provider_document(url, provider_host, end_session_paths, app_host=app_host)
               for url, _ in log.documents)


def end_session_requests(log: NavigationLog, provider_host: str,
                         end_session_paths: tuple[str, ...], *, app_host: str) -> list[str]:
    """The URLs of the provider's end-session endpoint the browser loaded (GET): an
    end-session path of a document not on ``app_host`` (:func:`is_provider_document`). The
    answer to "Pick an account" is posted back to the endpoint: not a request of the app's."""
    return [url for (url, _), method in zip(log.documents, log.methods, strict=True)
            if method == "GET" and urlsplit(url).path.endswith(end_session_paths)
            and is_provider_document(url, provider_host, end_session_paths, app_host=app_host)]


def is_provider_document(url: str, provider_host: str, end_session_paths: tuple[str, ...],
                         *, app_host: str | None = None) -> bool:
    """Whether ``url`` is the provider's: on its host, or an end-session path on any host but
    ``app_host`` (the app's)."""
    parts = urlsplit(url)
    if app_host is not None and parts.netloc == app_host:
        return False
    return parts.netloc == provider_host or parts.path.endswith(end_session_paths)


def provider_or_signed_out_page(page: Page, log: NavigationLog, *, provider_host: str,
                                end_session_paths: tuple[str, ...],
                                shows_signed_out: Callable[[Page], bool | None],
                                app_host: str | None = None,
                                wait_ms: float = SIGN_OUT_WAIT_MS) -> Came:
    """Once the app's sign-out is started (``log`` made before it), wait for whichever comes
    first: a page of the provider's (``"provider"``: its end-session endpoint, which may ask
    "Pick an account"), or the app's signed-out page (``shows_signed_out``, read without
    waiting) in a document loaded since, the provider never reached (``"app"``: it signed out
    locally, and no page of the provider's will come). ``"neither"`` after ``wait_ms``, or at
    once on an error page that stays. When ``shows_signed_out`` cannot tell (``None``: a profile
    that does not say what the page looks like) only the provider's is left to wait for:
    ``"provider"``, and the driver's wait decides. Documents on ``app_host`` are the app's
    (:func:`at_provider`)."""
    if shows_signed_out(page) is None:
        return "provider"
    deadline = time.monotonic() + wait_ms / 1000
    while time.monotonic() < deadline:
        if at_provider(log, provider_host, end_session_paths, app_host=app_host) or \
                urlsplit(page.url).netloc == provider_host:
            return "provider"
        if log.documents and shows_signed_out(page):
            return "app"
        if settled_error(page):
            return "neither"
        page.wait_for_timeout(50)
    return "neither"


def signed_out_locally(page: Page, log: NavigationLog, *, end_session: str, person: str,
                       whence: str = "the end_session_endpoint of the provider's discovery document"
                       ) -> str:
    """The app's sign-out never sent the browser to the provider's ``end_session`` endpoint
    (``whence`` says why that one): what that leaves for ``person``, and where the browser
    went instead."""
    went = " -> ".join(f"{shown_url(url)} {status}" for url, status in log.documents)
    return (
        "the app signed out locally only: its sign-out never sent the browser to the "
        f"provider's end-session endpoint ({end_session}, {whence}), so {person} is still "
        "signed in at the provider, and the app's "
        "next sign-in gets that account back in without a password. An app ends the provider's "
        "session by redirecting the browser there, with id_token_hint and "
        "post_logout_redirect_uri "
        "(OpenID Connect RP-Initiated Logout 1.0, section 2; Microsoft Entra ID: \"Send a "
        "sign-out request\", learn.microsoft.com/entra/identity-platform/v2-protocols-oidc). "
        f"The browser went {went or 'nowhere'} and landed on {shown_url(page.url)}")
