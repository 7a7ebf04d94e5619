"""Failure pages: every way a sign-in can fail ends on a page that says what to do next.

Where the relying party sees the failure, the user gets its one failure page: a plain message,
the support contact of the connection (or of the partner app) and an error reference that an
administrator finds in the admin error log. Where the provider stops the sign-in itself (a
redirect URI it does not know, a disabled account), the user sees the provider's own page and
is never sent back to the relying party.

This module holds the failures the provider causes or decides (client credentials, a sign-in it
stops, an outage); :mod:`scenarios.catalogue.failures_refused` the sign-ins the relying party
refuses (ID token and UserInfo checks, state, partner launches).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from playwright.sync_api import expect

from scenarios import ScenarioContext, scenario
from scenarios.flows import NavigationLog, expect_failure, first_login, sign_in_at_idp
from scenarios.live import LiveStack
from scenarios.pages import FailurePage, IdpErrorPage, IdpSignInPage

Ctx = ScenarioContext[LiveStack]

CALLBACK_PATH = "/auth/callback"
SSO_MISCONFIGURED = "Single sign-on is not set up correctly"


def start_and_sign_in(ctx: Ctx, first_name: str = "alice") -> None:
    """Follow the widget sign-in URL and sign in at the provider."""
    stack = ctx.env
    ctx.page.goto(stack.sign_in_url("widget"))
    sign_in_at_idp(ctx.page, stack.people[first_name])


def callbacks_received(log: NavigationLog, stack: LiveStack) -> list[str]:
    """Relying-party callback documents the browser received."""
    return [url for url, _ in log.documents
            if url.startswith(stack.rp_url(CALLBACK_PATH))]


# -- client credentials ------------------------------------------------------------------------


@scenario(
    id="failure.expired-secret",
    title="An expired client secret ends on the failure page with a hint to renew it",
    proves="Once the clock passes the secret's end date the provider refuses the code exchange "
    "with AADSTS7000222, and the failure page shows the code, the contact, a logged reference "
    "and tells the administrator to create a new client secret",
)
def expired_secret(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("move the clock past the secret's end date (180 days after start)"):
        stack.advance(days=181)
    with ctx.step("sign in: the failure page names AADSTS7000222"):
        start_and_sign_in(ctx)
        expect_failure(page, stack, idp_code="AADSTS7000222", logged_code="client_secret_expired")
    with ctx.step("the user is told SSO is not set up; the administrator to renew the secret"):
        failure = FailurePage(page)
        expect(failure.message).to_contain_text(SSO_MISCONFIGURED)
        expect(failure.admin_hint).to_contain_text("Create a new client secret")


@scenario(
    id="failure.invalid-secret",
    title="A wrong client secret ends on the failure page",
    proves="A connection saved with a wrong secret value gets AADSTS7000215 at the code "
    "exchange, and the failure page shows the code, the contact and a logged reference",
)
def invalid_secret(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    assert stack.connection_id
    with ctx.step("an administrator saves a wrong secret in the connection"):
        stack.update_connection(stack.connection_id,
                                client_secret="not~the.secret.value-" + "x" * 18)
    with ctx.step("sign in: the failure page names AADSTS7000215"):
        start_and_sign_in(ctx)
        expect_failure(page, stack, idp_code="AADSTS7000215", logged_code="client_secret_invalid")
        expect(FailurePage(page).message).to_contain_text(SSO_MISCONFIGURED)
        expect(FailurePage(page).admin_hint).to_contain_text("client secret is wrong")


# -- the provider stops the sign-in -------------------------------------------------------------


@scenario(
    id="failure.redirect-uri-mismatch",
    title="An unregistered redirect URI stops at the provider's own error page",
    proves="When the app registration no longer lists the RP's callback, the provider shows its "
    "'trouble signing you in' page with AADSTS50011 and never redirects back to the RP",
)
def redirect_uri_mismatch(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("the app registration's redirect URIs are changed to another site"):
        stack.update_app(web={"redirectUris": ["https://elsewhere.example/auth/callback"]})
    log = NavigationLog(page)
    with ctx.step("follow the sign-in URL: the provider's error page names AADSTS50011"):
        page.goto(stack.sign_in_url("widget"))
        error = IdpErrorPage(page)
        expect(error.heading).to_be_visible()
        expect(error.code).to_have_text("50011")
    with ctx.step("the browser stays at the provider"):
        assert urlsplit(page.url).netloc == urlsplit(stack.idp.base_url).netloc, page.url
        assert callbacks_received(log, stack) == [], log.documents


@scenario(
    id="failure.user-not-assigned",
    title="A user not assigned to the app ends on the failure page",
    proves="Dave, not assigned to the app, signs in at the provider and lands on the RP's "
    "failure page with AADSTS50105, the contact, a logged reference and an assignment hint",
)
def user_not_assigned(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("dave signs in at the provider"):
        start_and_sign_in(ctx, "dave")
    with ctx.step("the failure page names AADSTS50105"):
        expect_failure(page, stack, idp_code="AADSTS50105", logged_code="idp_error")
        expect(FailurePage(page).admin_hint).to_contain_text("not assigned")


@scenario(
    id="failure.disabled-user",
    title="A disabled account is refused on the provider's sign-in page",
    proves="Carol, whose account is disabled, is refused on the provider's sign-in page with "
    "AADSTS50057 and is never sent back to the RP",
)
def disabled_user(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    log = NavigationLog(page)
    with ctx.step("carol signs in at the provider"):
        start_and_sign_in(ctx, "carol")
    with ctx.step("the sign-in page refuses her with AADSTS50057"):
        sign_in = IdpSignInPage(page)
        expect(sign_in.error).to_contain_text("disabled")
        expect(sign_in.error).to_contain_text("AADSTS50057")
        expect(sign_in.heading).to_be_visible()
        assert callbacks_received(log, stack) == [], log.documents


@scenario(
    id="failure.disabled-after-sign-in",
    title="A user disabled after signing in cannot sign in again",
    proves="After an administrator disables Alice (Graph accountEnabled=false) her provider "
    "session is gone: the next sign-in URL shows the provider's sign-in page, which refuses her "
    "password with AADSTS50057 and never returns to the RP",
)
def disabled_after_sign_in(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("alice signs in"):
        first_login(page, stack, alice, "widget")
    with ctx.step("an administrator disables her account"):
        stack.graph("PATCH", f"users/{alice.upn}", {"accountEnabled": False})
    log = NavigationLog(page)
    with ctx.step("her next sign-in: the provider asks for her password and refuses it"):
        page.goto(stack.sign_in_url("portal"))
        sign_in_at_idp(page, alice)
        sign_in = IdpSignInPage(page)
        expect(sign_in.error).to_contain_text("AADSTS50057")
        expect(sign_in.heading).to_be_visible()
    with ctx.step("the browser never returned to the RP"):
        assert callbacks_received(log, stack) == [], log.documents


@scenario(
    id="failure.user-cancels",
    title="Cancelling on the provider's sign-in page ends on the failure page",
    proves="Cancel on the sign-in page returns access_denied (AADSTS65004) to the RP, which "
    "shows its failure page with a cancelled message, the contact and a logged reference",
)
def user_cancels(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("follow the sign-in URL and press Cancel"):
        page.goto(stack.sign_in_url("widget"))
        sign_in = IdpSignInPage(page)
        expect(sign_in.heading).to_be_visible()
        sign_in.cancel()
    with ctx.step("the failure page says the sign-in was cancelled"):
        reference = expect_failure(page, stack, idp_code="AADSTS65004", logged_code="idp_error")
        expect(FailurePage(page).message).to_contain_text("cancelled")
        assert stack.rp_error(reference)["detail"].startswith("access_denied")


# -- the provider is down or slow ---------------------------------------------------------------


_DOWN = (
    ("idp-down", "the token endpoint drops the connection", "drop", "token", "idp_unreachable"),
    ("idp-down-keys", "the signing-key endpoint (JWKS) is down", "outage", "jwks",
     "jwks_unavailable"),
)


def _idp_down(ctx: Ctx, kind: str, endpoint: str, logged_code: str) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step(f"the provider's {endpoint} endpoint fails ({kind})"):
        stack.arm_fault(kind, endpoint=endpoint, times="until_cleared")
    try:
        with ctx.step("sign in: the failure page says the provider could not be reached"):
            start_and_sign_in(ctx)
            expect_failure(page, stack, logged_code=logged_code)
            expect(FailurePage(page).message).to_contain_text("could not be reached")
    finally:
        stack.clear_faults()


for _name, _what, _kind, _endpoint, _code in _DOWN:
    def _register_down(name: str = _name, what: str = _what, kind: str = _kind,
                       endpoint: str = _endpoint, code: str = _code) -> None:
        @scenario(
            id=f"failure.{name}",
            title=f"The failure page when {what}",
            proves=f"When {what}, the RP shows 'identity provider could not be reached' "
            f"({code}) with the contact and a logged reference",
        )
        def run(ctx: Ctx) -> None:
            _idp_down(ctx, kind, endpoint, code)

    _register_down()


@scenario(
    id="failure.idp-slow",
    title="A provider slower than the RP's read timeout ends on the failure page",
    proves="When the token endpoint hangs past the RP's read timeout, the RP gives up at its "
    "own timeout (not when the provider answers) and shows 'took too long' with the contact "
    "and a logged reference",
)
def idp_slow(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    hang = stack.options.rp_read_timeout + 2
    with ctx.step(f"the token endpoint hangs for {hang:g} s"):
        stack.arm_fault("hang", endpoint="token", seconds=hang)
    try:
        with ctx.step("sign in: the failure page says the provider took too long"):
            page.goto(stack.sign_in_url("widget"))
            sign_in = IdpSignInPage(page)
            expect(sign_in.heading).to_be_visible()
            started = time.monotonic()
            sign_in.sign_in_as(stack.people["alice"].upn, stack.people["alice"].password)
            expect(FailurePage(page).heading).to_be_visible()
            waited = time.monotonic() - started
            expect_failure(page, stack, logged_code="idp_timeout")
            expect(FailurePage(page).message).to_contain_text("took too long")
        with ctx.step("the RP gave up at its read timeout, before the provider answered"):
            assert waited < hang, f"the failure page took {waited:.1f} s (hang {hang:g} s)"
    finally:
        stack.clear_faults()
