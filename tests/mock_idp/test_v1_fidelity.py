"""Entra's v1 endpoints where they differ from v2: an access token always names its resource
(``resource``; a code redeemed, or a client credentials request made, without one gets Azure
AD Graph's, as does ``https://graph.windows.net`` itself; an implicit token without one is
AADSTS500013), a token for the app itself, ``response_mode=query`` with an ID token, and the
issuer of the logout notifications a v1 sign-in gets."""

from __future__ import annotations

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    CLIENT_ID,
    GRAPH_APP_ID,
    HYBRID_CLIENT_ID,
    SECRET,
    TENANT,
    auth_params,
    claims,
    get_code,
    hybrid_config,
    paths,
    redeem,
    redirect_params,
    sign_in,
)

from mock_idp.config import DEFAULT_DOMAIN

V1 = paths(TENANT, "1.0")
V2 = paths(TENANT, "2.0")
HYBRID = {"client_id": HYBRID_CLIENT_ID, "redirect_uri": "http://localhost/cb"}


def _error(body: dict[str, object], code: int, error: str) -> None:
    assert body["error"] == error, body
    assert body["error_codes"] == [code]
    assert str(body["error_description"]).startswith(f"AADSTS{code}: ")


# --- a v1 access token names its resource -------------------------------------------------------

def test_a_v1_code_for_no_resource_gets_an_azure_ad_graph_token(client: AppClient) -> None:
    grant = get_code(client, version="1.0", resource=None)
    answer = redeem(client, grant, version="1.0")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert claims(body["access_token"])["aud"] == "00000002-0000-0000-c000-000000000000"
    assert body["resource"] == "00000002-0000-0000-c000-000000000000"
    assert claims(body["id_token"])["aud"] == CLIENT_ID
    # the refresh token stays bound to it
    again = client.post(V1["token"], data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"],
        "client_id": CLIENT_ID, "client_secret": SECRET})
    assert again.status_code == 200, again.text
    assert claims(again.json()["access_token"])["aud"] == "00000002-0000-0000-c000-000000000000"


