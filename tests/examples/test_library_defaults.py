"""What each example app does, by its library's defaults, in the situations the scenario
catalogue stages: token-endpoint errors, tampered ID tokens, a provider that is down, a
tampered ``state``, a sign-out at the provider.

The expected outcome of every row is written down here as observed, including the ones a
careful relying party would not accept (a tampered ID token that signs in, a framework 500
page): these tests pin the libraries' behaviour so that a change in it shows up.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

import pytest
from example_apps import (
    FLASK_AUTHLIB,
    FLASK_IDENTITY,
    PASSPORT_OPENIDCONNECT,
    ExampleApp,
    ExampleStack,
)
from example_browser import (
    ALICE,
    ALICE_PASSWORD,
    Landing,
    Navigations,
    landing,
    provider_driver,
    sign_in,
    sign_in_unanswered,
)
from playwright.sync_api import BrowserContext, Page, Route, expect

from scenarios.drivers import EntraDriver
from scenarios.flows import up_to_stay_signed_in

# Each example app is a process of its own (Flask, Node), signed into through a browser: make
# test-slow runs these.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

FLASK_500 = "Internal Server Error"
"""Flask's default error page."""
IDENTITY_FAILURE = "Login Failure"
"""The ``identity`` package's own error page (auth_error.html), served with HTTP 200."""


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """Where the browser ends: signed in or not, the HTTP status of the page it shows, texts
    on that page (and texts that must not be there)."""

    signed_in: bool
    status: int
    """0: the app never answers its callback."""
    shows: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()

    def check(self, result: Landing) -> None:
        assert (result.signed_in, result.status) == (self.signed_in, self.status), result
        for text in self.shows:
            assert text in result.text, f"{text!r} not on the page: {result}"
        for text in self.lacks:
            assert text not in result.text, f"{text!r} on the page: {result}"


SIGNED_IN = Verdict(signed_in=True, status=200, shows=("Signed in as Alice Adams",))
FORBIDDEN = Verdict(signed_in=False, status=403, shows=("Forbidden",))
"""Passport's answer when a check fails (``fail(..., 403)``): a plain-text status line."""
FLASK_ERROR = Verdict(signed_in=False, status=500, shows=(FLASK_500,))


@dataclass(frozen=True)
class Situation:
    id: str
    fault: dict[str, object]
    """A fault armed on the provider once before alice signs in."""
    flask_identity: Verdict
    flask_authlib: Verdict
    passport: Verdict

    def verdict(self, app: ExampleApp) -> Verdict:
        return {FLASK_IDENTITY.name: self.flask_identity, FLASK_AUTHLIB.name: self.flask_authlib,
                PASSPORT_OPENIDCONNECT.name: self.passport}[app.name]


# Authlib raises on every failure, and Flask turns each into its plain 500 page.
SITUATIONS = (
    Situation("user-cancels", {"kind": "error", "endpoint": "signin", "code": 65004},
              Verdict(signed_in=False, status=200,
                      shows=(IDENTITY_FAILURE, "access_denied", "AADSTS65004")),
              FLASK_ERROR,
              Verdict(signed_in=False, status=401, shows=("Unauthorized",))),
    # The ``oauth`` package under passport-openidconnect waits for the end of a response that
    # never comes, with no timeout: the browser waits until it gives up.
    Situation("idp-down", {"kind": "drop", "endpoint": "token"},
              FLASK_ERROR, FLASK_ERROR, Verdict(signed_in=False, status=0)),
    Situation("bad-signature", {"kind": "bad_signature"}, SIGNED_IN, FLASK_ERROR, SIGNED_IN),
    Situation("alg-none", {"kind": "alg_none"}, SIGNED_IN, FLASK_ERROR, SIGNED_IN),
    Situation("unknown-key", {"kind": "unknown_key"}, SIGNED_IN, FLASK_ERROR, SIGNED_IN),
    Situation("key-rotated", {"kind": "key_rotated"}, SIGNED_IN, SIGNED_IN, SIGNED_IN),
    Situation("wrong-issuer", {"kind": "wrong_iss"}, SIGNED_IN, FLASK_ERROR, FORBIDDEN),
    Situation("wrong-audience", {"kind": "wrong_aud"}, SIGNED_IN, FLASK_ERROR, FORBIDDEN),
    Situation("expired-id-token", {"kind": "expired"}, SIGNED_IN, FLASK_ERROR, FORBIDDEN),
    Situation("missing-sub", {"kind": "missing_sub"}, SIGNED_IN, FLASK_ERROR,
              Verdict(signed_in=False, status=500, shows=("ID token missing subject claim",))),
    # passport-openidconnect sends no nonce unless told to, so it has none to compare.
    Situation("nonce-mismatch", {"kind": "wrong_nonce"}, FLASK_ERROR, FLASK_ERROR, SIGNED_IN),
)


@pytest.mark.parametrize("situation", SITUATIONS, ids=[s.id for s in SITUATIONS])
def test_default_outcome(situation: Situation, example: ExampleStack,
                         example_page: Page) -> None:
    example.arm_fault(**situation.fault)  # type: ignore[arg-type]
    verdict = situation.verdict(example.example)
    if verdict.status == 0:
        assert sign_in_unanswered(example_page, example), "the app answered its callback"
        assert example_page.request.get(example.url(example.example.me)).status == 401
        return
    verdict.check(sign_in(example_page, example))


def test_who_fetches_the_signing_keys(example: ExampleStack, example_page: Page) -> None:
    """MSAL and passport-openidconnect never check an ID token's signature (it comes straight
    from the token endpoint over TLS, which OpenID Connect Core 3.1.3.7 (6) allows), so they
    never ask for the keys; Authlib does."""
    assert sign_in(example_page, example).signed_in
    paths = [r["path"] for r in example.idp.http.get("/_mock/requests").json()["requests"]]
    fetched = any(p.endswith("/discovery/v2.0/keys") for p in paths)
    assert fetched == (example.example is FLASK_AUTHLIB), paths


