"""A parameter given twice is Entra's AADSTS9000411 at every OAuth endpoint, in its shape: the
JSON error of the token and device code endpoints, the error page (no redirect) of authorize,
admin consent and logout. No value is taken, neither the first nor the last."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from asgi_client import AppClient
from idp_testkit import CLIENT_ID, GRAPH_DEFAULT, REDIRECT, SECRET, TENANT, paths

FORM = {"content-type": "application/x-www-form-urlencoded"}
V2 = paths(TENANT, "2.0")
DUPLICATED = "The parameter '{}' is duplicated."


def _query(*pairs: tuple[str, str]) -> str:
    return urlencode(pairs)


@pytest.mark.parametrize("path", [V2["token"], f"/{TENANT}/oauth2/token"])
def test_a_token_request_naming_scope_twice_is_9000411(client: AppClient, path: str) -> None:
    body = _query(("grant_type", "client_credentials"), ("client_id", CLIENT_ID),
                  ("client_secret", SECRET), ("scope", GRAPH_DEFAULT), ("scope", GRAPH_DEFAULT),
                  ("resource", "https://graph.microsoft.com"))
    response = client.post(path, content=body, headers=FORM)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_codes"] == [9000411]
    assert DUPLICATED.format("scope") in response.json()["error_description"]


def test_the_same_request_once_gets_its_token(client: AppClient) -> None:
    body = _query(("grant_type", "client_credentials"), ("client_id", CLIENT_ID),
                  ("client_secret", SECRET), ("scope", GRAPH_DEFAULT))
    response = client.post(V2["token"], content=body, headers=FORM)
    assert response.status_code == 200, response.text


def test_a_device_code_request_naming_client_id_twice_is_9000411(client: AppClient) -> None:
    body = _query(("client_id", CLIENT_ID), ("client_id", CLIENT_ID), ("scope", "openid"))
    response = client.post(f"/{TENANT}/oauth2/v2.0/devicecode", content=body, headers=FORM)
    assert response.status_code == 400, response.text
    assert response.json()["error_codes"] == [9000411]
    assert DUPLICATED.format("client_id") in response.json()["error_description"]


AUTHORIZE = (("client_id", CLIENT_ID), ("response_type", "code"), ("redirect_uri", REDIRECT),
             ("scope", "openid"), ("state", "s"), ("nonce", "n"))


@pytest.mark.parametrize("twice", [("login_hint", "alice@contoso.onmicrosoft.com"),
                                   ("prompt", "login"), ("state", "s")])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_authorize_request_naming_a_parameter_twice_is_an_error_page(
    client: AppClient, twice: tuple[str, str], method: str
) -> None:
    query = _query(*AUTHORIZE, twice, twice)
    if method == "GET":
        response = client.get(f"{V2['authorize']}?{query}")
    else:
        response = client.post(V2["authorize"], content=query, headers=FORM)
    assert response.status_code == 400, response.text[:300]
    assert "location" not in response.headers
    assert "AADSTS9000411" in response.text
    assert DUPLICATED.format(twice[0]).replace("'", "&#39;") in response.text


def test_admin_consent_naming_a_parameter_twice_is_an_error_page(client: AppClient) -> None:
    query = _query(("client_id", CLIENT_ID), ("redirect_uri", REDIRECT), ("state", "a"),
                   ("state", "b"), ("scope", GRAPH_DEFAULT))
    response = client.get(f"/{TENANT}/v2.0/adminconsent?{query}")
    assert response.status_code == 400, response.text[:300]
    assert "location" not in response.headers and "AADSTS9000411" in response.text


def test_a_sign_out_naming_a_parameter_twice_is_an_error_page(client: AppClient) -> None:
    query = _query(("post_logout_redirect_uri", "http://localhost/"),
                   ("post_logout_redirect_uri", "http://localhost/other"))
    response = client.get(f"/{TENANT}/oauth2/v2.0/logout?{query}")
    assert response.status_code == 400, response.text[:300]
    assert "location" not in response.headers and "AADSTS9000411" in response.text
