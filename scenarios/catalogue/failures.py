"""Failure pages: every way a sign-in can fail ends on a page that says what to do next.

Where the relying party sees the failure, the user gets its one failure page: a plain message,
the support contact of the connection (or of the partner app) and an error reference that an
administrator finds in the admin error log. Where the provider stops the sign-in itself (a
redirect URI it does not know, a disabled account), the user sees the provider's own page and
is never sent back to the relying party.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from playwright.sync_api import Page, Route, expect

from scenarios import ScenarioContext, scenario
from scenarios.drivers import EntraDriver
from scenarios.flows import (
    NavigationLog,
    expect_failure,
    first_login,
    sign_in_at_idp,
    up_to_stay_signed_in,
)
from scenarios.live import LiveStack
from scenarios.pages import (
    FailurePage,
    IdpConsentPage,
    IdpErrorPage,
    IdpStaySignedInPage,
    IdpUsernamePage,
)

Ctx = ScenarioContext[LiveStack]

CALLBACK_PATH = "/auth/callback"
SSO_MISCONFIGURED = "Single sign-on is not set up correctly"


def _start_and_sign_in(ctx: Ctx, first_name: str = "alice") -> None:
    """Follow the widget sign-in URL and sign in at the provider."""
    stack = ctx.env
    ctx.page.goto(stack.sign_in_url("widget"))
    sign_in_at_idp(ctx.page, stack.people[first_name])


def _up_to_stay_signed_in(ctx: Ctx, first_name: str = "alice") -> IdpStaySignedInPage:
    """Follow the widget sign-in URL and answer the username and password pages; the last
    page, "Stay signed in?", is left to the caller."""
    person = ctx.env.people[first_name]
    ctx.page.goto(ctx.env.sign_in_url("widget"))
    return up_to_stay_signed_in(ctx.page, person.upn, person.password)


def _callbacks(log: NavigationLog, stack: LiveStack) -> list[str]:
    """Relying-party callback documents the browser received."""
    return [url for url, _ in log.documents
            if url.startswith(stack.rp_url(CALLBACK_PATH))]


def _rp_settings_contact(stack: LiveStack, name: str) -> str:
    return str(getattr(stack.rp_app.state.rp.settings, name))


def _hold_callback(page: Page, stack: LiveStack) -> list[str]:
    """Let the provider answer its sign-in forms but hold its redirect to the relying party's
    callback: record the callback URL and show an empty page, so the response is not used.

    (Playwright does not route the requests of a redirect chain, so the provider's form posts
    are routed: the last one, "Stay signed in?", is answered with the redirect.)"""
    caught: list[str] = []

    def hold(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)
        location = answer.headers.get("location", "")
        if not location.startswith(stack.rp_url(CALLBACK_PATH)):
            route.fulfill(response=answer)
            return
        caught.append(location)
        route.fulfill(status=200, content_type="text/html", body="<title>held</title>")

    page.route(stack.idp_url("/**"), hold)
    return caught


def _with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, value if k == name else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))


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
        _start_and_sign_in(ctx)
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
        _start_and_sign_in(ctx)
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
        assert _callbacks(log, stack) == [], log.documents


@scenario(
    id="failure.user-not-assigned",
    title="A user not assigned to the app ends on the failure page",
    proves="Dave, not assigned to the app, signs in at the provider and lands on the RP's "
    "failure page with AADSTS50105, the contact, a logged reference and an assignment hint",
)
def user_not_assigned(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("dave signs in at the provider"):
        _start_and_sign_in(ctx, "dave")
    with ctx.step("the failure page names AADSTS50105"):
        expect_failure(page, stack, idp_code="AADSTS50105", logged_code="idp_error")
        expect(FailurePage(page).admin_hint).to_contain_text("not assigned")


@scenario(
    id="failure.disabled-user",
    title="A disabled account is refused at the provider",
    proves="Carol, whose account is disabled, enters her password and gets the provider's "
    "error page with AADSTS50057 (the message in #service_exception_message), never the RP",
)
def disabled_user(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    log = NavigationLog(page)
    with ctx.step("carol signs in at the provider"):
        _start_and_sign_in(ctx, "carol")
    with ctx.step("the provider's error page refuses her with AADSTS50057"):
        _expect_disabled(page)
        assert _callbacks(log, stack) == [], log.documents


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
    "session is gone: the next sign-in URL asks for her username and password, which end on "
    "the provider's error page with AADSTS50057, never back at the RP",
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
        expect(IdpUsernamePage(page).heading).to_be_visible()
        sign_in_at_idp(page, alice)
        _expect_disabled(page)
    with ctx.step("the browser never returned to the RP"):
        assert _callbacks(log, stack) == [], log.documents


@scenario(
    id="failure.user-cancels",
    title="Cancelling consent at the provider ends on the failure page",
    proves="For an app the user has not consented to, the provider asks 'Permissions "
    "requested' after the password; Cancel returns access_denied (AADSTS65004) to the RP, which "
    "shows its failure page with a cancelled message, the contact and a logged reference",
)
def user_cancels(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("an administrator removes the app's consent (Graph oauth2PermissionGrants)"):
        assert stack.revoke_consent(), "the app had no consent grant to remove"
    with ctx.step("follow the sign-in URL and sign in: the provider asks for consent"):
        page.goto(stack.sign_in_url("widget"))
        sign_in_at_idp(page, stack.people["alice"], EntraDriver(accept_consent=False))
        consent = IdpConsentPage(page)
        expect(consent.heading).to_be_visible()
    with ctx.step("press Cancel"):
        consent.cancel.click()
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
            _start_and_sign_in(ctx)
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
            kmsi = _up_to_stay_signed_in(ctx)
            started = time.monotonic()
            kmsi.answer(stay=False)
            expect(FailurePage(page).heading).to_be_visible()
            waited = time.monotonic() - started
            expect_failure(page, stack, logged_code="idp_timeout")
            expect(FailurePage(page).message).to_contain_text("took too long")
        with ctx.step("the RP gave up at its read timeout, before the provider answered"):
            assert waited < hang, f"the failure page took {waited:.1f} s (hang {hang:g} s)"
    finally:
        stack.clear_faults()


# -- the ID token and UserInfo ------------------------------------------------------------------

_TOKEN_FAULTS = (
    ("bad-signature", "bad_signature", "id_token_bad_signature",
     "an ID token whose signature does not verify"),
    ("wrong-issuer", "wrong_iss", "id_token_wrong_issuer",
     "an ID token from another issuer"),
    ("wrong-audience", "wrong_aud", "id_token_wrong_audience",
     "an ID token issued to another client"),
    ("nonce-mismatch", "wrong_nonce", "nonce_mismatch",
     "an ID token whose nonce is not the one this sign-in sent"),
    ("expired-id-token", "expired", "id_token_expired",
     "an ID token that expired an hour ago"),
    ("missing-sub", "missing_sub", "id_token_sub_missing",
     "an ID token without a sub claim"),
    ("userinfo-sub-mismatch", "userinfo_sub_mismatch", "userinfo_sub_mismatch",
     "a UserInfo response about another subject than the ID token"),
)


def _token_fault(ctx: Ctx, kind: str, logged_code: str) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step(f"the provider is set to send a {kind} response once"):
        stack.arm_fault(kind)
    with ctx.step("sign in: the failure page appears and no session is created"):
        _start_and_sign_in(ctx)
        expect_failure(page, stack, logged_code=logged_code)


for _name, _kind, _code, _what in _TOKEN_FAULTS:
    def _register(name: str = _name, kind: str = _kind, code: str = _code,
                  what: str = _what) -> None:
        @scenario(
            id=f"failure.{name}",
            title=f"The RP refuses {what}",
            proves=f"Given {what}, the RP refuses the sign-in ({code}) and shows its failure "
            "page with the contact and a reference found in the admin error log",
            tags={"id-token"},
        )
        def run(ctx: Ctx) -> None:
            _token_fault(ctx, kind, code)

    _register()


# -- state ---------------------------------------------------------------------------------------


@scenario(
    id="failure.state-tampered",
    title="A callback whose state was altered is refused",
    proves="A genuine code delivered with an altered state is refused (state_unknown): the "
    "failure page shows the default contact and a logged reference, and no session is created",
)
def state_tampered(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    caught = _hold_callback(page, stack)
    with ctx.step("sign in, holding the provider's redirect to the callback"):
        _up_to_stay_signed_in(ctx).answer(stay=False)
        expect(page).to_have_title("held")
        assert caught, "the provider did not redirect to the callback"
        page.unroute_all()
    with ctx.step("deliver the callback with one character of state changed"):
        original = dict(parse_qsl(urlsplit(caught[0]).query))["state"]
        altered = original[:-1] + ("A" if original[-1] != "A" else "B")
        page.goto(_with_param(caught[0], "state", altered))
        expect_failure(page, stack, logged_code="state_unknown",
                       contact=_rp_settings_contact(stack, "default_support_contact"))


@scenario(
    id="failure.state-replayed",
    title="Replaying a used callback URL is refused",
    proves="A callback URL that already signed someone in, opened again in another browser, is "
    "refused as a replay: failure page with the connection's contact and a logged reference, "
    "and that browser gets no session",
)
def state_replayed(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    log = NavigationLog(page)
    with ctx.step("alice signs in; the callback URL is recorded"):
        first_login(page, stack, stack.people["alice"], "widget")
        used = _callbacks(log, stack)
        assert len(used) == 1, f"expected one callback, saw {log.documents}"
    with ctx.step("another browser opens the same callback URL"):
        other = ctx.new_context().new_page()
        other.goto(used[0])
    with ctx.step("the replay ends on the failure page", page=other):
        reference = expect_failure(other, stack, logged_code="state_unknown")
        assert "replay" in stack.rp_error(reference)["detail"]


# -- partner launch and user mapping --------------------------------------------------------------


@scenario(
    id="failure.unknown-installation",
    title="A launch for an unknown installation ends on the failure page",
    proves="The standalone URL with an installation id the RP never received shows the failure "
    "page with the partner app's support contact and a logged reference",
)
def unknown_installation(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    log = NavigationLog(page)
    with ctx.step("open the launch URL with an unknown installation id"):
        page.goto(stack.launch_url("0" * 32, stack.user_id("alice")))
    with ctx.step("the failure page shows the partner contact"):
        expect_failure(page, stack, logged_code="unknown_installation",
                       contact=_rp_settings_contact(stack, "partner_support_contact"))
        assert log.pages_shown_from(stack.idp.base_url) == [], "the provider was contacted"


@scenario(
    id="failure.duplicate-email",
    title="A second identity with an e-mail already in use is refused",
    proves="Alice signs in through one connection; signing in through a second app registration "
    "(another pairwise sub, same e-mail) is refused (duplicate_email) with the second "
    "connection's contact and a logged reference",
)
def duplicate_email(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("register a second app and a second connection to it"):
        reference_app = stack.graph("GET", f"applications(appId='{stack.client_id}')")
        created = stack.graph("POST", "applications", {
            "displayName": "Second relying party",
            "web": {"redirectUris": reference_app["web"]["redirectUris"]},
        })
        second_id = str(created["appId"])
        secret = stack.add_secret(client_id=second_id)
        contact = "second-desk@contoso.example"
        second = stack.create_connection(name="Contoso (second app)", client_id=second_id,
                                         client_secret=secret, support_contact=contact)
    with ctx.step("alice signs in through the first connection"):
        first_login(page, stack, alice, "widget")
    with ctx.step("in a new browser, alice signs in through the second connection"):
        other = ctx.new_context().new_page()
        other.goto(stack.sign_in_url("widget", connection_id=str(second["id"])))
        sign_in_at_idp(other, alice)
    with ctx.step("the RP refuses the second identity", page=other):
        expect_failure(other, stack, logged_code="duplicate_email", contact=contact)
