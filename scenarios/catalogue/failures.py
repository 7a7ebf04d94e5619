"""Failure pages: every way a sign-in can fail ends on a page that says what to do next.

Where the app sees the failure, the user gets its failure page: the support contact, and (when
the profile says how to find it) an error reference that the app logged. Where the provider
stops the sign-in itself (a redirect URI it does not know, a disabled account), the user sees
the provider's own page and is never sent back to the app. Each failure has a kind (see
``FAILURE_KINDS``); a profile can add checks per kind (texts, what the error log holds).
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from playwright.sync_api import Page, Route, expect

from scenarios import ScenarioContext, scenario
from scenarios.flows import NavigationLog, expect_failure, first_login, sign_in_at_idp
from scenarios.live import LiveStack
from scenarios.pages import IdpErrorPage, IdpSignInPage

Ctx = ScenarioContext[LiveStack]

FAILURE_PAGE = {"customer-sso", "failure-page"}


def _start_and_sign_in(ctx: Ctx, first_name: str = "alice") -> None:
    """Follow the first sign-in URL and sign in at the provider."""
    ctx.page.goto(ctx.env.app.sign_in_url())
    sign_in_at_idp(ctx.page, ctx.env.people[first_name])


def _hold_callback(page: Page, stack: LiveStack) -> list[str]:
    """Let the provider answer the sign-in form but hold its redirect to the app's callback:
    record the callback URL and show an empty page, so the response is not used.

    (Playwright does not route the requests of a redirect chain, so the form post is routed.)"""
    caught: list[str] = []
    callback = stack.app.redirect_uri

    def hold(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)
        location = answer.headers.get("location", "")
        if not location.startswith(callback):
            route.fulfill(response=answer)
            return
        caught.append(location)
        route.fulfill(status=200, content_type="text/html", body="<title>held</title>")

    page.route(stack.idp_url(f"/{stack.tenant_id}/login"), hold)
    return caught


def _with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, value if k == name else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))


# -- client credentials ------------------------------------------------------------------------


@scenario(
    id="failure.expired-secret",
    title="An expired client secret ends on the failure page",
    proves="Once the clock passes the secret's end date the provider refuses the code exchange "
    "with AADSTS7000222, and the app's failure page shows the support contact (and whatever "
    "the profile expects for an expired secret, such as a hint to renew it)",
    needs=FAILURE_PAGE,
)
def expired_secret(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("move the provider's clock a day past the secret's end date"):
        stack.expire_client_secret()
    with ctx.step("sign in: the failure page, AADSTS7000222"):
        _start_and_sign_in(ctx)
        expect_failure(page, stack, "expired-secret", idp_code="AADSTS7000222")


@scenario(
    id="failure.invalid-secret",
    title="A wrong client secret ends on the failure page",
    proves="An app given a wrong secret value gets AADSTS7000215 at the code exchange, and its "
    "failure page shows the support contact",
    needs=FAILURE_PAGE | {"admin-renew-secret"},
)
def invalid_secret(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("an administrator saves a wrong secret in the app"):
        stack.app.renew_secret("not~the.secret.value-" + "x" * 18, stack.secret_end())
    with ctx.step("sign in: the failure page, AADSTS7000215"):
        _start_and_sign_in(ctx)
        expect_failure(page, stack, "invalid-secret", idp_code="AADSTS7000215")


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
        stack.update_app(web={"redirectUris": ["https://elsewhere.example/auth/callback"]})
    log = NavigationLog(page)
    with ctx.step("follow the sign-in URL: the provider's error page names AADSTS50011"):
        page.goto(stack.app.sign_in_url())
        error = IdpErrorPage(page)
        expect(error.heading).to_be_visible()
        expect(error.code).to_have_text("50011")
    with ctx.step("the browser stays at the provider"):
        assert urlsplit(page.url).netloc == urlsplit(stack.idp.base_url).netloc, page.url
        assert log.visited(stack.app.redirect_uri) == [], log.documents


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
        _start_and_sign_in(ctx, "dave")
    with ctx.step("the failure page, AADSTS50105"):
        expect_failure(page, stack, "user-not-assigned", idp_code="AADSTS50105")


@scenario(
    id="failure.disabled-user",
    title="A disabled account is refused on the provider's sign-in page",
    proves="Carol, whose account is disabled, is refused on the provider's sign-in page with "
    "AADSTS50057 and is never sent back to the app",
    needs={"customer-sso"},
)
def disabled_user(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    log = NavigationLog(page)
    with ctx.step("carol signs in at the provider"):
        _start_and_sign_in(ctx, "carol")
    with ctx.step("the sign-in page refuses her with AADSTS50057"):
        sign_in = IdpSignInPage(page)
        expect(sign_in.error).to_contain_text("disabled")
        expect(sign_in.error).to_contain_text("AADSTS50057")
        expect(sign_in.heading).to_be_visible()
        assert log.visited(stack.app.redirect_uri) == [], log.documents


@scenario(
    id="failure.disabled-after-sign-in",
    title="A user disabled after signing in cannot sign in again",
    proves="After an administrator disables Alice (Graph accountEnabled=false) her provider "
    "session is gone: the next sign-in shows the provider's sign-in page, which refuses her "
    "password with AADSTS50057 and never returns to the app",
    needs={"customer-sso"},
)
def disabled_after_sign_in(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("alice signs in"):
        first_login(page, stack, alice)
    with ctx.step("an administrator disables her account"):
        stack.graph("PATCH", f"users/{alice.upn}", {"accountEnabled": False})
    log = NavigationLog(page)
    with ctx.step("her next sign-in: the provider asks for her password and refuses it"):
        stack.app.drop_session(page)
        page.goto(stack.app.sign_in_url())
        sign_in_at_idp(page, alice)
        sign_in = IdpSignInPage(page)
        expect(sign_in.error).to_contain_text("AADSTS50057")
        expect(sign_in.heading).to_be_visible()
    with ctx.step("the browser never returned to the app"):
        assert log.visited(stack.app.redirect_uri) == [], log.documents


@scenario(
    id="failure.user-cancels",
    title="Cancelling on the provider's sign-in page ends on the failure page",
    proves="Cancel on the sign-in page returns access_denied (AADSTS65004) to the app, which "
    "shows its failure page with the support contact",
    needs=FAILURE_PAGE,
)
def user_cancels(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("follow the sign-in URL and press Cancel"):
        page.goto(stack.app.sign_in_url())
        sign_in = IdpSignInPage(page)
        expect(sign_in.heading).to_be_visible()
        sign_in.cancel()
    with ctx.step("the failure page says the sign-in was cancelled"):
        expect_failure(page, stack, "user-cancels", idp_code="AADSTS65004")


# -- the provider is down or slow ---------------------------------------------------------------


_DOWN = (
    ("idp-down", "the token endpoint drops the connection", "drop", "token"),
    ("idp-down-keys", "the signing-key endpoint (JWKS) is down", "outage", "jwks"),
)


def _idp_down(ctx: Ctx, name: str, kind: str, endpoint: str) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step(f"the provider's {endpoint} endpoint fails ({kind})"):
        stack.arm_fault(kind, endpoint=endpoint, times="until_cleared")
    try:
        with ctx.step("sign in: the failure page appears"):
            _start_and_sign_in(ctx)
            expect_failure(page, stack, name)
    finally:
        stack.clear_faults()


for _name, _what, _kind, _endpoint in _DOWN:
    def _register_down(name: str = _name, what: str = _what, kind: str = _kind,
                       endpoint: str = _endpoint) -> None:
        @scenario(
            id=f"failure.{name}",
            title=f"The failure page when {what}",
            proves=f"When {what}, the app shows its failure page with the support contact "
            "(not an error of its framework)",
            needs=FAILURE_PAGE,
        )
        def run(ctx: Ctx) -> None:
            _idp_down(ctx, name, kind, endpoint)

    _register_down()


@scenario(
    id="failure.idp-slow",
    title="A provider slower than the app's timeout ends on the failure page",
    proves="When the token endpoint hangs past the app's own timeout, the app gives up at that "
    "timeout (not when the provider answers) and shows its failure page",
    needs=FAILURE_PAGE | {"provider-timeout"},
)
def idp_slow(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    failure = stack.app.profile.failure
    assert failure is not None and failure.provider_timeout is not None
    hang = failure.provider_timeout + 2
    with ctx.step(f"the token endpoint hangs for {hang:g} s"):
        stack.arm_fault("hang", endpoint="token", seconds=hang)
    try:
        with ctx.step("sign in: the failure page says the provider took too long"):
            page.goto(stack.app.sign_in_url())
            sign_in = IdpSignInPage(page)
            expect(sign_in.heading).to_be_visible()
            started = time.monotonic()
            sign_in.sign_in_as(stack.people["alice"].upn, stack.people["alice"].password)
            expect_failure(page, stack, "idp-slow")
            waited = time.monotonic() - started
        with ctx.step("the app gave up at its timeout, before the provider answered"):
            assert waited < hang, f"the failure page took {waited:.1f} s (hang {hang:g} s)"
    finally:
        stack.clear_faults()


# -- the ID token and UserInfo ------------------------------------------------------------------

_TOKEN_FAULTS = (
    ("bad-signature", "bad_signature", "an ID token whose signature does not verify"),
    ("wrong-issuer", "wrong_iss", "an ID token from another issuer"),
    ("wrong-audience", "wrong_aud", "an ID token issued to another client"),
    ("nonce-mismatch", "wrong_nonce", "an ID token whose nonce is not the one this sign-in sent"),
    ("expired-id-token", "expired", "an ID token that expired an hour ago"),
    ("missing-sub", "missing_sub", "an ID token without a sub claim"),
    ("userinfo-sub-mismatch", "userinfo_sub_mismatch",
     "a UserInfo response about another subject than the ID token"),
)


def _token_fault(ctx: Ctx, name: str, fault: str) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step(f"the provider is set to send a {fault} response once"):
        stack.arm_fault(fault)
    with ctx.step("sign in: the failure page appears and no session is created"):
        _start_and_sign_in(ctx)
        expect_failure(page, stack, name)


for _name, _fault, _what in _TOKEN_FAULTS:
    def _register(name: str = _name, fault: str = _fault, what: str = _what) -> None:
        @scenario(
            id=f"failure.{name}",
            title=f"The app refuses {what}",
            proves=f"Given {what}, the app refuses the sign-in and shows its failure page with "
            "the support contact; nobody is signed in",
            tags={"id-token"},
            needs=FAILURE_PAGE,
        )
        def run(ctx: Ctx) -> None:
            _token_fault(ctx, name, fault)

    _register()


# -- state ---------------------------------------------------------------------------------------


@scenario(
    id="failure.state-tampered",
    title="A callback whose state was altered is refused",
    proves="A genuine code delivered with an altered state is refused: the failure page, and "
    "no session is created",
    needs=FAILURE_PAGE,
)
def state_tampered(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    caught = _hold_callback(page, stack)
    with ctx.step("sign in, holding the provider's redirect to the callback"):
        _start_and_sign_in(ctx)
        expect(page).to_have_title("held")
        assert caught, "the provider did not redirect to the callback"
        page.unroute_all()
    with ctx.step("deliver the callback with one character of state changed"):
        original = dict(parse_qsl(urlsplit(caught[0]).query))["state"]
        altered = original[:-1] + ("A" if original[-1] != "A" else "B")
        page.goto(_with_param(caught[0], "state", altered))
        expect_failure(page, stack, "state-tampered")


@scenario(
    id="failure.state-replayed",
    title="Replaying a used callback URL is refused",
    proves="A callback URL that already signed someone in, opened again in another browser, is "
    "refused as a replay: the failure page, and that browser gets no session",
    needs=FAILURE_PAGE,
)
def state_replayed(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    log = NavigationLog(page)
    with ctx.step("alice signs in; the callback URL is recorded"):
        first_login(page, stack, stack.people["alice"])
        used = log.visited(stack.app.redirect_uri)
        assert len(used) == 1, f"expected one callback, saw {log.documents}"
    with ctx.step("another browser opens the same callback URL"):
        other = ctx.new_context().new_page()
        other.goto(used[0])
    with ctx.step("the replay ends on the failure page", page=other):
        expect_failure(other, stack, "state-replayed")


# -- partner launch and user mapping --------------------------------------------------------------


@scenario(
    id="failure.unknown-installation",
    title="A launch for an unknown installation ends on the failure page",
    proves="The standalone URL with an installation id the app never received shows the "
    "failure page with the support contact, without contacting the provider",
    needs={"partner", "failure-page"},
)
def unknown_installation(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    log = NavigationLog(page)
    with ctx.step("open the launch URL with an unknown installation id"):
        page.goto(stack.app.launch_url("0" * 32, stack.user_id("alice")))
    with ctx.step("the failure page shows the support contact"):
        expect_failure(page, stack, "unknown-installation")
        assert log.pages_shown_from(stack.idp.base_url) == [], "the provider was contacted"


@scenario(
    id="failure.duplicate-email",
    title="A second identity with an e-mail already in use is refused",
    proves="Alice signs in through one connection; signing in through a second app registration "
    "(another pairwise sub, same e-mail) is refused with the second connection's contact",
    needs=FAILURE_PAGE | {"multi-connection"},
)
def duplicate_email(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("register a second app and configure a second connection to it"):
        created = stack.graph("POST", "applications", {
            "displayName": "Second relying party",
            "web": {"redirectUris": [stack.app.redirect_uri]},
        })
        second_id = str(created["appId"])
        secret = stack.add_secret(client_id=second_id)
        contact = "second-desk@contoso.example"
        second = stack.app.add_connection(client_id=second_id, client_secret=secret,
                                          support_contact=contact)
    with ctx.step("alice signs in through the first connection"):
        first_login(page, stack, alice)
    with ctx.step("in a new browser, alice signs in through the second connection"):
        other = ctx.new_context().new_page()
        other.goto(second.sign_in_url())
        sign_in_at_idp(other, alice)
    with ctx.step("the app refuses the second identity", page=other):
        second.expect_failure(other, "duplicate-email", contact=contact)
