"""Microsoft Graph's tenant-less root, ``/graph/v1.0/…``: as ``https://graph.microsoft.com``,
it answers a user's Graph token of any organization, for that organization, so an app signed
in through ``/organizations`` (django-allauth's Microsoft provider reads the person from
``/me``) reads another organization's user there as it would on Entra. The tenant-scoped
``/graph/{tenant}/v1.0/…`` still refuses another tenant's token, and the root, which is no
management API, refuses a call without a token."""

from __future__ import annotations

import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    FABRIKAM_ID,
    REDIRECT,
    TENANT,
    ZED,
    CodeGrant,
    auth_params,
    consent,
    page_kind,
    paths,
    pkce_pair,
    redeem,
    redirect_params,
    sign_in,
    two_organizations_config,
)


def _graph_token(client: AppClient, upn: str) -> str:
    """A Graph token (``User.Read`` alone) for ``upn``, signed in through ``/organizations``
    (consenting in another organization)."""
    verifier, challenge = pkce_pair()
    params = auth_params(code_challenge=challenge, code_challenge_method="S256",
                         scope="User.Read")
    page = sign_in(client, client.get(paths("organizations", "2.0")["authorize"],
                                      params=params), upn)
    if page_kind(page) == "consent":
        page = consent(client, page)
    grant = CodeGrant(redirect_params(page)["code"], verifier, REDIRECT, page)
    response = redeem(client, grant, tenant="organizations")
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.mark.idp_config(two_organizations_config())
@pytest.mark.parametrize(("upn", "tenant"), [(ALICE, TENANT), (ZED, FABRIKAM_ID)])
def test_the_root_answers_me_for_the_token_s_own_organization(
        client: AppClient, upn: str, tenant: str) -> None:
    token = _graph_token(client, upn)
    me = client.get("/graph/v1.0/me", params={"$select": "id,displayName,userPrincipalName"},
                    headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["userPrincipalName"] == upn
    assert set(me.json()) == {"@odata.context", "id", "displayName", "userPrincipalName"}
    scoped = client.get(f"/graph/{tenant}/v1.0/me", headers={"Authorization": f"Bearer {token}"})
    assert scoped.json()["userPrincipalName"] == upn


@pytest.mark.idp_config(two_organizations_config())
def test_the_tenant_scoped_api_still_refuses_another_organization_s_token(
        client: AppClient) -> None:
    token = _graph_token(client, ZED)
    me = client.get(f"/graph/{TENANT}/v1.0/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    assert me.json()["error"]["message"] == "Access token validation failure. Invalid tenant."


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt"])
def test_the_root_is_no_management_api(client: AppClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for path in ("/graph/v1.0/users", "/graph/v1.0/me", "/graph/v1.0"):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 401, (path, answer.text)
        assert answer.json()["error"]["code"] == "InvalidAuthenticationToken"
        assert answer.headers["www-authenticate"].startswith('Bearer realm=""')


@pytest.mark.idp_config(two_organizations_config())
def test_the_root_is_also_at_the_host_s_root(client: AppClient) -> None:
    """graph.microsoft.com serves ``/v1.0`` at its host's root: a client resolving ``/v1.0/me``
    against ``{graph_url}`` (Flask-Dance's ``azure.get("/v1.0/me")``) drops ``/graph`` and
    still reaches Graph, answered for its token's organization, its links under ``/v1.0``."""
    token = _graph_token(client, ZED)
    me = client.get("/v1.0/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["userPrincipalName"] == ZED
    assert me.json()["@odata.context"].endswith("/v1.0/$metadata#users/$entity")
    assert "/graph/" not in me.json()["@odata.context"]
    anonymous = client.get("/v1.0/me")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "InvalidAuthenticationToken"
