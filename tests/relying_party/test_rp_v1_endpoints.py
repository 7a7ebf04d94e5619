"""The relying party on Entra's v1 endpoints, against the mock provider.

It names the access token's resource (Microsoft Graph, which userinfo and the groups overage
are called with); v1 redeems a code that names none for Azure AD Graph. v2 names it through
``scope`` and never sends ``resource``. And the provider's logout notifications for a v1
sign-in carry the v1 issuer the RP validated its ID token against."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_rp_with_mock_idp import B_TLS, CLIENT_ID, RP, TID, World, open_world

from relying_party.login import authorization_url
from relying_party.provider import ClientConfig

GRAPH = "https://graph.microsoft.com"


def _client(authorize: str) -> ClientConfig:
    return ClientConfig(
        source_kind="connection", source_id="c1", client_id="app", client_secret="s",
        auth_method="client_secret_post", authorization_endpoint=authorize,
        token_endpoint=authorize.replace("authorize", "token"),
        discovery_url="https://login.microsoftonline.com/t/.well-known/openid-configuration",
        userinfo_endpoint=None, support_contact="help@example.test")


def _params(authorize: str) -> dict[str, str]:
    url = authorization_url(_client(authorize), redirect_uri="http://rp/cb",
                            scopes=("openid", "profile", "email"), state="s", nonce="n",
                            code_challenge="c", login_hint=None)
    return dict(httpx.URL(url).params)


@pytest.mark.parametrize("authorize", [
    f"https://login.microsoftonline.com/{TID}/oauth2/authorize",
    "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/authorize/",
])
def test_a_v1_authorize_request_names_microsoft_graph(authorize: str) -> None:
    params = _params(authorize)
    assert params["resource"] == GRAPH
    assert params["scope"] == "openid profile email"


@pytest.mark.parametrize("authorize", [
    f"https://login.microsoftonline.com/{TID}/oauth2/v2.0/authorize",
    "https://idp.example.test/oauth2/v1/authorize",
    "https://idp.example.test/authorize",
    # Entra's path shape under another first segment than a tenant's: AD FS refuses a resource
    # it has no relying party for (MSIS9602; snok/django-auth-adfs #13).
    "https://adfs.contoso.test/adfs/oauth2/authorize/",
    "https://acme.my.salesforce.test/services/oauth2/authorize",
])
def test_other_authorize_requests_name_no_resource(authorize: str) -> None:
    assert "resource" not in _params(authorize)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from open_world(tmp_path, B_TLS)  # v1's unsigned ID tokens need TLS


def test_a_v1_sign_in_against_the_mock_gets_a_graph_token(world: World) -> None:
    cid = world.connection("v1")
    location = world.rp.get(f"/sso/{cid}/portal").headers["location"]
    assert httpx.URL(location).params["resource"] == GRAPH
    assert world.rp.get(world.through_idp(location)).status_code == 303
    assert world.rp.get("/api/me").json()["email"] == "alice@contoso.onmicrosoft.com"


def test_a_back_channel_logout_ends_a_v1_sign_in(world: World) -> None:
    graph = f"/graph/{TID}/v1.0"
    registered = world.idp.patch(f"{graph}/applications(appId='{CLIENT_ID}')",
                                 json={"backchannelLogoutUri": f"{RP}/auth/backchannel-logout"})
    assert registered.status_code == 204, registered.text
    cid = world.connection("v1")
    location = world.rp.get(f"/sso/{cid}/portal").headers["location"]
    assert world.rp.get(world.through_idp(location)).status_code == 303
    assert world.rp.get("/api/me").json()["issuer"] == f"https://sts.windows.net/{TID}/"
    ended = world.idp.post(f"{graph}/users/alice@contoso.onmicrosoft.com/revokeSignInSessions")
    assert ended.status_code == 200, ended.text
    [note] = world.idp.get("/_mock/notifications", params={"kind": "backchannel"}).json()[
        "notifications"]
    assert note["status"] == 200, note
    assert world.rp.get("/api/me").status_code == 401
