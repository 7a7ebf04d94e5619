"""What a failure tells the administrator of a customer-SSO app on Entra's v1 endpoints: an app
that reads v2.0's ``preferred_username`` from a v1 ID token, one that kept its old client secret
after a renewal, one that trusted the unsigned v1 ID token over plain http."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from asgi_client import AppClient

from mock_idp import create_app
from mock_idp.config import (
    DEFAULT_TENANT_ID,
    REFERENCE_RP_CLIENT_ID,
    REFERENCE_RP_SECRET,
    IdpConfig,
)
from scenarios.app import load_profile
from scenarios.app.failure_page import ACCEPTED
from scenarios.catalogue.entra_v1 import ACCEPTED_UNSIGNED, _http_refusal_advice
from scenarios.catalogue.id_token_source import unsigned_v1_accepted, unsigned_v1_keyless
from scenarios.catalogue.lifecycle import kept_old_secret
from scenarios.people import PEOPLE
from scenarios.refusals import UNSIGNED_START, with_sign_in_cause

V1_TOKEN = f"/{DEFAULT_TENANT_ID}/oauth2/token"
NOT_SIGNED_IN = ("alice is not signed in: the page at /sso/openid shows, heading 'Internal "
                 "Server Error'\nthe sign-in did not end at /widget")
PROFILE = """\
name = "helpdesk"

[app]
command = ["flask", "run", "--port", "{port}"]

[provider]
redirect_uris = "{base_url}/sso/openid"

[[configure]]
url = "/api/admin/record"
json = { token_url = "{authority}/oauth2/token", client_secret = "{client_secret}" }

[sign_in]
urls = { widget = "/sso/widget" }

[signed_in]
me_url = "/api/me"

[failure]
contact = "support@helpdesk.example"
"""


@pytest.fixture
def provider() -> Iterator[AppClient]:
    with AppClient(create_app(IdpConfig.default()), follow_redirects=False) as client:
        yield client


def _logged(provider: AppClient) -> list[dict[str, Any]]:
    return list(provider.get("/_mock/requests", params={"limit": 2000}).json()["requests"])


def _token(provider: AppClient, secret: str) -> int:
    """The app's token request at Entra's v1 token endpoint (ROPC: no browser needed)."""
    return provider.post(V1_TOKEN, data={
        "grant_type": "password", "client_id": REFERENCE_RP_CLIENT_ID, "client_secret": secret,
        "resource": "https://graph.microsoft.com", "username": PEOPLE["alice"].upn,
        "password": PEOPLE["alice"].password}).status_code


def _profile(tmp_path: Path, text: str = PROFILE) -> Any:
    path = tmp_path / "helpdesk.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_profile(path)


def test_an_app_that_reads_preferred_username_of_a_v1_id_token_is_told_v1_has_none(
        provider: AppClient) -> None:
    # A helpdesk app written for v2.0's claims (claims["preferred_username"]) answered every
    # sign-in on the v1 endpoints with a 500, and the message blamed a signature check it
    # never made (it fetched no key set).
    assert _token(provider, REFERENCE_RP_SECRET) == 200
    output = "KeyError: 'preferred_username'\n127.0.0.1 - - \"GET /sso/openid?code=… HTTP/1.1\" 500"
    first = with_sign_in_cause(NOT_SIGNED_IN, _logged(provider), output).splitlines()[0]
    assert first.endswith(
        f"{UNSIGNED_START} (ver 1.0) without preferred_username, which the app's output or "
        "page names: that claim is v2.0's, and Entra's v1 ID tokens name the person in upn and "
        "unique_name instead; an app on the v1 endpoints reads those (or moves to the v2.0 "
        "endpoints, whose ID tokens carry preferred_username)"), first
    other = with_sign_in_cause(NOT_SIGNED_IN, _logged(provider), "KeyError: 'kid'")
    assert "preferred_username" not in other and "signing key" in other


def test_a_renewal_the_app_did_not_store_names_the_secret_it_kept(
        provider: AppClient, tmp_path: Path) -> None:
    # The app's renew-secret call answered 200 but the app went on sending the old secret,
    # removed at the provider: the message quoted AADSTS7000215 and no more.
    assert _token(provider, REFERENCE_RP_SECRET) == 200  # before the renewal: not counted
    # The refused request may follow within a millisecond: counted from the last one logged.
    since = max(float(entry["wall"]) for entry in _logged(provider))
    assert _token(provider, "the-removed-secret") == 401
    profile = _profile(tmp_path, PROFILE + textwrap.dedent("""\
        [admin]
        renew_secret = { url = "/api/admin/secret", json = { s = "{client_secret}" } }
        """))
    kept = kept_old_secret(_logged(provider), profile, since=since)
    assert kept.startswith("After the renewal the provider refused the app's secret as invalid "
                           "(AADSTS7000215): the app was handed the new secret ([admin] "
                           "renew_secret) but still sends one the app registration no longer "
                           "holds, most likely the expired secret removed at the provider."), kept
    restarted = kept_old_secret(_logged(provider), _profile(tmp_path), since=since)
    assert "(a restart with the new {client_secret})" in restarted


def test_a_refusal_before_the_renewed_sign_in_or_of_another_kind_is_not_blamed_on_it(
        provider: AppClient, tmp_path: Path) -> None:
    assert _token(provider, "the-removed-secret") == 401  # the expired secret's part
    since = max(float(entry["wall"]) for entry in _logged(provider)) + 0.01
    assert kept_old_secret(_logged(provider), _profile(tmp_path), since=since) == ""
    unknown = provider.post(V1_TOKEN, data={  # an app registration the tenant lacks
        "grant_type": "client_credentials", "client_id": "00000000-0000-0000-0000-00000000abcd",
        "client_secret": REFERENCE_RP_SECRET, "resource": "https://graph.microsoft.com"})
    assert "AADSTS700016" in unknown.json()["error_description"], unknown.text
    assert kept_old_secret(_logged(provider), _profile(tmp_path), since=since) == ""


def test_an_app_that_accepted_the_unsigned_v1_id_token_over_http_is_told_so(
        tmp_path: Path) -> None:
    # failure.v1-unsigned-over-http on an app that signed alice in explained why an app may
    # fail to sign in on v1 (the issuer, preferred_username), not that it trusted a token
    # nothing vouched for.
    stack = cast(Any, SimpleNamespace(app=SimpleNamespace(profile=_profile(tmp_path))))
    log = cast(Any, SimpleNamespace(documents=[]))
    accepted = (f"the failure page did not appear: no 'Sign-in failed'; {ACCEPTED}, and the "
                "app showed /widget with HTTP 200")
    advice = _http_refusal_advice(stack, log, accepted)
    assert advice == ACCEPTED_UNSIGNED
    assert advice.startswith("The app accepted the unsigned ID token (alg none) that Entra's v1 "
                             "token endpoint sent it over plain http"), advice
    assert "3.1.3.7 (6)" in advice and "preferred_username" not in advice


def _on(provider: AppClient, scheme: str) -> Any:
    """A stack whose provider is served over ``scheme``, its request log ``provider``'s."""
    return cast(Any, SimpleNamespace(idp=SimpleNamespace(base_url=f"{scheme}://localhost:1"),
                                     provider_requests=lambda: _logged(provider)))


