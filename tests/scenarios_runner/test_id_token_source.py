"""Whether an app took its ID token straight from the token endpoint over TLS, read from the
provider's request log as conformance reads it: only then may it rely on TLS instead of the
signature (OpenID Connect Core 3.1.3.7 (6)), and ``failure.bad-signature`` and
``lifecycle.key-rotation`` say "not exercised" rather than fail it; over plain http they fail
it saying so, and what would let it rely on TLS. A token scenario's failure also says when the
fault spoiled the app's own access token beside the ID token, which an app on the v1 endpoints
checks instead, and when the app read the person from Microsoft Graph's ``/me`` with its own
access token, as fastapi-sso's ``MicrosoftSSO`` does without reading the ID token it asks for."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any, cast

import pytest

from scenarios.catalogue.id_token_source import (
    asked_no_id_token,
    dropped_userinfo,
    from_token_endpoint_over_plain_http,
    from_token_endpoint_over_tls,
    naming_graph_reader,
    naming_spoiled_tokens,
    read_person_on_graph,
    unreached_token_fault,
)
from scenarios.live import LiveStack

CLIENT = "11111111-2222-3333-4444-555555555555"
TENANT = "contoso-tenant"
TOKEN = {"method": "POST", "path": f"/{TENANT}/oauth2/v2.0/token", "query": ""}
V1_TOKEN = {"method": "POST", "path": f"/{TENANT}/oauth2/token", "query": ""}


def _authorize(response_type: str, client_id: str = CLIENT) -> dict[str, Any]:
    return {"method": "GET", "path": f"/{TENANT}/oauth2/v2.0/authorize",
            "query": f"client_id={client_id}&response_type={response_type.replace(' ', '+')}"}


def _stack(scheme: str, *requests: dict[str, Any]) -> LiveStack:
    return cast(LiveStack, SimpleNamespace(
        idp=SimpleNamespace(base_url=f"{scheme}://127.0.0.1:8443"), client_id=CLIENT,
        provider_requests=lambda path=None: list(requests)))


def test_a_code_redeemed_at_the_token_endpoint_over_https_may_rely_on_tls() -> None:
    reason = from_token_endpoint_over_tls(_stack("https", _authorize("code"), TOKEN))
    assert reason == (
        "it took the ID token straight from the provider's token endpoint over TLS "
        "(response_type=code), where the client MAY rely on TLS server validation instead of "
        "the signature (OpenID Connect Core 3.1.3.7 (6); over plain http, or for an ID token "
        "that comes through the browser, it must check it)")


def test_v1_s_token_endpoint_counts_too() -> None:
    assert from_token_endpoint_over_tls(_stack("https", _authorize("code"), V1_TOKEN))


@pytest.mark.parametrize(("scheme", "requests"), [
    ("http", [_authorize("code"), TOKEN]),
    ("https", [_authorize("code id_token"), TOKEN]),
    ("https", [_authorize("id_token")]),
    ("https", [_authorize("code"), _authorize("id_token token"), TOKEN]),
    ("https", [TOKEN]),
    ("https", [_authorize("code")]),
    ("https", [_authorize("code"), {**TOKEN, "method": "GET"}]),
    ("https", [_authorize("code", client_id="another-app"), TOKEN]),
], ids=["plain-http", "hybrid", "id-token-alone", "one-request-of-two-front-channel",
        "no-authorize-request", "no-token-request", "token-endpoint-not-posted",
        "another-client-s-request"])
def test_anything_else_must_check_the_signature(scheme: str,
                                                requests: list[dict[str, Any]]) -> None:
    assert from_token_endpoint_over_tls(_stack(scheme, *requests)) is None


def test_a_code_redeemed_over_plain_http_is_told_to_put_the_provider_on_https() -> None:
    reason = from_token_endpoint_over_plain_http(_stack("http", _authorize("code"), TOKEN))
    assert reason == (
        "it took the ID token from the provider's token endpoint over plain http "
        "(response_type=code): without TLS only the signature vouches for it (OpenID Connect "
        "Core 3.1.3.7 (6) allows relying on TLS instead only over TLS); an app that relies on "
        "TLS there, as openid-client and MSAL do, passes with the provider on https: set "
        "[provider] https = true in its profile")


@pytest.mark.parametrize(("scheme", "requests"), [
    ("https", [_authorize("code"), TOKEN]),
    ("http", [_authorize("code id_token"), TOKEN]),
    ("http", [_authorize("id_token")]),
    ("http", [_authorize("code")]),
], ids=["over-https", "hybrid", "id-token-alone", "no-token-request"])
def test_no_https_hint_where_https_would_not_let_the_app_skip_the_signature(
        scheme: str, requests: list[dict[str, Any]]) -> None:
    assert from_token_endpoint_over_plain_http(_stack(scheme, *requests)) is None


def _spoiled(*targets: str, fault_id: str = "f-1") -> LiveStack:
    """A stack whose provider's log has a token request with fault ``fault_id``'s notes on
    ``targets``."""
    notes = [{"fault": {"id": fault_id, "kind": "missing_sub", "endpoint": "token"},
              "target": target, "changes": []} for target in targets]
    return _stack("https", _authorize("code"), {**TOKEN, "notes": notes})


def _failure_under(stack: LiveStack) -> str:
    with pytest.raises(AssertionError) as caught, naming_spoiled_tokens(stack, "f-1"):
        raise AssertionError("the failure page did not appear")
    return str(caught.value)


def test_a_failure_says_so_when_the_fault_spoiled_the_apps_own_access_token_too() -> None:
    assert _failure_under(_spoiled("id_token", "access_token")) == (
        "the failure page did not appear\n(the provider spoiled the app's own access token of "
        "that answer as well as its ID token)")


@pytest.mark.parametrize("stack", [
    _spoiled("id_token"), _spoiled("id_token", "access_token", fault_id="f-2"),
    _stack("https", _authorize("code"), {**TOKEN, "notes": ["not a note", {"fault": "f-1"}]}),
], ids=["id-token-alone", "another-faults-access-token", "odd-notes"])
def test_a_failure_is_left_as_it_is_when_the_fault_spoiled_the_id_token_alone(
        stack: LiveStack) -> None:
    assert _failure_under(stack) == "the failure page did not appear"


def _asked(scope: str, response_type: str = "code", *, path: str = "oauth2/v2.0/authorize",
           client_id: str = CLIENT) -> dict[str, Any]:
    return {"method": "GET", "path": f"/{TENANT}/{path}",
            "query": f"client_id={client_id}&response_type={response_type.replace(' ', '+')}"
                     f"&scope={scope.replace(' ', '+')}"}


def test_a_sign_in_that_asked_graph_alone_had_no_id_token() -> None:
    """django-allauth's Microsoft provider asks ``User.Read`` alone: Entra's v2.0 endpoint
    answers no ID token, so the ID-token scenarios are not exercised."""
    reason = asked_no_id_token(_stack("https", _asked("User.Read"), TOKEN))
    assert reason is not None
    assert reason.startswith("the app asked for no ID token (scope=User.Read, without openid)")


@pytest.mark.parametrize("requests", [
    [_asked("openid User.Read"), TOKEN],
    [_asked("User.Read", "code id_token"), TOKEN],
    [_asked("User.Read"), _asked("openid profile"), TOKEN],
    [_asked("User.Read", path="oauth2/authorize"), V1_TOKEN],  # v1's code flow answers one
    [_asked("openid", client_id="someone-else"), TOKEN],  # no request of this app's
    [TOKEN],
])
def test_a_sign_in_that_may_have_had_an_id_token_is_not_said_to_have_none(
        requests: list[dict[str, Any]]) -> None:
    assert asked_no_id_token(_stack("https", *requests)) is None


def _own_api_without_openid(*targets: str) -> LiveStack:
    """django-auth-adfs with VERSION "v2.0" and SCOPES naming only its own API: no ID token,
    and the fault's notes on ``targets`` of its token request."""
    notes = [{"fault": {"id": "f-1", "kind": "wrong_aud", "endpoint": "token"},
              "target": target, "changes": []} for target in targets]
    return _stack("https", _asked(f"api://{CLIENT}/.default"), {**TOKEN, "notes": notes})


