"""Every claim source in v1 and v2 ID and access tokens, against what Entra documents.

The directory comes from an ``idp.toml`` (so the TOML path is exercised too): a web app whose
registration configures its ID tokens, an API whose registration configures the access tokens
issued for it, groups (nested, a distribution list, one synchronized from Active Directory), app
roles assigned through a group, and directory extensions.

References (Microsoft Learn): optional claims reference
(https://learn.microsoft.com/entra/identity-platform/optional-claims-reference), configure
optional claims (…/optional-claims), ID token claims (…/id-token-claims-reference), access
token claims (…/access-token-claims-reference), group claims
(https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-group-claims).
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from asgi_client import AppClient
from idp_testkit import (
    GRAPH_APP_ID,
    auth_params,
    claims,
    paths,
    pkce_pair,
    redirect_params,
    sign_in,
)

from mock_idp.config import IdpConfig
from mock_idp.protocol.claims import TOKEN_BACKDATE

TID = "0b6f3c2e-1d4a-4f5b-8c7d-9e0a1b2c3d4e"
DOMAIN = "fabrikam.onmicrosoft.com"
WEB = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
API = "4c0e9d2a-6b1f-4e3d-9a8c-7b6d5e4f3a21"
HYBRID = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
SECRET = "abc8Q~an-example-secret-value-of-forty-chars"
REDIRECT = "http://localhost/cb"
ANN = f"ann@{DOMAIN}"
GUEST = f"gil_partner.example#EXT#@{DOMAIN}"
ADMIN_ROLE_ID = "5d3a7c9e-1f2b-4c6d-8e0a-9b8c7d6e5f4a"
BASE = "http://testserver"
PASSWORDS = {ANN: "P@ssw0rd-ann", GUEST: "P@ssw0rd-gil"}

TOML = f"""
[[tenants]]
id = "{TID}"
domain = "{DOMAIN}"
name = "Fabrikam"
country = "fr"
region = "EU"

[[tenants.groups]]
name = "Agents"
members = ["{ANN}"]

[[tenants.groups]]
name = "Tier 2"
members = ["Agents"]

[[tenants.groups]]
name = "Newsletter"
security_enabled = false
mail_enabled = true
members = ["{ANN}"]

[[tenants.groups]]
name = "Legacy admins"
members = ["{ANN}"]
on_premises_sam_account_name = "legacy-admins"
on_premises_domain_name = "fabrikam.local"
on_premises_netbios_name = "FABRIKAM"

[[tenants.apps]]
client_id = "{WEB}"
name = "Helpdesk"
redirect_uris = ["{REDIRECT}"]
api_permissions = ["api://orders/Orders.Read"]
admin_consented = true
group_membership_claims = "SecurityGroup"
app_roles = ["Agent", {{ value = "Admin", id = "{ADMIN_ROLE_ID}" }}]
assignments = [{{ principal = "Agents", role = "Agent" }}, {{ principal = "{GUEST}" }}]
secrets = [{{ value = "{SECRET}" }}]

[tenants.apps.optional_claims]
id_token = ["email", "upn", "family_name", "given_name", "ctry", "acct", "auth_time",
            "login_hint", "xms_pl", "tenant_ctry", "tenant_region_scope", "preferred_username",
            "ipaddr", "not_a_claim",
            {{ name = "extension_{WEB.replace('-', '')}_skypeId", source = "user" }},
            {{ name = "extension_{API.replace('-', '')}_costCenter", source = "user" }}]

[[tenants.apps.extension_properties]]
name = "skypeId"

[[tenants.apps]]
client_id = "{API}"
name = "Orders API"
identifier_uris = ["api://orders"]
group_membership_claims = "All"
app_roles = ["Orders.Manage"]
assignments = [{{ principal = "{ANN}", role = "Orders.Manage" }}]

[tenants.apps.optional_claims]
access_token = ["email", "upn", "family_name",
                {{ name = "idtyp", additional_properties = ["include_user_token"] }},
                {{ name = "extension_{API.replace('-', '')}_costCenter", source = "user" }}]

[[tenants.apps.extension_properties]]
name = "costCenter"
data_type = "Integer"