def _arm(provider: AppClient, kind: str) -> str:
    armed = provider.post("/_mock/faults", json={"kind": kind, "endpoint": "token"})
    assert armed.status_code == 201, armed.text
    return str(armed.json()["id"])


def test_a_bad_signature_the_v1_token_endpoint_removed_is_not_said_to_be_accepted(
        provider: AppClient) -> None:
    # failure.bad-signature on an app on Entra's v1 endpoints over http said it accepted an ID
    # token whose signature did not verify and told it to verify RS256 with the provider's
    # keys: the v1 token endpoint sends the token unsigned, the spoiled signature with it.
    fault = _arm(provider, "bad_signature")
    assert _token(provider, REFERENCE_RP_SECRET) == 200
    stack = _on(provider, "http")
    told = unsigned_v1_accepted(stack, fault)
    assert told is not None and told.startswith(
        "the app accepted the ID token of Entra's v1 token endpoint over plain http: it comes "
        "unsigned there (alg none, as Entra sends it, so the signature this scenario spoiled "
        "never reached the app)"), told
    assert "set [provider] https = true" in told


def test_a_bad_signature_on_the_v2_endpoints_is_judged_as_before(provider: AppClient) -> None:
    fault = _arm(provider, "bad_signature")
    answer = provider.post(f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "password", "client_id": REFERENCE_RP_CLIENT_ID,
        "client_secret": REFERENCE_RP_SECRET, "scope": "openid profile",
        "username": PEOPLE["alice"].upn, "password": PEOPLE["alice"].password})
    assert answer.status_code == 200 and answer.json()["id_token"].split(".")[2], answer.text
    stack = _on(provider, "http")
    assert unsigned_v1_accepted(stack, fault) is None


def test_a_v1_app_that_fetched_no_keys_is_told_it_had_none_to_look_up(provider: AppClient
                                                                       ) -> None:
    # lifecycle.key-rotation said such an app "cannot have checked the ID token's signature":
    # the v1 token endpoint's ID token has none, and no key to look up.
    assert _token(provider, REFERENCE_RP_SECRET) == 200
    told = unsigned_v1_keyless(_on(provider, "http"))
    assert told is not None and told.startswith(
        "the app never fetched the provider's signing keys: its ID token came unsigned from "
        "Entra's v1 token endpoint over plain http (alg none, as Entra sends it), so it had no "
        "signing key to look up, and only TLS vouches for it"), told
    assert unsigned_v1_keyless(_on(provider, "https")) is None  # relying on TLS is allowed
