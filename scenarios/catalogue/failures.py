"""Failure pages: every way a sign-in can fail ends on a page that says what to do next.

Where the app sees the failure, the user gets its failure page: the support contact, and (when
the profile says how to find it) an error reference that the app logged. Where the provider
stops the sign-in itself (a redirect URI it does not know, a disabled account), the user sees
the provider's own page and is never sent back to the app. Each failure has a kind (see
``FAILURE_KINDS``); a profile can add checks per kind (texts, what the error log holds).

This module holds the failures the provider causes or decides (client credentials, a sign-in it
stops); :mod:`scenarios.catalogue.failures_outage` a provider that is down or slow;
:mod:`scenarios.catalogue.failures_token` the ID tokens and UserInfo answers the app must
refuse, :mod:`scenarios.catalogue.failures_state` the states, and
:mod:`scenarios.catalogue.failures_refused` partner launches and a duplicate e-mail;
:mod:`scenarios.catalogue.partner_licences` a platform user without the app's licence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import Page, expect

from mock_idp.testing import path_segment
from scenarios import ScenarioContext, scenario
from scenarios.catalogue.plain_after import expect_plain_sign_in_after
from scenarios.context import NotExercised
from scenarios.drivers import EntraDriver
from scenarios.flows import (
    NavigationLog,
    expect_failure,
    expect_signed_out,
    first_login,
    first_login_at_company,
    follow_signed_in_at_company,
    page_shows,
    sign_in_at_idp,
    sign_in_at_provider,
    up_to_stay_signed_in,
)
from scenarios.goto import open_sign_in
from scenarios.live import LiveStack
from scenarios.pages import (
    IdpConsentPage,
    IdpErrorPage,
    IdpNeedAdminPage,
    IdpStaySignedInPage,
    IdpUsernamePage,
)
from scenarios.protocol_view.names import is_authorize
from scenarios.refusals import any_organization_note

Ctx = ScenarioContext[LiveStack]

FAILURE_PAGE = {"customer-sso", "failure-page"}


def start_and_sign_in(ctx: Ctx, first_name: str = "alice") -> None:
    """Follow the first sign-in URL and sign in at the provider."""
    open_sign_in(ctx.page, ctx.env, ctx.env.app.sign_in_url())
    sign_in_at_provider(ctx.page, ctx.env, ctx.env.people[first_name])


def start_signed_in_at_company(ctx: Ctx, first_name: str = "alice") -> None:
    """Alice (by default) is signed in at her company already; she follows the first sign-in
    URL, and the provider answers the app without a page. For the failures the app meets
    after the provider has answered it: how she signed in at the provider does not change
    what the app receives (the sign-in pages have scenarios of their own)."""
    follow_signed_in_at_company(ctx.page, ctx.env, ctx.env.people[first_name])


def expect_failure_if_reached(ctx: Ctx, name: str, *,
                              unreached: Callable[[], str | None]) -> None:
    """The app's failure page for ``name``; but when the app signed the user in without
    reaching what the scenario checks (``unreached()`` says why: it never made the request the
    fault spoils, or asked for nothing the fault could spoil; ``None`` when it reached it), the
    scenario proves nothing either way: :class:`NotExercised`, as conformance skips such a
    row. An app that refused the sign-in anyway is still held to its failure page."""
    try:
        expect_failure(ctx.page, ctx.env, name)
    except AssertionError:
        if (why := unreached()) is not None and ctx.env.app.seen_signed_in(ctx.page):
            raise NotExercised(why) from None
        raise


def response_types_asked(stack: LiveStack) -> set[str]:
    """The ``response_type`` of every authorize request the app sent the browser to (as the
    provider's request log has them), each with its values in order."""
    asked = set()
    for request in stack.provider_requests():
        if not is_authorize(request["path"]):
            continue
        params = dict(parse_qsl(request.get("query") or ""))
        if params.get("client_id") == stack.client_id:
            asked.add(" ".join(sorted(params.get("response_type", "").split())))
    return asked


def expect_token_request_failure(ctx: Ctx, name: str, *, unused: str,
                                 idp_code: str | None = None) -> None:
    """The app's failure page for ``name``, a failure of its code exchange (``idp_code``, the
    token endpoint's error); but an app whose authorize requests asked for no code (an ID
    token alone, ``response_type=id_token``) makes no token request, so ``unused`` plays no
    part in its sign-in and the scenario proves nothing either way: :class:`NotExercised`,
    whatever it showed (a provider clock moved ahead for the fault is one it need not
    accept). That holds for an app that showed its failure page too: it refused something
    else (passport-azure-ad refuses an ID token whose nbf is over five minutes in its future),
    not the code exchange the scenario is about."""
    try:
        expect_failure(ctx.page, ctx.env, name, idp_code=idp_code)
    except AssertionError:
        if (why := _no_code_asked(ctx.env, unused)) is not None:
            raise NotExercised(why) from None
        raise
    if (why := _no_code_asked(ctx.env, unused)) is not None:
        raise NotExercised(why)


def _no_code_asked(stack: LiveStack, unused: str) -> str | None:
    """Why the code exchange played no part in the app's sign-in (its authorize requests
    asked for no code), or ``None`` when one of them asked for a code."""
    asked = response_types_asked(stack)
    if not asked or any("code" in kind.split() for kind in asked):
        return None
    kinds = " or ".join(f"response_type={kind or '(none)'}" for kind in sorted(asked))
    return (f"the app asks for no code ({kinds}), so it never calls the token endpoint and "
            f"{unused} plays no part in its sign-in")


def expect_provider_error(page: Page, code: str) -> None:
    """The provider's error page, naming ``AADSTS<code>``; else a failure saying what the
    browser shows instead (an app that never sent it to the provider, say)."""
    error = IdpErrorPage(page)
    try:
        expect(error.heading).to_be_visible()
    except AssertionError as exc:
        raise AssertionError(f"the provider's error page (AADSTS{code}) did not appear: "
                             f"{page_shows(page)}") from exc
    expect(error.code, f"the provider's error page does not name AADSTS{code}").to_have_text(
        code)


def up_to_stay_signed_in_first(ctx: Ctx, first_name: str = "alice") -> IdpStaySignedInPage:
    """Follow the first sign-in URL and answer the username and password pages; the last page,
    "Stay signed in?", is left to the caller."""
    person = ctx.env.people[first_name]
    open_sign_in(ctx.page, ctx.env, ctx.env.app.sign_in_url())
    return up_to_stay_signed_in(ctx.page, person.upn, person.password)


# -- client credentials ------------------------------------------------------------------------


@scenario(
    id="failure.expired-secret",
    title="An expired client secret ends on the failure page",
    proves="Once the clock passes the secret's end date the provider refuses the code exchange "
    "with AADSTS7000222, and the app's failure page shows the support contact (and whatever "
    "the profile expects for an expired secret, such as a hint to renew it)",
    needs=FAILURE_PAGE | {"client-secret"},
)
def expired_secret(ctx: Ctx) -> None:
    stack = ctx.env
    with ctx.step("move the provider's clock a day past the secret's end date"):
        stack.expire_client_secret()
    with ctx.step("follow the sign-in URL, signed in at the company: the failure page, "
                  "AADSTS7000222"):
        start_signed_in_at_company(ctx)
        expect_token_request_failure(ctx, "expired-secret", idp_code="AADSTS7000222",
                                     unused="its client secret")


@scenario(
    id="failure.invalid-secret",
    title="A wrong client secret ends on the failure page",
    proves="An app given a wrong secret value gets AADSTS7000215 at the code exchange, and its "
    "failure page shows the support contact",
    needs=FAILURE_PAGE | {"admin-renew-secret"},
)
def invalid_secret(ctx: Ctx) -> None:
    stack = ctx.env
    with ctx.step("an administrator saves a wrong secret in the app"):
        stack.app.renew_secret("not~the.secret.value-" + "x" * 18, stack.secret_end())
    with ctx.step("follow the sign-in URL, signed in at the company: the failure page, "
                  "AADSTS7000215"):
        start_signed_in_at_company(ctx)
        expect_token_request_failure(ctx, "invalid-secret", idp_code="AADSTS7000215",
                                     unused="its client secret")


# -- the provider stops the sign-in -------------------------------------------------------------


@scenario(
    id="failure.redirect-uri-mismatch",
    title="An unregistered redirect URI stops at the provider's own error page",
    proves="When the app registration no longer lists the app's callback, the provider shows "
    "its 'trouble signing you in' page with AADSTS50011 and never redirects back to the app",
    needs={"customer-sso"},
)
def redirect_uri_mismatch(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("the app registration's redirect URIs are changed to another site"):
        stack.update_app(web={"redirectUris": ["https://elsewhere.example/auth/callback"]},
                         spa={"redirectUris": []})
    log = NavigationLog(page)
    with ctx.step("follow the sign-in URL: the provider's error page names AADSTS50011"):
        open_sign_in(page, stack, stack.app.sign_in_url())
        expect_provider_error(page, "50011")
    with ctx.step("the browser stays at the provider"):
        assert urlsplit(page.url).netloc == urlsplit(stack.idp.base_url).netloc, page.url
        log.expect_no_return(stack.idp.base_url, stack.app.redirect_uri)


@scenario(
    id="failure.app-disabled",
    title="An app disabled in the tenant stops at the provider's error page until enabled",
    proves="With the enterprise application's sign-in turned off by the customer's "
    "administrator, the provider shows its error page with AADSTS7000112 and never returns to "
    "the app; turned on again, the app signs in",
    needs={"customer-sso"},
)
def app_disabled(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("the customer's administrator disables the app in the tenant"):
        stack.set_app_enabled(False)
    log = NavigationLog(page)
    with ctx.step("follow the sign-in URL: the provider's error page names AADSTS7000112"):
        open_sign_in(page, stack, stack.app.sign_in_url())
        expect_provider_error(page, "7000112")
        log.expect_no_return(stack.idp.base_url, stack.app.redirect_uri)
    with ctx.step("the administrator enables it again: alice signs in"):
        stack.set_app_enabled(True)
        first_login(page, stack, stack.people["alice"])


@scenario(
    id="failure.other-organization",
    title="A user of another organization does not get into the customer's app",
    proves="Zed, whose company has a tenant of its own, signs in at the provider with his "
    "password and the app never signs him in: the provider refuses him (AADSTS50020 for the "
    "customer's tenant, 50194 for a single-tenant app on /common) or the app does, on its "
    "failure page. An app on /organizations that takes every organization's users fails",
    needs=FAILURE_PAGE,
)
def other_organization(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("another company, Fabrikam, has a tenant of its own with its user zed"):
        zed = stack.add_other_organization()
    with ctx.step("zed follows the sign-in URL and signs in at the provider"):
        open_sign_in(page, stack, stack.app.sign_in_url())
        sign_in_at_provider(page, stack, zed)  # consents if asked
    with ctx.step("zed is not signed in to the app"):
        zed_signed_out(page, stack)
    with ctx.step("the provider's error page, or the app's failure page"):
        if urlsplit(page.url).netloc == urlsplit(stack.idp.base_url).netloc:
            error = IdpErrorPage(page)
            expect(error.heading).to_be_visible()
            expect(error.code).to_have_text(re.compile(r"^(50020|50194)$"))
            return
        expect_failure(page, stack)
    # The app's own refusal counts only from an app that signs its own people in: next-auth
    # v4 on /common refuses every sign-in (openid-client compares the ID token's iss with the
    # discovery document's literal "{tenantid}" issuer), zed's too. zed's session at the
    # provider goes first, else its account picker would stand between alice and the app.
    page.context.clear_cookies()
    expect_plain_sign_in_after(ctx)


def zed_signed_out(page: Page, stack: LiveStack) -> None:
    """The app does not show zed signed in, else fails saying why an app on ``/common`` or
    ``/organizations`` may let him in: the provider's log is read for that failure alone."""
    why = ": a user of another organization got in"
    try:
        expect_signed_out(page, stack, why=why)
    except AssertionError as exc:
        note = any_organization_note(stack.provider_requests())
        if not note:
            raise
        raise AssertionError(str(exc).replace(why, why + note, 1)) from exc


@scenario(
    id="failure.user-not-assigned",
    title="A user not assigned to the app ends on the failure page",
    proves="Dave, not assigned to the app, signs in at the provider and lands on the app's "
    "failure page: the provider sent AADSTS50105 back to the app",
    needs=FAILURE_PAGE,
)
def user_not_assigned(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("dave signs in at the provider"):
        start_and_sign_in(ctx, "dave")
    with ctx.step("the failure page, AADSTS50105"):
        expect_failure(page, stack, "user-not-assigned", idp_code="AADSTS50105")


@scenario(
    id="failure.disabled-user",
    title="A disabled account is refused at the provider",
    proves="Carol, whose account is disabled, enters her password and gets the provider's "
    "error page with AADSTS50057 (the message in #service_exception_message), never the app",
    needs={"customer-sso"},
)
def disabled_user(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    log = NavigationLog(page)
    with ctx.step("carol signs in at the provider"):
        start_and_sign_in(ctx, "carol")
    with ctx.step("the provider's error page refuses her with AADSTS50057"):
        _expect_disabled(page)
        log.expect_no_return(stack.idp.base_url, stack.app.redirect_uri)


def _expect_disabled(page: Page) -> None:
    error = IdpErrorPage(page)
    expect(error.heading).to_be_visible()
    expect(error.message).to_contain_text("AADSTS50057")
    expect(error.message).to_contain_text("disabled")
    expect(error.code).to_have_text("50057")


@scenario(
    id="failure.disabled-after-sign-in",
    title="A user disabled after signing in cannot sign in again",
    proves="After an administrator disables Alice (Graph accountEnabled=false) her provider "
    "session is gone: the next sign-in asks for her username and password, which end on the "
    "provider's error page with AADSTS50057, never back at the app",
    needs={"customer-sso"},
)
def disabled_after_sign_in(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("alice, signed in at her company, signs in to the app"):
        first_login_at_company(page, stack, alice)
    with ctx.step("an administrator disables her account"):
        stack.graph("PATCH", f"users/{path_segment(alice.upn)}", {"accountEnabled": False})
    log = NavigationLog(page)
    with ctx.step("her next sign-in: the provider asks for her password and refuses it"):
        stack.app.drop_session(page)
        open_sign_in(page, stack, stack.app.sign_in_url())
        expect(IdpUsernamePage(page).heading).to_be_visible()
        sign_in_at_idp(page, alice)
        _expect_disabled(page)
    with ctx.step("the browser never returned to the app"):
        log.expect_no_return(stack.idp.base_url, stack.app.redirect_uri)


@scenario(
    id="failure.user-cancels",
    title="Cancelling consent at the provider ends on the failure page",
    proves="For an app the user has not consented to, the provider asks 'Permissions "
    "requested' after the password; Cancel returns access_denied (AADSTS65004) to the app, "
    "which shows its failure page with the support contact",
    needs=FAILURE_PAGE,
)
def user_cancels(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("an administrator removes the app's consent (Graph oauth2PermissionGrants) "
                  "and lets every user in, so that users consent for themselves"):
        assert stack.revoke_consent(), "the app had no consent grant to remove"
        stack.set_assignment_required(False)
    with ctx.step("follow the sign-in URL and sign in: the provider asks for consent"):
        open_sign_in(page, stack, stack.app.sign_in_url())
        sign_in_at_provider(page, stack, stack.people["alice"], EntraDriver(accept_consent=False))
        consent = IdpConsentPage(page)
        expect(consent.heading).to_be_visible()
    with ctx.step("press Cancel"):
        consent.cancel.click()
    with ctx.step("the failure page says the sign-in was cancelled"):
        expect_failure(page, stack, "user-cancels", idp_code="AADSTS65004")


@scenario(
    id="failure.needs-admin-approval",
    title="A user whose company blocks user consent gets back to the failure page",
    proves="In a tenant where users may not consent to apps (the user consent setting many "
    "companies choose), a user the app has no consent for gets the provider's 'Need admin "
    "approval' (AADSTS90094); 'Return to the application without granting consent' sends "
    "access_denied (AADSTS65004) to the app, which shows its failure page with the support "
    "contact, not an error of its own",
    needs=FAILURE_PAGE,
)
def needs_admin_approval(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("the company blocks user consent; the app has no consent yet"):
        stack.block_user_consent()
        assert stack.revoke_consent(), "the app had no consent grant to remove"
    with ctx.step("alice signs in: the provider says an administrator must approve the app"):
        open_sign_in(page, stack, stack.app.sign_in_url())
        sign_in_at_provider(page, stack, stack.people["alice"], EntraDriver(accept_consent=False))
        approval = IdpNeedAdminPage(page)
        expect(approval.heading).to_be_visible()
        expect(approval.code).to_have_text("90094")
    with ctx.step("return to the application without granting consent"):
        approval.return_to_app.click()
    with ctx.step("the failure page says the sign-in was cancelled"):
        expect_failure(page, stack, "user-cancels", idp_code="AADSTS65004")