def test_a_v1_client_credentials_request_for_no_resource_gets_an_azure_ad_graph_token(
        client: AppClient) -> None:
    """As a v1 code redeemed for no resource (MicrosoftDocs/azure-docs #64495, on the client
    credentials page; DuendeArchive/IdentityModel #74): a token, not AADSTS900144."""
    answer = client.post(V1["token"], data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    token = claims(body["access_token"])
    assert token["aud"] == body["resource"] == "00000002-0000-0000-c000-000000000000"
    assert token["ver"] == "1.0" and token["idtyp"] == "app"


@pytest.mark.parametrize("grant", ["client_credentials", "authorization_code"])
def test_a_token_asked_for_azure_ad_graph_is_azure_ad_graph_s_which_microsoft_graph_refuses(
        client: AppClient, grant: str) -> None:
    """``resource=https://graph.windows.net`` names Azure AD Graph: the token's ``aud`` is
    that URI, and Microsoft Graph answers it "Invalid audience"
    (microsoftgraph/console-java-connect-sample #1; TheNetworg/oauth2-azure #87)."""
    aad_graph = "https://graph.windows.net"
    if grant == "client_credentials":
        answer = client.post(V1["token"], data={
            "grant_type": grant, "client_id": CLIENT_ID, "client_secret": SECRET,
            "resource": aad_graph})
    else:
        answer = redeem(client, get_code(client, version="1.0", resource=aad_graph),
                        version="1.0")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert claims(body["access_token"])["aud"] == body["resource"] == aad_graph
    if grant == "authorization_code":
        me = client.get(f"/graph/{DEFAULT_DOMAIN}/v1.0/me",
                        headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.status_code == 401, me.text
        assert me.json()["error"]["message"] == "Invalid audience."


def test_a_v1_code_names_its_resource_in_either_request(client: AppClient) -> None:
    grant = get_code(client, version="1.0", resource=GRAPH_APP_ID)
    assert redeem(client, grant, version="1.0").json()["resource"] == GRAPH_APP_ID


def test_v2_needs_no_resource(client: AppClient) -> None:
    grant = get_code(client, version="2.0")
    assert redeem(client, grant, version="2.0").status_code == 200


@pytest.mark.idp_config(hybrid_config())
@pytest.mark.parametrize("response_type", ["token", "id_token token"])
def test_a_v1_implicit_access_token_for_no_resource_is_refused_500013(
        client: AppClient, response_type: str) -> None:
    response = client.get(V1["authorize"], params=auth_params(**HYBRID,
                                                               response_type=response_type))
    assert response.status_code == 302
    values = redirect_params(response)
    assert values["error"] == "invalid_resource"
    assert values["error_description"].startswith("AADSTS500013: ")
    assert values["state"] == "st-1"


@pytest.mark.idp_config(hybrid_config())
def test_a_v1_implicit_access_token_for_a_named_resource(client: AppClient) -> None:
    page = client.get(V1["authorize"], params=auth_params(
        **HYBRID, response_type="id_token token", resource="https://graph.microsoft.com"))
    values = redirect_params(sign_in(client, page))
    assert claims(values["access_token"])["aud"] == "https://graph.microsoft.com"


@pytest.mark.idp_config(hybrid_config())
def test_a_v1_id_token_alone_needs_no_resource(client: AppClient) -> None:
    page = client.get(V1["authorize"], params=auth_params(**HYBRID, response_type="id_token"))
    values = redirect_params(sign_in(client, page))
    assert claims(values["id_token"])["aud"] == HYBRID_CLIENT_ID
    assert "access_token" not in values



# --- a token for the app itself ------------------------------------------------------------------

def _refresh(client: AppClient, refresh_token: str, version: str, **extra: str
             ) -> httpx.Response:
    return client.post(paths(TENANT, version)["token"], data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": refresh_token, **extra})


def test_a_v1_refresh_token_serves_the_app_itself_as_a_sign_in_does(client: AppClient) -> None:
    fresh = redeem(client, get_code(client, version="1.0", resource=CLIENT_ID), version="1.0")
    assert claims(fresh.json()["access_token"])["aud"] == CLIENT_ID
    graph = redeem(client, get_code(client, version="1.0"), version="1.0").json()
    itself = _refresh(client, graph["refresh_token"], "1.0", resource=CLIENT_ID)
    assert itself.status_code == 200, itself.text
    assert itself.json()["resource"] == CLIENT_ID
    assert claims(itself.json()["access_token"])["aud"] == CLIENT_ID


def test_a_v2_refresh_token_serves_the_app_itself_by_default_scope(client: AppClient) -> None:
    graph = redeem(client, get_code(client, version="2.0"), version="2.0").json()
    itself = _refresh(client, graph["refresh_token"], "2.0", scope=f"{CLIENT_ID}/.default")
    assert itself.status_code == 200, itself.text
    assert claims(itself.json()["access_token"])["aud"] == CLIENT_ID


def _own_uri(client: AppClient, client_id: str = CLIENT_ID) -> str:
    uri = f"api://{client_id}"
    patched = client.patch(f"/graph/{TENANT}/v1.0/applications(appId='{client_id}')",
                           json={"identifierUris": [uri]})
    assert patched.status_code == 204, patched.text
    return uri


def test_a_v1_token_for_the_app_itself_by_its_uri_is_refused_90009(client: AppClient) -> None:
    uri = _own_uri(client)
    refused = redeem(client, get_code(client, version="1.0", resource=uri), version="1.0")
    assert refused.status_code == 400
    _error(refused.json(), 90009, "invalid_request")
    assert f"Application '{CLIENT_ID}'({uri}) is requesting a token for itself." in \
        refused.json()["error_description"]
    graph = redeem(client, get_code(client, version="1.0"), version="1.0").json()
    _error(_refresh(client, graph["refresh_token"], "1.0", resource=uri).json(), 90009,
           "invalid_request")
    assert _refresh(client, graph["refresh_token"], "1.0", resource=CLIENT_ID).status_code == 200


@pytest.mark.idp_config(hybrid_config())
def test_a_v1_implicit_token_for_the_app_itself_by_its_uri_is_refused_90009(
        client: AppClient) -> None:
    uri = _own_uri(client, HYBRID_CLIENT_ID)
    page = client.get(V1["authorize"], params=auth_params(**HYBRID, response_type="token",
                                                          resource=uri))
    values = redirect_params(sign_in(client, page))
    assert values["error"] == "invalid_request"
    assert values["error_description"].startswith("AADSTS90009: ")


def test_a_v2_sign_in_for_the_app_itself_by_its_uri_is_taken(client: AppClient) -> None:
    # Entra takes the URI form at a v2 sign-in (Softeria/ms-365-mcp-server #508).
    uri = _own_uri(client)
    body = redeem(client, get_code(client, scope=f"openid {uri}/.default"), version="2.0")
    assert body.status_code == 200, body.text
    assert claims(body.json()["access_token"])["aud"] == uri  # a v1 token: the app's default


def _own_sign_in(client: AppClient, resource: str) -> str:
    """A v2 sign-in for the app itself named by ``resource``; its refresh token."""
    body = redeem(client, get_code(client, scope=f"openid offline_access {resource}/.default"),
                  version="2.0")
    assert body.status_code == 200, body.text
    return str(body.json()["refresh_token"])


def test_a_v2_refresh_naming_no_scope_for_the_app_itself_by_its_uri_is_refused_90009(
        client: AppClient) -> None:
    # Softeria/ms-365-mcp-server #502: an ``api://<own id>`` sign-in is taken, its refresh
    # (which sends no ``scope``: src/lib/microsoft-auth.ts refreshAccessToken) is 90009;
    # DuendeArchive/IdentityModel #528: the message names ``api://<own id>``.
    uri = _own_uri(client)
    refresh_token = _own_sign_in(client, uri)
    refused = _refresh(client, refresh_token, "2.0")
    assert refused.status_code == 400
    _error(refused.json(), 90009, "invalid_request")
    assert f"Application '{CLIENT_ID}'({uri}) is requesting a token for itself." in \
        refused.json()["error_description"]
    # DuendeArchive/IdentityModel #528, open-webui/open-webui #22359: naming the scope, in the
    # same ``api://`` form, the same refresh token is redeemed.
    named = _refresh(client, refresh_token, "2.0", scope=f"openid {uri}/.default")
    assert named.status_code == 200, named.text
    assert claims(named.json()["access_token"])["aud"] == uri


def test_a_v2_refresh_naming_no_scope_for_the_app_itself_by_its_id_is_taken(
        client: AppClient) -> None:
    # Softeria/ms-365-mcp-server PR #508: with the GUID form at sign-in, the refresh succeeds.
    _own_uri(client)
    refreshed = _refresh(client, _own_sign_in(client, CLIENT_ID), "2.0")
    assert refreshed.status_code == 200, refreshed.text
    assert claims(refreshed.json()["access_token"])["aud"] == CLIENT_ID


# --- response_mode=query with a token ------------------------------------------------------------

@pytest.mark.idp_config(hybrid_config())
@pytest.mark.parametrize("version", ["1.0", "2.0"])
@pytest.mark.parametrize("response_type", ["id_token", "code id_token"])
def test_query_with_an_id_token_is_refused_70007(
        client: AppClient, version: str, response_type: str) -> None:
    response = client.get(paths(TENANT, version)["authorize"], params=auth_params(
        **HYBRID, response_type=response_type, response_mode="query", nonce="n1"))
    values = redirect_params(response)
    assert values["error"] == "invalid_request"
    assert values["error_description"].startswith(
        "AADSTS70007: 'query' is not a supported value of 'response_mode' when requesting a "
        "token.")
