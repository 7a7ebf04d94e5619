"""The authorize endpoint's front-channel tokens: hybrid (``code id_token``) and implicit
(``id_token token``, ``token``) responses, their hashes, the resource of an implicit access
token, and the v1 shape of a hybrid ID token."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from asgi_client import AppClient
from idp_testkit import (
    HYBRID_CLIENT_ID,
    TENANT,
    auth_params,
    claims,
    half_hash,
    hybrid_config,
    paths,
    redirect_params,
    sign_in,
    verified,
)
from starlette.applications import Starlette

from mock_idp.config import AppConfig, IdpConfig

V2 = paths(TENANT, "2.0")["authorize"]

HYBRID = {"client_id": HYBRID_CLIENT_ID, "redirect_uri": "http://localhost/cb"}


@pytest.mark.idp_config(hybrid_config())
def test_hybrid_code_id_token_carries_a_correct_c_hash(client: AppClient) -> None:
    nonce = "odd nonce: +/=?&#%é<>\"'"
    page = client.get(V2, params=auth_params(**HYBRID, response_type="code id_token",
                                             nonce=nonce))
    response = sign_in(client, page)
    parts = urlsplit(response.headers["location"])
    assert parts.fragment, "id_token responses default to the fragment"
    values = redirect_params(response)
    token = values["id_token"]
    body = verified(client, token, audience=HYBRID_CLIENT_ID)
    assert body["c_hash"] == half_hash(values["code"])
    assert "at_hash" not in body
    assert body["nonce"] == nonce
    assert body["sid"] == values["session_state"]


@pytest.mark.idp_config(hybrid_config())
def test_implicit_id_token_token_carries_a_correct_at_hash(client: AppClient) -> None:
    page = client.get(V2, params=auth_params(**HYBRID, response_type="id_token token"))
    values = redirect_params(sign_in(client, page))
    body = claims(values["id_token"])
    assert body["at_hash"] == half_hash(values["access_token"])
    assert "c_hash" not in body
    assert values["token_type"] == "Bearer"


def _with_api(config: IdpConfig) -> IdpConfig:
    tenant = config.tenants[0]
    api = AppConfig(client_id=ORDERS_ID, name="Orders API", identifier_uris=("api://orders",))
    return replace(config, tenants=(replace(tenant, apps=(*tenant.apps, api)),))


ORDERS_ID = "9c1e4b7a-2d3f-4e5a-8b6c-7d8e9f0a1b2c"


@pytest.mark.idp_config(_with_api(hybrid_config()))
@pytest.mark.parametrize(("scope", "aud", "scp"), [
    ("openid api://orders/Orders.Read", "api://orders", "Orders.Read"),
    ("openid profile User.Read", "00000003-0000-0000-c000-000000000000",
     "openid profile User.Read"),
], ids=["api", "graph"])
def test_an_implicit_access_token_is_for_the_resource_asked(
        client: AppClient, scope: str, aud: str, scp: str) -> None:
    page = client.get(V2, params=auth_params(**HYBRID, response_type="token", scope=scope))
    at = claims(redirect_params(sign_in(client, page))["access_token"])
    assert (at["aud"], at["scp"], at["ver"]) == (aud, scp, "1.0")


@pytest.mark.idp_config(_with_api(hybrid_config()))
def test_an_implicit_token_for_an_unknown_resource_is_500011(client: AppClient,
                                                             idp_app: Starlette) -> None:
    # On Entra's error page, before anyone signs in.
    page = client.get(V2, params=auth_params(**HYBRID, response_type="id_token token",
                                             scope="openid api://nobody/read"))
    assert page.status_code == 400 and "AADSTS500011" in page.text
    assert "api://nobody" in page.text and "location" not in page.headers
    assert not idp_app.state.idp.store.id_tokens


@pytest.mark.idp_config(hybrid_config())
def test_query_mode_is_refused_for_id_tokens(client: AppClient) -> None:
    response = client.get(V2, params=auth_params(**HYBRID, response_type="id_token",
                                                 response_mode="query"))
    assert redirect_params(response)["error"] == "invalid_request"


@pytest.mark.idp_config(hybrid_config())
def test_v1_hybrid_id_token_has_the_v1_shape(client: AppClient) -> None:
    page = client.get(paths(TENANT, "1.0")["authorize"], params=auth_params(
        **HYBRID, response_type="code id_token"))
    values = redirect_params(sign_in(client, page))
    header = json.loads(base64.urlsafe_b64decode(values["id_token"].split(".")[0] + "=="))
    assert header["x5t"] == header["kid"]
    body = claims(values["id_token"])
    assert body["ver"] == "1.0" and body["iss"] == f"https://sts.windows.net/{TENANT}/"
    assert body["c_hash"] == half_hash(values["code"])