[[tenants.apps]]
client_id = "{HYBRID}"
name = "Hybrid"
redirect_uris = ["{REDIRECT}"]
allow_id_token = true
group_membership_claims = "SecurityGroup"
secrets = [{{ value = "{SECRET}" }}]

[[tenants.users]]
upn = "{ANN}"
name = "Ann Archer"
given_name = "Ann"
family_name = "Archer"
password = "P@ssw0rd-ann"
country = "FR"
preferred_language = "fr-FR"
extensions = {{ skypeId = "ann.archer", costCenter = 4711 }}

[[tenants.users]]
upn = "{GUEST}"
name = "Gil Guest"
password = "P@ssw0rd-gil"
email = "gil@partner.example"
user_type = "Guest"
"""


def _config() -> IdpConfig:
    return IdpConfig.from_mapping(tomllib.loads(TOML))


CONFIG = _config()


def _sign_in(client: AppClient, *, version: str, client_id: str = WEB, upn: str = ANN,
             scope: str = "openid profile email offline_access",
             resource: str | None = None) -> dict[str, Any]:
    verifier, challenge = pkce_pair()
    if resource is None and version != "2.0":
        resource = GRAPH_APP_ID
    params = auth_params(client_id=client_id, redirect_uri=REDIRECT, scope=scope,
                         code_challenge=challenge, code_challenge_method="S256")
    if resource is not None:
        params["resource"] = resource
    page = client.get(paths(TID, version)["authorize"], params=params)
    # A second sign-in in the same client reuses the provider's session (no page).
    response = page if page.status_code == 302 else sign_in(client, page, upn, PASSWORDS[upn])
    code = redirect_params(response)["code"]
    token = client.post(paths(TID, version)["token"], data={
        "grant_type": "authorization_code", "client_id": client_id, "client_secret": SECRET,
        "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier,
        **({"resource": resource} if resource else {})})
    assert token.status_code == 200, token.text
    body: dict[str, Any] = token.json()
    return body


def _ann_id(client: AppClient) -> str:
    found: str = client.get(f"/graph/{TID}/v1.0/users/{ANN}").json()["id"]
    return found


def _group_ids(client: AppClient, *names: str) -> list[str]:
    groups = client.get(f"/graph/{TID}/v1.0/groups").json()["value"]
    by_name = {g["displayName"]: g["id"] for g in groups}
    return [by_name[n] for n in names]


# --- ID tokens: the web app's registration -------------------------------------------------------

@pytest.mark.idp_config(CONFIG)
@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_id_token_carries_what_the_app_configures(client: AppClient, version: str) -> None:
    idt = claims(_sign_in(client, version=version)["id_token"])
    assert idt["ver"] == version
    # Roles: assigned to the "Agents" group Ann is a direct member of.
    assert idt["roles"] == ["Agent"]
    # SecurityGroup: security groups, nested ones included ("Tier 2" through "Agents"), not the
    # distribution list; values are object ids.
    assert idt["groups"] == _group_ids(client, "Agents", "Tier 2", "Legacy admins")
    assert "hasgroups" not in idt and "_claim_names" not in idt
    # Optional claims with values, as configured.
    assert idt["email"] == ANN and idt["upn"] == ANN
    assert idt["family_name"] == "Archer" and idt["given_name"] == "Ann"
    assert idt["ctry"] == "FR" and idt["acct"] == 0 and idt["xms_pl"] == "fr-FR"
    assert idt["tenant_ctry"] == "FR" and idt["tenant_region_scope"] == "EU"
    # no later than the issue, which Entra's iat puts five minutes before
    assert isinstance(idt["auth_time"], int) and idt["auth_time"] <= idt["iat"] + TOKEN_BACKDATE
    assert isinstance(idt["login_hint"], str) and idt["ipaddr"] == "127.0.0.1"
    # A directory extension of this app, under its JWT name; another app's is not emitted.
    assert idt["extn.skypeId"] == "ann.archer"
    assert "extn.costCenter" not in idt
    # An unknown optional claim is accepted in the manifest and never emitted.
    assert "not_a_claim" not in idt
    # preferred_username: v2 by default (profile scope), v1 through the optional claim.
    assert idt["preferred_username"] == ANN


@pytest.mark.idp_config(CONFIG)
@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_id_token_of_an_app_that_configures_nothing(client: AppClient, version: str) -> None:
    client.patch(f"/graph/{TID}/v1.0/applications(appId='{WEB}')", json={
        "optionalClaims": None, "groupMembershipClaims": None})
    idt = claims(_sign_in(client, version=version, scope="openid profile")["id_token"])
    assert "groups" not in idt and "extn.skypeId" not in idt
    # v1 carries the v1 basic claims anyway; v2 only through optional claims.
    v1_basics = {"upn", "family_name", "given_name", "ipaddr", "unique_name"}
    if version == "1.0":
        assert v1_basics <= set(idt) and "preferred_username" not in idt
    else:
        assert not v1_basics & set(idt) and idt["preferred_username"] == ANN
    # email: a member gets it only through the optional claim or (v2) the email scope.
    assert "email" not in idt
    for absent in ("ctry", "acct", "auth_time", "login_hint", "xms_pl", "tenant_ctry"):
        assert absent not in idt
    assert idt["roles"] == ["Agent"]


@pytest.mark.idp_config(CONFIG)
def test_v2_email_scope_and_profile_scope(client: AppClient) -> None:
    client.patch(f"/graph/{TID}/v1.0/applications(appId='{WEB}')",
                 json={"optionalClaims": None})
    assert claims(_sign_in(client, version="2.0", scope="openid email")["id_token"])[
        "email"] == ANN
    client.patch(f"/graph/{TID}/v1.0/applications(appId='{WEB}')", json={
        "optionalClaims": {"idToken": [{"name": "upn"}, {"name": "family_name"}]}})
    # The v2-specific upn, family_name and given_name need the profile scope.
    idt = claims(_sign_in(client, version="2.0", scope="openid")["id_token"])
    assert "upn" not in idt and "family_name" not in idt
    idt = claims(_sign_in(client, version="2.0", scope="openid profile")["id_token"])
    assert idt["upn"] == ANN and idt["family_name"] == "Archer"


@pytest.mark.idp_config(CONFIG)
@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_guest_email_and_upn(client: AppClient, version: str) -> None:
    client.patch(f"/graph/{TID}/v1.0/applications(appId='{WEB}')", json={
        "optionalClaims": {"idToken": [{"name": "acct"}]}})
    idt = claims(_sign_in(client, version=version, upn=GUEST, scope="openid profile")[
        "id_token"])
    assert idt["email"] == "gil@partner.example"  # by default for guests
    assert idt["acct"] == 1
    if version == "2.0":
        assert "upn" not in idt
        for prop, upn in (("include_externally_authenticated_upn", GUEST),
                          ("include_externally_authenticated_upn_without_hash",
                           GUEST.replace("#", "_"))):
            client.patch(f"/graph/{TID}/v1.0/applications(appId='{WEB}')", json={
                "optionalClaims": {"idToken": [{"name": "upn", "additionalProperties": [prop]}]}})
            again = _sign_in(client, version=version, upn=GUEST, scope="openid profile")
            assert claims(again["id_token"])["upn"] == upn
    assert "groups" not in idt and "roles" not in idt


# --- access tokens: the API's registration -------------------------------------------------------

@pytest.mark.idp_config(CONFIG)
@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_access_token_carries_what_the_api_configures(client: AppClient, version: str) -> None:
    patch = {"api": {"requestedAccessTokenVersion": 1 if version == "1.0" else 2}}
    assert client.patch(f"/graph/{TID}/v1.0/applications(appId='{API}')",
                        json=patch).status_code == 204
    body = _sign_in(client, version="2.0", scope="openid api://orders/Orders.Read")
    at = claims(body["access_token"])
    # A v1 token's aud is the API as the scope named it; a v2 token's is always its app id.
    assert at["aud"] == (API if version == "2.0" else "api://orders") and at["ver"] == version
    assert at["roles"] == ["Orders.Manage"]
    # "All": every group, the distribution list too.
    assert at["groups"] == _group_ids(client, "Agents", "Tier 2", "Newsletter",
                                      "Legacy admins")
    assert at["email"] == ANN and at["upn"] == ANN and at["family_name"] == "Archer"
    assert at["idtyp"] == "user" and at["extn.costCenter"] == 4711
    # Nothing of the client's registration: its roles, its extension, its ID-token claims.
    assert "extn.skypeId" not in at and "Agent" not in at["roles"] and "ctry" not in at
    # The ID token of the same response follows the web app's registration.
    assert claims(body["id_token"])["roles"] == ["Agent"]


@pytest.mark.idp_config(CONFIG)
@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_graph_access_token_has_none_of_the_apps_claims(client: AppClient, version: str) -> None:
    at = claims(_sign_in(client, version=version)["access_token"])
    assert at["aud"] == "00000003-0000-0000-c000-000000000000" and at["ver"] == "1.0"
    for absent in ("roles", "groups", "extn.skypeId", "email", "ctry", "_claim_names"):
        assert absent not in at


@pytest.mark.idp_config(CONFIG)
def test_v1_endpoint_with_resource(client: AppClient) -> None:
    client.patch(f"/graph/{TID}/v1.0/applications(appId='{API}')",
                 json={"api": {"requestedAccessTokenVersion": 1}})
    body = _sign_in(client, version="1.0", scope="openid", resource="api://orders")
    at = claims(body["access_token"])
    assert at["ver"] == "1.0" and at["aud"] == "api://orders" and at["appid"] == WEB
    assert at["roles"] == ["Orders.Manage"] and at["extn.costCenter"] == 4711


# --- group claim formats and filters -------------------------------------------------------------

@pytest.mark.idp_config(CONFIG)
@pytest.mark.parametrize(("membership", "properties", "expected"), [
    ("SecurityGroup", ["sam_account_name"], ["legacy-admins"]),
    ("SecurityGroup", ["dns_domain_and_sam_account_name"], ["fabrikam.local\\legacy-admins"]),
    ("SecurityGroup", ["netbios_domain_and_sam_account_name", "sam_account_name"],
     ["FABRIKAM\\legacy-admins"]),
    ("ApplicationGroup", [], "ids:Agents"),
    ("ApplicationGroup", ["cloud_displayname"], ["Agents"]),
    ("None", [], None),
    ("DirectoryRole", [], None),
])
def test_group_formats(client: AppClient, membership: str, properties: list[str],
                       expected: list[str] | str | None) -> None:
    client.patch(f"/graph/{TID}/v1.0/applications(appId='{WEB}')", json={
        "groupMembershipClaims": membership,
        "optionalClaims": {"idToken": [{"name": "groups",
                                        "additionalProperties": properties}]}})
    idt = claims(_sign_in(client, version="2.0")["id_token"])
    if isinstance(expected, str):
        expected = _group_ids(client, expected.removeprefix("ids:"))
    assert idt.get("groups") == expected


@pytest.mark.idp_config(CONFIG)
def test_emit_as_roles_replaces_app_roles(client: AppClient) -> None:
    client.patch(f"/graph/{TID}/v1.0/applications(appId='{WEB}')", json={
        "optionalClaims": {"idToken": [{"name": "groups",
                                        "additionalProperties": ["emit_as_roles"]}]}})
    idt = claims(_sign_in(client, version="2.0")["id_token"])
    assert idt["roles"] == _group_ids(client, "Agents", "Tier 2", "Legacy admins")
    assert "groups" not in idt and "Agent" not in idt["roles"]


# --- the groups overage --------------------------------------------------------------------------

def _add_groups(client: AppClient, count: int, member: str) -> list[str]:
    ids = []
    for i in range(count):
        created = client.post(f"/graph/{TID}/v1.0/groups", json={
            "displayName": f"Team {i:03d}", "mailNickname": f"team{i:03d}", "mailEnabled": False,
            "securityEnabled": True,
            "members@odata.bind": [f"https://graph.microsoft.com/v1.0/users/{member}"]})
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    return ids


@pytest.mark.idp_config(CONFIG)
@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_overage_round_trip(client: AppClient, version: str) -> None:
    ann = _ann_id(client)
    _add_groups(client, 198, ann)  # 3 security groups already: 201 in all
    body = _sign_in(client, version=version)
    idt = claims(body["id_token"])
    assert "groups" not in idt
    assert idt["_claim_names"] == {"groups": "src1"}
    # Entra's value: Azure AD Graph, which apps must not call (MicrosoftDocs/azure-docs #91865).
    assert idt["_claim_sources"] == {"src1": {
        "endpoint": f"https://graph.windows.net/{TID}/users/{ann}/getMemberObjects"}}
    # What Microsoft tells apps to do: Microsoft Graph's getMemberObjects for the token's oid,
    # here the mock's Graph, with the Graph token of the same sign-in.
    endpoint = f"{BASE}/graph/{TID}/v1.0/users/{idt['oid']}/getMemberObjects"
    refused = client.post(endpoint, json={"securityEnabledOnly": True})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "InvalidAuthenticationToken"
    answer = client.post(endpoint, json={"securityEnabledOnly": True},
                         headers={"Authorization": f"Bearer {body['access_token']}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["@odata.context"].endswith("$metadata#Collection(Edm.String)")
    groups = client.get(f"/graph/{TID}/v1.0/groups", params={"$top": "999"}).json()
    security = [g["id"] for g in groups["value"] if g["securityEnabled"]]
    assert len(answer.json()["value"]) == 201 and set(answer.json()["value"]) == set(security)


@pytest.mark.idp_config(CONFIG)
def test_two_hundred_groups_still_fit(client: AppClient) -> None:
    _add_groups(client, 197, _ann_id(client))
    idt = claims(_sign_in(client, version="2.0")["id_token"])
    assert len(idt["groups"]) == 200 and "_claim_names" not in idt


@pytest.mark.idp_config(CONFIG)
@pytest.mark.parametrize(("extra", "expect_groups"), [(2, True), (3, False)])
def test_implicit_flow_limit_is_five(client: AppClient, extra: int,
                                     expect_groups: bool) -> None:
    _add_groups(client, extra, _ann_id(client))  # 3 + extra security groups
    params = auth_params(client_id=HYBRID, redirect_uri=REDIRECT, response_type="id_token",
                         response_mode="fragment", scope="openid")
    page = client.get(paths(TID, "2.0")["authorize"], params=params)
    idt = claims(redirect_params(sign_in(client, page, ANN, PASSWORDS[ANN]))["id_token"])
    if expect_groups:
        assert len(idt["groups"]) == 5 and "hasgroups" not in idt
    else:
        assert idt["hasgroups"] is True
        assert "groups" not in idt and "_claim_names" not in idt


# --- the test-only escape hatch ------------------------------------------------------------------

@pytest.mark.idp_config(CONFIG)
@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_custom_claims_are_merged_last(client: AppClient, version: str) -> None:
    url = f"/_mock/tenants/{TID}/users/{ANN}/claims"
    put = client.put(url, json={"id_token": {"department": "Night shift", "shift": ["Late"]},
                                "access_token": {"clearance": 3}})
    assert put.status_code == 200, put.text
    client.patch(f"/graph/{TID}/v1.0/applications(appId='{API}')",
                 json={"api": {"requestedAccessTokenVersion": 1 if version == "1.0" else 2}})
    body = _sign_in(client, version="2.0", scope="openid api://orders/Orders.Read")
    idt, at = claims(body["id_token"]), claims(body["access_token"])
    assert idt["department"] == "Night shift" and idt["shift"] == ["Late"]
    assert "clearance" not in idt and at["clearance"] == 3 and "department" not in at
    assert at["roles"] == ["Orders.Manage"]
    client.delete(url)
    assert "department" not in claims(_sign_in(client, version="2.0")["id_token"])


@pytest.mark.idp_config(CONFIG)
def test_custom_claims_never_replace_rh(client: AppClient) -> None:
    """``rh`` names the making of the tenant that issued a token, which the mock's resources
    check: custom claims held however they were set never replace it (Entra restricts it)."""
    tenant = client.app.state.idp.store.resolve_tenant(TID)  # type: ignore[attr-defined]
    tenant.find_user(ANN).custom_claims = {"id_token": {"rh": "0.forged"},
                                           "access_token": {"rh": "0.forged"}}
    body = _sign_in(client, version="2.0", scope="openid api://orders/Orders.Read")
    for token in (body["id_token"], body["access_token"]):
        assert claims(token)["rh"] not in (None, "0.forged")