def test_a_fault_on_the_apps_own_access_token_is_exercised_without_an_id_token() -> None:
    stack = _own_api_without_openid("access_token")
    assert unreached_token_fault(stack, "wrong_aud", "f-1") is None
    assert _failure_under(stack) == (
        "the failure page did not appear\n(the provider spoiled the app's own access token of "
        "that answer, which carried no ID token)")


def test_a_sign_in_without_an_id_token_nor_a_spoiled_access_token_is_not_exercised() -> None:
    reason = unreached_token_fault(_own_api_without_openid(), "wrong_aud", "f-1")
    assert reason is not None and reason.startswith("the app asked for no ID token")


def _bearer(**claims: str) -> str:
    """A bearer header as the request log keeps it: the JWT without its signature."""
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    return f"Bearer {part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.[redacted]"


def _graph_me(path: str = "/graph/v1.0/me", status: int = 200, **claims: str
              ) -> dict[str, Any]:
    return {"method": "GET", "path": path, "query": "", "status": status,
            "authorization": _bearer(**(claims or {"appid": CLIENT}))}


@pytest.mark.parametrize("me", [
    _graph_me(), _graph_me("/v1.0/me"), _graph_me(f"/graph/{TENANT}/v1.0/me"),
    _graph_me(azp=CLIENT),
], ids=["graph-root", "v1.0-on-the-provider", "tenant-graph", "v2-token-azp"])
def test_an_app_that_read_graph_me_with_its_own_token_is_told_so(me: dict[str, Any]) -> None:
    reason = read_person_on_graph(_stack("http", _asked("openid User.Read email"), TOKEN, me))
    assert reason is not None
    assert reason.startswith(f"the app read the person from Microsoft Graph (GET {me['path']} "
                             "with its own access token), so it may never have read the ID "
                             "token")
    assert 'MicrosoftSSO(scope=["User.Read"])' in reason


