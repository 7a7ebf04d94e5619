"""On-behalf-of: a middle-tier API exchanges a user's access token for a downstream one."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import BOB, CLIENT_ID, GRAPH_DEFAULT, SECRET, TENANT, claims, paths, tokens_for
from starlette.applications import Starlette

from mock_idp.clock import MockClock, epoch
from mock_idp.config import AppConfig, IdpConfig, SecretConfig, default_tenant

TOKEN = paths(TENANT, "2.0")["token"]
TOKEN_V1 = paths(TENANT, "1.0")["token"]
MIDDLE_ID = "4a7c2e91-0b3d-4f6e-9a8b-1c2d3e4f5a6b"
MIDDLE_SECRET = "mid8Q~Middle.Tier.Api.Secret-Value-012345"
DOWNSTREAM_ID = "8e2f4a6c-1d3b-4c5e-8f7a-9b0c1d2e3f4a"
GRAPH_ID = "00000003-0000-0000-c000-000000000000"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
OBO_CONFIG = IdpConfig(tenants=(replace(default_tenant(), apps=(
    *default_tenant().apps,
    AppConfig(client_id=MIDDLE_ID, name="Orders API", identifier_uris=("api://orders",),
              secrets=(SecretConfig(value=MIDDLE_SECRET),)),
    AppConfig(client_id=DOWNSTREAM_ID, name="Inventory API",
              identifier_uris=("api://inventory",)),
)),))
pytestmark = pytest.mark.idp_config(OBO_CONFIG)


def user_token(client: AppClient, **overrides: str) -> str:
    """What the front end got for the middle tier: alice's access token, aud = the middle tier."""
    token: str = tokens_for(client, scope="openid api://orders/access_as_user",
                            **overrides)["access_token"]
    return token


def obo(client: AppClient, assertion: str, scope: str = "https://graph.microsoft.com/User.Read",
        **extra: str) -> httpx.Response:
    """The middle tier's OBO request; ``extra`` overrides (an empty value leaves it out)."""
    form = {"grant_type": JWT_BEARER, "client_id": MIDDLE_ID, "client_secret": MIDDLE_SECRET,
            "assertion": assertion, "scope": scope, "requested_token_use": "on_behalf_of"}
    form.update(extra)
    return client.post(TOKEN, data={k: v for k, v in form.items() if v})


def refused(response: httpx.Response, code: int) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == "invalid_grant" and body["error_codes"] == [code], body
    return body


def grant(client: AppClient, scope: str, **fields: str | None) -> httpx.Response:
    body: dict[str, Any] = {"clientId": MIDDLE_ID, "resourceId": DOWNSTREAM_ID,
                            "consentType": "AllPrincipals", "scope": scope}
    body.update(fields)
    return client.post(f"/graph/{TENANT}/v1.0/oauth2PermissionGrants", json=body)


def test_exchanges_a_user_token_for_a_graph_token(client: AppClient) -> None:
    assertion = user_token(client)
    response = obo(client, assertion, "User.Read offline_access openid profile")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "User.Read profile openid email"
    assert body["refresh_token"] and body["id_token"]
    at, original = claims(body["access_token"]), claims(assertion)
    assert at["aud"] == GRAPH_ID and "User.Read" in at["scp"].split()
    assert at["oid"] == original["oid"] and at["appid"] == MIDDLE_ID
    idt = claims(body["id_token"])
    assert idt["aud"] == MIDDLE_ID and idt["oid"] == original["oid"]


def test_a_downstream_api_needs_consent_65001(client: AppClient) -> None:
    assertion = user_token(client)
    body = refused(obo(client, assertion, "api://inventory/Inventory.Read"), 65001)
    assert body["suberror"] == "consent_required"
    assert MIDDLE_ID in body["error_description"] and "Orders API" in body["error_description"]
    assert grant(client, "Inventory.Read").status_code == 201
    response = obo(client, assertion, "api://inventory/Inventory.Read")
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "api://inventory/Inventory.Read"
    at = claims(response.json()["access_token"])
    # A v1 token: the downstream API leaves requestedAccessTokenVersion unset.
    assert (at["aud"], at["scp"], at["appid"], at["ver"]) == (
        "api://inventory", "Inventory.Read", MIDDLE_ID, "1.0")
    refused(obo(client, assertion, "api://inventory/Inventory.Write"), 65001)
    refused(obo(client, assertion, "https://graph.microsoft.com/Mail.Read"), 65001)