def test_who_sends_a_nonce_and_pkce(example: ExampleStack, example_page: Page) -> None:
    """What each library's authorization request carries, as the provider logged it: identity
    (MSAL) sends a nonce and a PKCE code_challenge, Authlib a nonce only, passport-openidconnect
    neither (so it has no nonce to compare an ID token's with)."""
    assert sign_in(example_page, example).signed_in
    requests = example.idp.http.get("/_mock/requests").json()["requests"]
    sent = [set(parse_qs(r["query"])) for r in requests
            if r["path"].endswith("/oauth2/v2.0/authorize") and "client_id=" in r["query"]]
    assert sent, requests
    expected = {FLASK_IDENTITY.name: (True, True), FLASK_AUTHLIB.name: (True, False),
                PASSPORT_OPENIDCONNECT.name: (False, False)}[example.example.name]
    assert ("nonce" in sent[-1], "code_challenge" in sent[-1]) == expected, sent


def test_expired_client_secret(fresh_example: Callable[..., ExampleStack],
                               example_context: BrowserContext,
                               example_app: ExampleApp) -> None:
    """AADSTS7000222 at the token endpoint: ``identity`` shows its "Login Failure" page (HTTP
    200) with the provider's error text; Authlib raises and Flask shows its 500 page; Express
    answers 500 with the error's stack trace (its default outside production). None of them
    has a support contact."""
    stack = fresh_example(example_app)
    stack.idp.advance(days=181)
    result = sign_in(example_context.new_page(), stack)
    expected = {
        FLASK_IDENTITY.name: Verdict(signed_in=False, status=200,
                                     shows=(IDENTITY_FAILURE, "invalid_client",
                                            "AADSTS7000222")),
        FLASK_AUTHLIB.name: FLASK_ERROR,
        PASSPORT_OPENIDCONNECT.name: Verdict(signed_in=False, status=500,
                                             shows=("TokenError", "AADSTS7000222")),
    }[example_app.name]
    expected.check(result)


def test_tampered_state(example: ExampleStack, example_page: Page) -> None:
    """The callback arrives with a ``state`` the app did not send."""
    page = example_page
    held = hold_callback(page, example)
    page.goto(example.url(example.example.protected))
    provider_driver(page)
    up_to_stay_signed_in(page, ALICE, ALICE_PASSWORD).answer(stay=False)
    expect(page.get_by_text("callback held")).to_be_visible()
    assert len(held) == 1
    tampered = re.sub(r"([?&]state=)([^&]+)", lambda m: m.group(1) + "x" + m.group(2), held[0])
    navigations = Navigations(page)
    page.goto(tampered)
    result = landing(page, example, navigations)
    expected = {
        # MSAL raises on the mismatch; identity logs it and sends the browser home, signed out,
        # with no message.
        FLASK_IDENTITY.name: Verdict(signed_in=False, status=200, shows=("Not signed in.",),
                                     lacks=(IDENTITY_FAILURE,)),
        FLASK_AUTHLIB.name: FLASK_ERROR,
        PASSPORT_OPENIDCONNECT.name: FORBIDDEN,
    }[example.example.name]
    expected.check(result)


def hold_callback(page: Page, stack: ExampleStack) -> list[str]:
    """Keep the browser from following the provider's redirect to the app's callback; the
    callback URLs held are returned in the list (filled as they come).

    Redirects are not routed by Playwright, so the provider's form posts are fetched here
    without following redirects, and answered as they came unless they lead to the callback.
    """
    held: list[str] = []
    callback = stack.url(stack.example.callback) + "?"

    def handle(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        location = response.headers.get("location", "")
        if location.startswith(callback):
            held.append(location)
            route.fulfill(status=200, content_type="text/plain", body="callback held")
        else:
            route.fulfill(response=response)

    page.route(re.compile("^" + re.escape(stack.idp.url) + "/"), handle)
    return held


def test_sign_out_at_the_provider_leaves_the_app_signed_in(example: ExampleStack,
                                                           example_page: Page) -> None:
    """Neither library has a front-channel or back-channel logout endpoint. With both logout
    URLs registered where an app would serve them, the provider's sign-out reaches the app
    (a 404) and the app's session lives on."""
    page = example_page
    registration = f"applications(appId='{example.registration.client_id}')"
    frontchannel, backchannel = (example.url("/auth/frontchannel-logout"),
                                 example.url("/auth/backchannel-logout"))
    example.idp.graph("PATCH", registration, json={
        "web": {"logoutUrl": frontchannel}, "backchannelLogoutUri": backchannel})
    try:
        assert sign_in(page, example).signed_in
        example.idp.http.delete("/_mock/notifications").raise_for_status()
        page.goto(f"{example.idp.authority}/oauth2/v2.0/logout")
        EntraDriver().confirm_sign_out(page, ALICE)  # "Pick an account": no logout_hint
        expect(page.get_by_role("heading", name="You signed out of your account")).to_be_visible()
        notes = example.idp.http.get("/_mock/notifications").json()["notifications"]
        delivered = {(n["kind"], n["url"].split("?")[0]): n for n in notes
                     if n["client_id"] == example.registration.client_id}
        assert delivered[("backchannel", backchannel)]["status"] == 404, notes
        assert ("frontchannel", frontchannel) in delivered, notes
        assert page.request.get(example.url(example.example.me)).status == 200
    finally:
        example.idp.graph("PATCH", registration, json={
            "web": {"logoutUrl": None}, "backchannelLogoutUri": None})
