"""Token faults reach the access token of the same response when its audience is the app
itself: Entra's v1.0 token endpoint returns the ID token unsigned, so an app on the v1
endpoints that asks for a token for itself (``resource`` = its own client id, as
django-auth-adfs's Azure AD guide configures it) signs people in on that access token, and a
fault left on the ID token alone never reaches what it checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

import jwt
import pytest
from asgi_client import AppClient
from idp_testkit import CLIENT_ID, TENANT, claims, get_code, paths, redeem

from mock_idp.config import IdpConfig, default_tenant
from scenarios.catalogue.id_token_source import spoiled_own_access_token
from scenarios.live import LiveStack

V1_ISSUER = f"https://sts.windows.net/{TENANT}/"


def arm(client: AppClient, **spec: Any) -> None:
    response = client.post("/_mock/faults", json=spec)
    assert response.status_code == 201, response.text


def v1_tokens(client: AppClient, resource: str = CLIENT_ID) -> dict[str, str]:
    """The v1 code flow asking for a token for ``resource`` (default: the app itself)."""
    response = redeem(client, get_code(client, version="1.0", resource=resource),
                      version="1.0")
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def verifies(client: AppClient, token: str) -> bool:
    kid = jwt.get_unverified_header(token).get("kid")
    keys = client.get(paths(TENANT, "1.0")["keys"]).json()["keys"]
    jwk = next((k for k in keys if k["kid"] == kid), None)
    if jwk is None:
        return False
    try:
        jwt.decode(token, jwt.PyJWK.from_dict({**jwk, "alg": "RS256"}).key,
                   algorithms=["RS256"], options={"verify_aud": False, "verify_exp": False,
                                                  "verify_nbf": False, "verify_iss": False})
    except jwt.InvalidTokenError:
        return False
    return True


def now(client: AppClient) -> int:
    return int(datetime.fromisoformat(
        client.get("/_mock/clock").json()["now"].replace("Z", "+00:00")).timestamp())


def test_without_a_fault_the_apps_own_access_token_verifies_for_the_app(
        client: AppClient) -> None:
    access = v1_tokens(client)["access_token"]
    body = claims(access)
    assert body["aud"] == CLIENT_ID and body["iss"] == V1_ISSUER and verifies(client, access)


@pytest.mark.parametrize(("kind", "claim", "expected"), [
    ("wrong_iss", "iss", V1_ISSUER + "1"),
    ("wrong_aud", "aud", CLIENT_ID + "1"),
])
def test_a_wrong_claim_is_wrong_in_the_apps_own_access_token_too(
        client: AppClient, kind: str, claim: str, expected: str) -> None:
    arm(client, kind=kind)
    tokens = v1_tokens(client)
    assert claims(tokens["access_token"])[claim] == expected
    assert claims(tokens["id_token"])[claim] == expected
    assert verifies(client, tokens["access_token"])


def test_an_expired_fault_expires_the_apps_own_access_token(client: AppClient) -> None:
    arm(client, kind="expired")
    assert claims(v1_tokens(client)["access_token"])["exp"] < now(client)


def test_a_bad_signature_fault_spoils_the_apps_own_access_tokens_signature(
        client: AppClient) -> None:
    arm(client, kind="bad_signature")
    access = v1_tokens(client)["access_token"]
    assert claims(access)["aud"] == CLIENT_ID and not verifies(client, access)


def test_a_missing_sub_fault_drops_sub_from_the_apps_own_access_token(client: AppClient) -> None:
    arm(client, kind="missing_sub")
    assert "sub" not in claims(v1_tokens(client)["access_token"])


def test_a_token_for_another_resource_is_left_alone(client: AppClient) -> None:
    arm(client, kind="wrong_iss")
    tokens = v1_tokens(client, resource="https://graph.microsoft.com")
    assert claims(tokens["access_token"])["iss"] == V1_ISSUER
    assert claims(tokens["id_token"])["iss"] == V1_ISSUER + "1"


def test_a_fault_about_the_id_token_alone_leaves_the_access_token_alone(
        client: AppClient) -> None:
    arm(client, kind="wrong_nonce")
    tokens = v1_tokens(client)
    assert "nonce" not in claims(tokens["access_token"])
    assert claims(tokens["id_token"])["nonce"] == "n-11"


def test_the_request_log_names_both_tokens_a_fault_changed(client: AppClient) -> None:
    arm(client, kind="wrong_iss")
    v1_tokens(client)
    entries = client.get("/_mock/requests").json()
    entries = entries.get("requests", entries) if isinstance(entries, dict) else entries
    token_entry = [e for e in entries if str(e.get("path", "")).endswith("/oauth2/token")][-1]
    targets = {note.get("target") for note in token_entry.get("notes", [])}
    assert {"id_token", "access_token"} <= targets, token_entry


def test_the_scenarios_read_from_the_log_that_the_fault_spoiled_both_tokens(
        client: AppClient) -> None:
    fault = client.post("/_mock/faults", json={"kind": "missing_sub"}).json()
    v1_tokens(client)
    stack = cast(LiveStack, SimpleNamespace(
        provider_requests=lambda: client.get("/_mock/requests").json()["requests"]))
    assert spoiled_own_access_token(stack, fault["id"]) == (
        "the provider spoiled the app's own access token of that answer as well as its ID token")
    assert spoiled_own_access_token(stack, "another-fault") is None


def test_the_scenarios_read_from_the_log_that_a_fault_spoiled_the_id_token_alone(
        client: AppClient) -> None:
    fault = client.post("/_mock/faults", json={"kind": "missing_sub"}).json()
    v1_tokens(client, resource="https://graph.microsoft.com")
    stack = cast(LiveStack, SimpleNamespace(
        provider_requests=lambda: client.get("/_mock/requests").json()["requests"]))
    assert spoiled_own_access_token(stack, fault["id"]) is None


# A v2.0 app that asks for its own API without openid (django-auth-adfs with VERSION "v2.0"
# and SCOPES naming only its API) gets no ID token and signs people in on that access token.
OWN_API = f"api://{CLIENT_ID}"


def _own_api_config() -> IdpConfig:
    tenant = default_tenant()
    rp = replace(tenant.apps[0], identifier_uris=(OWN_API,))
    return IdpConfig(tenants=(replace(tenant, apps=(rp, *tenant.apps[1:])),))


def v2_own_api_tokens(client: AppClient) -> dict[str, Any]:
    scope = f"{OWN_API}/.default"
    response = redeem(client, get_code(client, scope=scope), scope=scope)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "id_token" not in body
    return body


def armed(client: AppClient) -> str:
    return str(client.get("/_mock/faults").json())


@pytest.mark.idp_config(_own_api_config())
@pytest.mark.parametrize(("kind", "claim"), [("wrong_iss", "iss"), ("wrong_aud", "aud")])
def test_without_an_id_token_the_fault_spoils_the_apps_own_access_token(
        client: AppClient, kind: str, claim: str) -> None:
    unspoiled = claims(v2_own_api_tokens(client)["access_token"])[claim]
    fault = client.post("/_mock/faults", json={"kind": kind}).json()
    access = v2_own_api_tokens(client)["access_token"]
    assert claims(access)[claim] == unspoiled + "1" and verifies(client, access)
    assert fault["id"] not in armed(client)
    stack = cast(LiveStack, SimpleNamespace(
        provider_requests=lambda: client.get("/_mock/requests").json()["requests"]))
    assert spoiled_own_access_token(stack, fault["id"]) == (
        "the provider spoiled the app's own access token of that answer, which carried no ID "
        "token")


@pytest.mark.idp_config(_own_api_config())
def test_without_an_id_token_a_fault_about_the_id_token_alone_stays_armed(
        client: AppClient) -> None:
    fault = client.post("/_mock/faults", json={"kind": "wrong_nonce"}).json()
    v2_own_api_tokens(client)
    assert fault["id"] in armed(client)


@pytest.mark.idp_config(_own_api_config())
def test_without_an_id_token_a_token_for_another_resource_leaves_the_fault_armed(
        client: AppClient) -> None:
    fault = client.post("/_mock/faults", json={"kind": "wrong_iss"}).json()
    response = redeem(client, get_code(client, scope="User.Read"), scope="User.Read")
    assert response.status_code == 200 and "id_token" not in response.json()
    assert fault["id"] in armed(client)