@pytest.mark.parametrize(("scope", "scp"), [
    ("api://inventory/inventory.READ", "Inventory.Read"),
    ("https://graph.microsoft.com/user.read", "User.Read"),
])
def test_consent_matches_permission_names_in_any_case(client: AppClient, scope: str,
                                                      scp: str) -> None:
    """As at the token endpoint: the name asked in any case, answered as consented."""
    grant(client, "Inventory.Read")
    response = obo(client, user_token(client), scope)
    assert response.status_code == 200, response.text
    assert claims(response.json()["access_token"])["scp"] == scp


def test_default_scope_is_everything_granted(client: AppClient) -> None:
    assertion = user_token(client)
    refused(obo(client, assertion, "api://inventory/.default"), 65001)
    grant(client, "Inventory.Read Inventory.Write")
    at = claims(obo(client, assertion, "api://inventory/.default").json()["access_token"])
    assert at["scp"] == "Inventory.Read Inventory.Write"


@pytest.mark.parametrize("scope", ["User.Read api://inventory/Inventory.Read",
                                   "api://inventory/Inventory.Read https://graph.microsoft.com/User.Read"])
def test_scopes_of_two_resources_are_28000_as_for_a_refresh(client: AppClient,
                                                            scope: str) -> None:
    """One token is for one resource: no Graph token for the first of two named."""
    grant(client, "Inventory.Read")
    response = obo(client, user_token(client), scope)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_request" and body["error_codes"] == [28000], body


@pytest.mark.parametrize("scope", [
    "api://inventory/.default api://inventory/Inventory.Read",
    "https://graph.microsoft.com/.default User.Read",
    "User.Read api://inventory/.default",
])
def test_default_beside_another_scope_is_70011(client: AppClient, scope: str) -> None:
    grant(client, "Inventory.Read")
    response = obo(client, user_token(client), scope)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_scope" and body["error_codes"] == [70011], body
    assert body["error_description"].startswith(
        "AADSTS70011: The provided request must include a 'scope' input parameter. The "
        f"provided value for the input parameter 'scope' is not valid. The scope {scope} is "
        "not valid. .default scope can't be combined with resource-specific scopes.")


def test_default_with_the_openid_connect_scopes_is_taken(client: AppClient) -> None:
    grant(client, "Inventory.Read")
    response = obo(client, user_token(client), "api://inventory/.default openid offline_access")
    assert response.status_code == 200, response.text
    assert claims(response.json()["access_token"])["scp"] == "Inventory.Read"


def test_consent_for_one_user_covers_only_that_user(client: AppClient,
                                                    idp_app: Starlette) -> None:
    alice_token = user_token(client)
    alice = claims(alice_token)["oid"]
    created = grant(client, "Inventory.Read", consentType="Principal", principalId=alice)
    assert created.status_code == 201, created.text
    assert obo(client, alice_token, "api://inventory/Inventory.Read").status_code == 200
    client.cookies.clear()
    bob_token = user_token(client, upn=BOB)
    refused(obo(client, bob_token, "api://inventory/Inventory.Read"), 65001)


def test_a_tampered_or_foreign_assertion_is_50013(client: AppClient) -> None:
    assertion = user_token(client)
    head, payload, signature = assertion.split(".")
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    body = refused(obo(client, f"{head}.{payload}.{flipped}"), 50013)
    assert "signature value did not match" in body["error_description"]
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    stray = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims(assertion), stray, algorithm="RS256", headers={"kid": "nope"})
    assert "key was not found" in refused(obo(client, forged), 50013)["error_description"]
    garbage = obo(client, "not-a-jwt")
    assert garbage.status_code == 400 and garbage.json()["error_codes"] == [50027]