@pytest.mark.parametrize("me", [
    _graph_me(appid="another-app"), _graph_me(status=401), _graph_me("/graph/v1.0/users"),
    {**_graph_me(), "method": "POST"}, {**_graph_me(), "authorization": "Basic [redacted]"},
    {**_graph_me(), "authorization": "Bearer [redacted]"},
], ids=["another-apps-token", "refused", "not-me", "posted", "not-bearer", "not-a-jwt"])
def test_no_graph_hint_without_a_graph_me_answered_to_the_app(me: dict[str, Any]) -> None:
    assert read_person_on_graph(_stack("http", _asked("openid User.Read"), TOKEN, me)) is None


def _graph_failure(stack: LiveStack, *, signed_in: bool, fault: str = "wrong_iss") -> str:
    app = SimpleNamespace(seen_signed_in=lambda page: signed_in)
    ctx = cast(Any, SimpleNamespace(env=SimpleNamespace(
        app=app, client_id=CLIENT, provider_requests=stack.provider_requests), page=None))
    with pytest.raises(AssertionError) as caught, naming_graph_reader(ctx, fault):
        raise AssertionError("the failure page did not appear")
    return str(caught.value)


def test_a_token_failure_of_an_app_signed_in_on_graph_me_names_the_call() -> None:
    stack = _stack("http", _asked("openid User.Read email"), TOKEN, _graph_me())
    message = _graph_failure(stack, signed_in=True)
    assert message.startswith("the failure page did not appear\n(the app read the person "
                              "from Microsoft Graph (GET /graph/v1.0/me")


@pytest.mark.parametrize(("requests", "signed_in"), [
    ([_asked("openid"), TOKEN, _graph_me()], False),
    ([_asked("openid"), TOKEN], True),
], ids=["nobody-signed-in", "no-graph-call"])
def test_a_token_failure_is_left_as_it_is_without_a_sign_in_on_graph(
        requests: list[dict[str, Any]], signed_in: bool) -> None:
    assert _graph_failure(_stack("http", *requests), signed_in=signed_in) == (
        "the failure page did not appear")


def test_a_userinfo_failure_is_left_as_it_is_though_the_app_read_graph_me() -> None:
    """``userinfo_sub_mismatch`` spoils UserInfo, not the ID token: the hint is not its."""
    stack = _stack("http", _asked("openid User.Read"), TOKEN, _graph_me())
    assert _graph_failure(stack, signed_in=True, fault="userinfo_sub_mismatch") == (
        "the failure page did not appear")


def test_an_app_showing_the_other_person_is_not_waited_on_for_alice() -> None:
    """An app that took the spoiled UserInfo (mozilla-django-oidc does) shows Mallory Moss:
    that it did not drop the answer is read at once, not after waiting the whole timeout for
    alice's name, which never comes (10 s of each such app's failure.userinfo-sub-mismatch)."""
    waited: list[object] = []
    profile = SimpleNamespace(signed_in=SimpleNamespace(text="{name}", me_json={}, me_url=None))
    app = SimpleNamespace(profile=profile, addressless=set(),
                          expect_signed_in=lambda page, person: waited.append(person))
    page = SimpleNamespace(inner_text=lambda selector: "Account / Signed in as Mallory Moss")
    ctx = SimpleNamespace(env=SimpleNamespace(app=app, people={"alice": "alice"}), page=page)
    assert dropped_userinfo(cast(Any, ctx)) is False
    assert waited == []
