"""correlate: one ordered exchange from the browser's log and the provider's logs."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from scenarios.protocol_view import (
    BrowserHit,
    Collected,
    correlate,
    exchange_of,
    names,
    render_text,
)

from .activity_samples import APP, IDP, MASKED_CODE, T0, activity, collected


def names_and_actors(collected_: Collected) -> list[tuple[str, str, str]]:
    return [(s.name, s.source, s.target) for s in correlate(collected_).steps]


def test_steps_come_in_order_between_the_right_actors() -> None:
    assert names_and_actors(collected()) == [
        ("sign-in start", "browser", "app"),
        ("authorize", "browser", "provider"),
        ("sign-in", "browser", "provider"),
        ("callback", "browser", "app"),
        ("token", "app", "provider"),
        ("keys", "app", "provider"),
        ("logout", "browser", "provider"),
        ("back-channel logout", "provider", "app"),
        ("event user.logout", "provider", "app"),
        ("front-channel logout", "browser", "app"),
    ]


def test_a_browser_request_and_the_provider_entry_for_it_are_one_step() -> None:
    steps = correlate(collected()).steps
    assert [s.n for s in steps] == list(range(1, len(steps) + 1))
    sign_in = next(s for s in steps if s.name == "sign-in")
    assert sign_in.outcome == "302 -> app /auth/callback"
    assert dict(sign_in.params)["passwd"] == "[redacted]"
    assert sum(s.name == "authorize" for s in steps) == 1
    assert not any("favicon" in s.target_url for s in steps)


def test_values_tie_the_steps_together() -> None:
    steps = {s.name: s for s in correlate(collected()).steps}
    assert steps["callback"].links == ("state matches the authorize request (step 2)",
                                       "code issued at step 3")
    assert dict(steps["callback"].params)["code"] == MASKED_CODE
    assert "redeems the code the callback carried (step 4)" in steps["token"].links
    assert "ID token nonce is not the one sent (step 2)" in steps["token"].links
    assert "sid of the session signed in at step 5" in steps["front-channel logout"].links
    assert steps["back-channel logout"].links == (
        "logout token sid of the session signed in at step 5",)


def test_the_fault_s_change_is_on_the_token_it_changed() -> None:
    token_step = next(s for s in correlate(collected()).steps if s.name == "token")
    [id_token] = token_step.tokens
    assert id_token.name == "ID token" and id_token.fault == "wrong_nonce"
    [change] = id_token.changes
    assert (change.part, change.name, change.how, change.before, change.after) == (
        "claims", "nonce", "changed", '"n-1"', '"n-11"')
    assert dict(id_token.claims)["nonce"] == '"n-11"'
    assert id_token.signature == "[redacted]"
    assert token_step.faults == ("fault wrong_nonce (nonce changed)",)
    assert dict(token_step.answer) == {"token_type": "Bearer", "refresh_token": "[redacted]"}


def test_logout_token_fault_errors_failure_reference_and_event_delivery() -> None:
    steps = {s.name: s for s in correlate(collected()).steps}
    [logout_token] = steps["back-channel logout"].tokens
    assert logout_token.changed("claims")["nonce"].how == "added"
    assert logout_token.signature == "[redacted]"  # the raw one was never kept
    assert steps["back-channel logout"].outcome == "400"
    assert steps["logout"].error == "AADSTS90014: The required field 'client_id' is missing."
    assert steps["callback"].failure_ref == "RP-0123456789"
    event = steps["event user.logout"]
    assert event.outcome.startswith("failed: timeout (retry_scheduled, attempt 1")
    assert dict(event.params) == {"user_id": "u-1", "client_secret": "[redacted]"}


def test_nothing_secret_survives_into_the_exchange() -> None:
    raw_code = "1.AbcdefghijklmnopqrstuvwxyzABCDEFGH0123456789"
    hits = (BrowserHit(wall=T0, method="GET", status=200,
                       url=f"{APP}/auth/callback?code={raw_code}&state=s"),)
    text = json.dumps(asdict(correlate(collected(browser=hits))))
    for secret in (raw_code, "s3cr3t-value", "c2lnbmF0dXJl"):
        assert secret not in text


def test_without_the_mock_only_the_browser_side_is_drawn() -> None:
    exchange = correlate(Collected(browser=collected().browser, provider_url=IDP, app_url=APP))
    assert exchange.covers.startswith("the browser only")
    assert [s.source for s in exchange.steps] == ["browser"] * 5
    assert [s.target for s in exchange.steps][:3] == ["app", "provider", "provider"]


ENTRA = "https://login.microsoftonline.com"


def browser_only(authorize: str, callback_state: str, provider: str | None = ENTRA
                 ) -> list[tuple[str, tuple[str, ...]]]:
    """The names and links of a browser-only sign-in (``run --idp``: no provider's log), where
    the authorize request is a plain ``page`` or ``redirect`` to the provider."""
    hits = (
        BrowserHit(wall=T0, method="GET", url=f"{APP}/sso/c1/widget", status=302,
                   location=authorize),
        BrowserHit(wall=T0 + 0.1, method="GET", url=authorize, status=302,
                   location=f"{APP}/auth/callback?code=c&state={callback_state}"),
        BrowserHit(wall=T0 + 0.2, method="GET",
                   url=f"{APP}/auth/callback?code=c&state={callback_state}", status=302,
                   location=f"{APP}/"),
    )
    exchange = correlate(Collected(browser=hits, provider_url=provider, app_url=APP))
    assert exchange.covers.startswith("the browser only")
    return [(s.name, s.links) for s in exchange.steps]


@pytest.mark.parametrize("path", ["/tid/oauth2/v2.0/authorize", "/common/oauth2/authorize"])
@pytest.mark.parametrize("provider", [ENTRA, None])
def test_browser_only_the_authorize_request_is_known_by_its_url(
        path: str, provider: str | None) -> None:
    steps = browser_only(f"{ENTRA}{path}?client_id=c&state=st-1&nonce=n-1", "st-1", provider)
    assert steps[1][0] in ("redirect", "page")
    assert steps[2] == ("callback", ("state matches the authorize request (step 2)",
                                     "code issued at step 2"))


def test_browser_only_a_state_no_authorize_request_sent_is_still_flagged() -> None:
    steps = browser_only(f"{ENTRA}/tid/oauth2/v2.0/authorize?state=st-1", "forged")
    assert steps[2] == ("callback", ("state was not sent by any authorize request seen",
                                     "code issued at step 2"))


def test_a_state_on_a_provider_page_that_is_not_authorize_does_not_count() -> None:
    steps = browser_only(f"{ENTRA}/tid/login?state=st-1", "st-1")
    assert steps[2] == ("callback", ("state was not sent by any authorize request seen",
                                     "code issued at step 2"))


def test_a_provider_entry_no_browser_request_matches_keeps_its_place_in_time() -> None:
    late = {**activity(), "requests": [
        {"seq": 9, "wall": T0 + 0.5, "method": "GET", "path": "/tid/oauth2/v2.0/authorize",
         "query": "state=zzz", "status": 302, "location": f"{APP}/auth/callback?error=x"}]}
    steps = correlate(collected(provider=late, browser=())).steps
    assert (steps[0].name, steps[0].source, steps[0].error) == ("authorize", "browser", "x")


def test_the_username_pages_lookup_is_drawn_from_the_browser() -> None:
    """The username page's fetch is not a document the browser's log keeps: the provider's
    entry alone draws it, from the browser, not as a call of the app's."""
    lookup = {**activity(), "requests": [
        {"seq": 9, "wall": T0 + 0.5, "method": "POST", "path": "/common/GetCredentialType",
         "status": 200, "response": {"content_type": "application/json",
                                     "json": {"Username": "a@b.c", "IfExistsResult": 0}}}]}
    steps = correlate(collected(provider=lookup, browser=())).steps
    assert (steps[0].name, steps[0].source, steps[0].target) == (
        "username lookup", "browser", "provider")
    assert ("IfExistsResult", "0") in steps[0].answer


def test_exchange_of_never_raises() -> None:
    assert exchange_of(None) is None
    broken = Collected(provider={"requests": [{"wall": "not a number", "path": "/x"}]},
                       provider_url=IDP)
    exchange = exchange_of(broken)
    assert exchange is not None and exchange.problems[0].startswith("the exchange could not")


@pytest.mark.parametrize(("path", "method", "name"), [
    ("/t/oauth2/v2.0/authorize", "GET", "authorize"),
    ("/t/oauth2/authorize", "GET", "authorize"),
    ("/t/oauth2/v2.0/token", "POST", "token"),
    ("/t/discovery/v2.0/keys", "GET", "keys"),
    ("/t/v2.0/.well-known/openid-configuration", "GET", "discovery"),
    ("/common/discovery/instance", "GET", "instance discovery"),
    ("/.well-known/platform-event-keys.json", "GET", "event keys"),
    ("/t/login", "POST", "sign-in"),
    ("/common/GetCredentialType", "POST", "username lookup"),
    ("/kmsi", "POST", "stay signed in?"),
    ("/t/Consent/Set", "POST", "consent"),
    ("/graph/t/v1.0/me", "GET", "graph"),
    ("/graph/v1.0/me", "GET", "graph"),
    ("/v1.0/me", "GET", "graph"),
    ("/v1.0", "GET", "graph"),
    ("/v1.0x/me", "GET", "provider page"),
    ("/somewhere", "GET", "provider page"),
    ("/somewhere", "POST", "provider call"),
])
def test_provider_steps_are_named_by_path(path: str, method: str, name: str) -> None:
    assert names.provider_step_name(path, method) == name


def test_the_harness_s_own_calls_are_not_drawn_as_the_app_s() -> None:
    """The harness disabling alice through Graph's management API, and a token request of its
    own, name their caller: they are listed apart, each with where it came, not drawn as
    calls of the app's. A Graph call without the name (an app's, with its token) is drawn."""
    calls = {**activity(), "requests": [*activity()["requests"],
        {"seq": 7, "wall": T0 + 1.35, "method": "PATCH", "caller": "harness",
         "path": "/graph/tid/v1.0/users/alice@contoso.onmicrosoft.com", "status": 204},
        {"seq": 8, "wall": T0 + 0.01, "method": "GET", "caller": "harness",
         "path": "/graph/tid/v1.0/users/alice@contoso.onmicrosoft.com", "status": 200},
        {"seq": 9, "wall": T0 + 9.0, "method": "POST", "caller": "harness",
         "path": "/tid/oauth2/v2.0/token", "status": 400},
        {"seq": 10, "wall": T0 + 1.45, "method": "GET", "authorization": "Bearer [redacted]",
         "path": "/graph/tid/v1.0/me", "status": 200}]}
    exchange = correlate(collected(provider=calls))
    drawn = [(s.name, s.source, s.method) for s in exchange.steps]
    assert ("graph", "app", "GET") in drawn
    assert not any(method == "PATCH" for _, _, method in drawn)
    assert sum(name == "token" for name, _, _ in drawn) == 1
    assert exchange.harness == (
        "PATCH provider /graph/tid/v1.0/users/alice@contoso.onmicrosoft.com  204, "
        "between steps 5 and 6",
        "GET provider /graph/tid/v1.0/users/alice@contoso.onmicrosoft.com  200, "
        "between steps 1 and 2",
        "POST provider /tid/oauth2/v2.0/token  400, after step 11")
    text = render_text(exchange)
    assert "the harness's own calls to the provider (not drawn):" in text
    assert "PATCH provider /graph/tid/v1.0/users/alice" in text


@pytest.mark.parametrize(("location", "name"), [
    (f"{IDP}/tid/oauth2/v2.0/authorize?client_id=c&state=s", "sign-in start"),
    (f"{IDP}/common/oauth2/authorize?client_id=c", "sign-in start"),
    (f"{IDP}/tid/oauth2/v2.0/logout?post_logout_redirect_uri=x", "sign-out start"),
    (f"{IDP}/common/oauth2/logout", "sign-out start"),
    # a provider with paths of its own (not Entra's), by what the request carries
    (f"{IDP}/auth?response_type=code&client_id=c&state=s", "sign-in start"),
    (f"{IDP}/session/end?id_token_hint=x&post_logout_redirect_uri=y", "sign-out start"),
    (f"{IDP}/interaction/abc", "redirect"),
    (f"{IDP}/tid/v2.0/.well-known/openid-configuration", "redirect"),
    (f"{APP}/account", "redirect"),
])
def test_an_app_s_redirect_is_named_by_where_it_sends_the_browser(location: str, name: str
                                                                  ) -> None:
    hits = (BrowserHit(wall=T0, method="GET", url=f"{APP}/logout", status=302,
                       location=location),)
    [step] = correlate(Collected(browser=hits, provider_url=IDP, app_url=APP)).steps
    assert (step.name, step.source, step.target) == (name, "browser", "app")


def test_a_sign_out_that_carried_no_provider_cookie_is_the_step_that_went_wrong() -> None:
    provider = activity()
    [logout] = [e for e in provider["requests"] if e["path"].endswith("/logout")]
    logout.update(method="POST", status=200, notes=[
        {"target": "signout", "problem": "no_provider_cookies", "sessions": 1,
         "message": "this POST sign-out carried none of the provider's cookies"}])
    steps = {s.name: s for s in correlate(collected(provider=provider)).steps}
    assert steps["logout"].error == (
        "sign-out ended nothing: this POST sign-out carried none of the provider's cookies")
    assert steps["logout"].erred


def test_a_user_without_a_photo_is_no_step_that_went_wrong() -> None:
    """Graph's 404 ImageNotFound for the user's photo (Auth.js's Entra provider asks at every
    sign-in, and goes on without one) says the user has none: it is not marked as the step
    that went wrong, which a sign-out that never reached the provider was left with."""
    no_photo = {"error": {"code": "ImageNotFound", "message": "no photo"}}
    calls = {**activity(), "requests": [*activity()["requests"],
        {"seq": 10, "wall": T0 + 1.45, "method": "GET", "path": "/graph/tid/v1.0/me/photo",
         "status": 404, "response": {"json": no_photo}},
        {"seq": 11, "wall": T0 + 1.46, "method": "GET", "path": "/graph/tid/v1.0/me",
         "status": 404, "response": {"json": {"error": {"code": "Request_ResourceNotFound",
                                                         "message": "gone"}}}}]}
    graph = [s for s in correlate(collected(provider=calls)).steps if s.name == "graph"]
    assert [(s.target_url, s.erred) for s in graph] == [
        ("provider /graph/tid/v1.0/me/photo", False), ("provider /graph/tid/v1.0/me", True)]
    assert graph[0].error is None and graph[0].links == (
        "the user has no photo: Graph's answer then, which apps go on without",)