def test_an_expired_assertion_is_500133(client: AppClient, clock: MockClock) -> None:
    assertion = user_token(client)
    lifetime = claims(assertion)["exp"] - claims(assertion)["iat"]  # 65 to 95 minutes
    clock.advance(timedelta(seconds=lifetime + 60, microseconds=714873))
    now = clock.freeze().strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    body = refused(obo(client, assertion), 500133)
    assert "expiry time of assertion" in body["error_description"]
    # The current time to the tenth of a microsecond, the expiry to the second, as Entra names
    # them (microsoftgraph/msgraph-sdk-dotnet #2551).
    assert f"Current time: {now}, expiry time of assertion " in body["error_description"]


def test_an_assertion_for_another_audience_is_500131(client: AppClient) -> None:
    other: str = tokens_for(client, scope="openid api://inventory/Inventory.Read"
                            )["access_token"]
    assert claims(other)["aud"] == "api://inventory"  # a v1 token: as the scope named it
    body = refused(obo(client, other), 500131)
    assert "'api://inventory'" in body["error_description"]
    assert f"expected audience is '{MIDDLE_ID}'" in body["error_description"]


def test_a_graph_token_as_the_assertion_fails_its_signature_50013(client: AppClient) -> None:
    # A front end that sends its Graph token to the middle tier: Entra checks the signature
    # first, and a Graph token's does not verify as it stands (its header nonce), so the
    # answer is 50013, not an audience error (ADAL .NET #1234, MSAL .NET #1317).
    graph_token: str = tokens_for(client, scope="openid User.Read")["access_token"]
    assert claims(graph_token)["aud"] == GRAPH_ID
    body = refused(obo(client, graph_token), 50013)
    assert "did not match the expected signature value" in body["error_description"]


