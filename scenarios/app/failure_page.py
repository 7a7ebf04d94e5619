"""The app's failure page: what :class:`~scenarios.app.adapter.ProfileAdapter` checks it shows
after a refused sign-in (``[failure]``: its text, the support contact, the provider's error
code, an error reference the app logged).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from scenarios.app.admin_calls import admin_call
from scenarios.app.calls import dig, response_json
from scenarios.app.interface import Unsupported
from scenarios.app.page_looks import expect_once_settled, shown_element
from scenarios.app.templating import render
from scenarios.masking import quoted

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from scenarios.app.adapter import ProfileAdapter

ACCEPTED = "the app accepted the sign-in: someone is signed in"
"""How a failure message says that the app signed someone in instead of showing its failure
page (:func:`_instead`)."""


class NoFailurePage(AssertionError):
    """The failure page did not appear: ``missing`` is what it lacked (a profile's text, which
    may hold a "; "), the message that, "; " and what the browser showed instead."""

    def __init__(self, missing: str, instead: str) -> None:
        super().__init__(f"{missing}; {instead}")
        self.missing = missing


def expect_failure(app: ProfileAdapter, page: Page, kind: str | None = None, *,
                   idp_code: str | None = None, contact: str | None = None) -> str | None:
    from playwright.sync_api import expect

    failure = app.profile.failure
    if failure is None:
        raise Unsupported(f"{app.name}: the profile has no [failure] section")
    expectation = app.profile.expectation(kind) if kind else None
    wanted = contact or (app.profile.contact_for(kind) if kind else None) or app.contact
    body = page.locator("body")
    missing = f"the failure page did not appear: no {failure.text!r}"
    try:
        if failure.text:
            # Judged once the page has settled, like the contact below: an app that signs
            # the user in instead fails here in about two seconds, not the whole timeout.
            expect_once_settled(page, failure.text)
        missing = f"the failure page does not show the support contact {wanted!r}"
        expect_once_settled(page, wanted)
    except AssertionError as exc:
        raise NoFailurePage(missing, _instead(app, page)) from exc
    # Once the page is known to be the failure page, its other texts get the whole
    # expectation timeout, as a page may add them late (a script, a timer).
    if idp_code and failure.shows_idp_code:
        expect(shown_element(page, idp_code), f"the failure page does not name {idp_code}"
               ).to_be_visible()
    for text in expectation.texts if expectation else ():
        expect(shown_element(page, render(text, app.values)),
               "the failure page does not say so").to_be_visible()
    if failure.error_status:
        status = page.evaluate(
            "() => performance.getEntriesByType('navigation')[0]?.responseStatus ?? 0")
        assert isinstance(status, int) and status >= 400, (
            f"the failure page came with HTTP {status}, not an error status")
    reference = None
    if failure.reference is not None:
        found = failure.reference.search(body.inner_text())
        assert found, (f"the failure page shows no error reference (nothing matches "
                       f"/{failure.reference.pattern}/)")
        reference = found.group(1) if failure.reference.groups else found.group(0)
        _check_logged(app, reference, kind)
    if "session-check" in app.capabilities:
        app.expect_signed_out(page, why=" after a failed sign-in")
    return reference


def _instead(app: ProfileAdapter, page: Page) -> str:
    """What the app did instead of its failure page."""
    shown = app.showing(page) + _error_elsewhere(app, page.url)
    if "session-check" in app.capabilities:
        with contextlib.suppress(Exception):
            if app.is_signed_in(page):
                return f"{ACCEPTED}, and {shown}"
    return shown


def _error_elsewhere(app: ProfileAdapter, url: str) -> str:
    """``; its address carried error='…'`` when the page, not the app's redirect URI, has an
    ``error`` in its query: where a library sent the refusal the page does not show (grant 5
    sends a callback whose browser holds no sign-in of its to ``/?error=Grant: missing
    session…``, having no callback of the app's for it). At the redirect URI the error is the
    provider's own, already in the address the provider sent."""
    parts = urlsplit(url)
    errors = parse_qs(parts.query).get("error")
    if not errors or parts.path in {urlsplit(uri).path for uri in app.redirect_uris}:
        return ""
    return (f"; its address carried error={quoted(errors[0], 80)}: the app refused the "
            "sign-in there, and its page should say so")


def logged_error(app: ProfileAdapter, reference: str) -> Mapping[str, object] | None:
    failure = app.profile.failure
    if failure is None or failure.error_log is None:
        return None
    what = f"error reference {reference} in the app's error log"
    response = admin_call(app, failure.error_log, what, reference=reference)
    data = response_json(response, what)
    return data if isinstance(data, Mapping) else {"": data}


def _check_logged(app: ProfileAdapter, reference: str, kind: str | None) -> None:
    logged = app.logged_error(reference)
    if logged is None or kind is None:
        return
    expectation = app.profile.expectation(kind)
    for path, wanted in expectation.logged.items():
        got = dig(logged, path)
        assert str(got) == wanted, (
            f"error {reference} was logged with {path} = {got!r}, expected {wanted!r}: "
            f"{dict(logged)}")
    for path, part in expectation.logged_contains.items():
        got = dig(logged, path)
        assert part in str(got or ""), (
            f"error {reference} was logged with {path} = {got!r}, which does not mention "
            f"{part!r}")