def test_an_app_only_assertion_is_90083(client: AppClient) -> None:
    app_token = client.post(TOKEN, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": "api://orders/.default"}).json()["access_token"]
    assert (claims(app_token)["aud"], claims(app_token)["ver"]) == ("api://orders", "1.0")
    refused(obo(client, app_token), 90083)


def test_a_token_issued_after_a_revocation_is_exchanged_though_its_iat_is_earlier(
        client: AppClient, clock: MockClock) -> None:
    """An access token's ``iat`` is dated five minutes before its issue, as Entra dates it;
    what a revocation is compared with is the issue itself."""
    before = user_token(client)
    revoked = client.post(f"/graph/{TENANT}/v1.0/users/{claims(before)['oid']}"
                          "/revokeSignInSessions")
    assert revoked.status_code == 200, revoked.text
    clock.advance(timedelta(seconds=1))
    refused(obo(client, before), 50173)
    after = user_token(client)
    assert claims(after)["iat"] < epoch(clock.now())
    assert obo(client, after).status_code == 200


def test_a_disabled_user_is_50057(client: AppClient, idp_app: Starlette) -> None:
    assertion = user_token(client)
    user = idp_app.state.idp.store.tenants[TENANT].users[claims(assertion)["oid"]]
    user.enabled = False
    refused(obo(client, assertion), 50057)


@pytest.mark.parametrize("missing", ["assertion", "scope", "requested_token_use"])
def test_missing_parameters_are_900144(client: AppClient, missing: str) -> None:
    form = {"assertion": user_token(client), "scope": "User.Read", missing: ""}
    response = obo(client, **form)
    assert response.status_code == 400
    assert response.json()["error_codes"] == [900144]
    assert f"'{missing}'" in response.json()["error_description"]


def test_the_middle_tier_authenticates_itself(client: AppClient) -> None:
    response = obo(client, user_token(client), client_secret="wrong-secret-value-0123456789")
    assert response.status_code == 401 and response.json()["error_codes"] == [7000215]


def test_v1_names_the_downstream_resource(client: AppClient) -> None:
    assertion = user_token(client)
    grant(client, "Inventory.Read")
    response = client.post(TOKEN_V1, data={
        "grant_type": JWT_BEARER, "client_id": MIDDLE_ID, "client_secret": MIDDLE_SECRET,
        "assertion": assertion, "resource": "api://inventory",
        "requested_token_use": "on_behalf_of"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["resource"] == "api://inventory" and isinstance(body["expires_in"], str)
    assert claims(body["access_token"])["aud"] == "api://inventory"


# --- Graph oauth2PermissionGrants --------------------------------------------------------------

GRANTS = f"/graph/{TENANT}/v1.0/oauth2PermissionGrants"


def graph_principal(client: AppClient) -> str:
    sp = client.get(f"/graph/{TENANT}/v1.0/servicePrincipals(appId='{GRAPH_ID}')").json()
    return str(sp["id"])


def test_grants_are_listed_read_changed_and_revoked(client: AppClient) -> None:
    created = grant(client, "Inventory.Read").json()
    middle = client.get(f"/graph/{TENANT}/v1.0/servicePrincipals(appId='{MIDDLE_ID}')").json()
    api = client.get(f"/graph/{TENANT}/v1.0/servicePrincipals(appId='{DOWNSTREAM_ID}')").json()
    assert created["clientId"] == middle["id"] and created["resourceId"] == api["id"]
    assert created["consentType"] == "AllPrincipals" and created["principalId"] is None
    item = f"{GRANTS}/{created['id']}"
    assert client.get(item).json()["scope"] == "Inventory.Read"
    listed = client.get(GRANTS, params={"$filter": f"clientId eq '{middle['id']}'"}).json()
    assert [g["id"] for g in listed["value"] if g["resourceId"] == api["id"]] == [created["id"]]
    assert client.patch(item, json={"scope": "Inventory.Read Inventory.Write"}).status_code == 204
    assert client.get(item).json()["scope"] == "Inventory.Read Inventory.Write"
    assert client.delete(item).status_code == 204
    assert client.get(item).status_code == 404
    # Every app starts with an administrator's consent on Graph (one grant per client, resource
    # and principal): Mail.Read is added to it.
    assert grant(client, "Mail.Read", resourceId=GRAPH_ID).status_code == 409
    assert obo(client, user_token(client), "Mail.Read").status_code == 400
    graph_grant = client.get(GRANTS, params={
        "$filter": f"resourceId eq '{graph_principal(client)}'"}).json()["value"]
    admin = next(g for g in graph_grant if g["clientId"] == middle["id"])
    assert client.patch(f"{GRANTS}/{admin['id']}",
                        json={"scope": admin["scope"] + " Mail.Read"}).status_code == 204
    assert obo(client, user_token(client), "Mail.Read").status_code == 200


@pytest.mark.parametrize("fields, target", [
    ({"clientId": "not-a-guid"}, "clientId"),
    ({"clientId": "11111111-2222-4333-8444-555555555555"}, "clientId"),
    ({"resourceId": None}, "resourceId"),
    ({"consentType": "Everyone"}, "consentType"),
    ({"consentType": "Principal"}, "principalId"),
    ({"principalId": "11111111-2222-4333-8444-555555555555"}, "principalId"),
    ({"scope": "api://inventory/Inventory.Read"}, "scope"),
    ({"scope": ""}, "scope"),
    ({"color": "blue"}, "color"),
])
def test_bad_grants_are_refused_naming_the_property(client: AppClient, fields: dict[str, Any],
                                                    target: str) -> None:
    before = client.get(GRANTS).json()["value"]
    response = grant(client, **{"scope": "Inventory.Read", **fields})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["target"] == target
    assert client.get(GRANTS).json()["value"] == before


def test_the_same_grant_twice_is_a_conflict(client: AppClient) -> None:
    assert grant(client, "Inventory.Read").status_code == 201
    assert grant(client, "Inventory.Write").status_code == 409


def test_graph_default_needs_no_grant(client: AppClient) -> None:
    response = obo(client, user_token(client), GRAPH_DEFAULT)
    assert response.status_code == 200, response.text
    assert claims(response.json()["access_token"])["scp"] == "User.Read"
