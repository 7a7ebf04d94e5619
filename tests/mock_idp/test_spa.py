"""Single-page apps: redirect URIs of the ``spa`` platform, and what Entra asks of a token request
that comes from a browser (an ``Origin`` header).

A code sent to an SPA redirect URI is redeemed only cross-origin, without a secret, with PKCE;
a code of a web redirect URI (and any other grant) is refused to a browser with AADSTS9002326;
an SPA's refresh tokens end 24 hours after the sign-in; CORS headers go only to a browser.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    CLIENT_ID,
    REDIRECT,
    SECRET,
    TENANT,
    CodeGrant,
    get_code,
    logout_hint,
    paths,
    redeem,
    redirect_params,
    sign_in,
)
from starlette.applications import Starlette

from mock_idp.clock import MockClock
from mock_idp.config import ConfigError, IdpConfig, default_tenant

TOKEN = paths(TENANT, "2.0")["token"]
SPA = "http://localhost:3000/"
ORIGIN = "http://localhost:3000"
ALLOW_ORIGIN = "access-control-allow-origin"


def _spa_config() -> IdpConfig:
    tenant = default_tenant()
    rp = replace(tenant.apps[0], spa_redirect_uris=(SPA,))
    return IdpConfig(tenants=(replace(tenant, apps=(rp,)),))


pytestmark = pytest.mark.idp_config(_spa_config())


def _spa_code(client: AppClient) -> CodeGrant:
    return get_code(client, redirect_uri=SPA)


def _browser_redeem(client: AppClient, grant: CodeGrant, *, origin: str | None = ORIGIN,
                    **extra: str) -> httpx.Response:
    """The code redemption MSAL.js makes: no secret, the verifier, the page's ``Origin``."""
    data = {"grant_type": "authorization_code", "client_id": CLIENT_ID, "code": grant.code,
            "redirect_uri": grant.redirect_uri, "code_verifier": grant.verifier, **extra}
    headers = {"Origin": origin} if origin else {}
    return client.post(TOKEN, data=data, headers=headers)


def _refresh(client: AppClient, refresh_token: str, *, origin: str | None = ORIGIN,
             **extra: str) -> httpx.Response:
    data = {"grant_type": "refresh_token", "client_id": CLIENT_ID,
            "refresh_token": refresh_token, "scope": "openid profile offline_access", **extra}
    headers = {"Origin": origin} if origin else {}
    return client.post(TOKEN, data=data, headers=headers)


def _aadsts(response: httpx.Response, status: int, error: str, code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == error and body["error_codes"] == [code], body
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    return body


def test_a_spa_code_is_redeemed_by_the_browser_without_a_secret(client: AppClient) -> None:
    response = _browser_redeem(client, _spa_code(client))
    assert response.status_code == 200, response.text
    assert response.headers[ALLOW_ORIGIN] == "*"
    body = response.json()
    assert {"access_token", "id_token", "refresh_token"} <= set(body)


def test_a_spa_code_redeemed_without_an_origin_is_refused(client: AppClient) -> None:
    grant = _spa_code(client)
    response = _browser_redeem(client, grant, origin=None)
    _aadsts(response, 400, "invalid_request", 9002327)
    assert ALLOW_ORIGIN not in response.headers
    assert _browser_redeem(client, grant).status_code == 200, "the refusal used nothing up"


@pytest.mark.parametrize("origin", [ORIGIN, None])
def test_a_spa_code_redeemed_with_a_secret_is_refused(client: AppClient,
                                                      origin: str | None) -> None:
    # A server that sends its secret for a code of an SPA redirect URI hears that the client
    # is public, with or without an Origin header (oauth2ms #19).
    response = _browser_redeem(client, _spa_code(client), origin=origin, client_secret=SECRET)
    _aadsts(response, 401, "invalid_client", 700025)


@pytest.mark.parametrize(("origin", "secret"), [(ORIGIN, None), (None, SECRET), (None, None)],
                         ids=["browser", "server-with-secret", "server"])
def test_a_spa_code_asked_for_without_pkce_is_refused(client: AppClient, origin: str | None,
                                                      secret: str | None) -> None:
    # From a browser, and from a server with or without its secret: PKCE is checked first
    # (oauth2-microsoft #26, nuxt-auth-utils #319: servers with a secret and no PKCE).
    params = {"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": SPA,
              "scope": "openid profile", "state": "s", "nonce": "n"}
    page = client.get(paths(TENANT, "2.0")["authorize"], params=params)
    code = redirect_params(sign_in(client, page))["code"]
    data = {"grant_type": "authorization_code", "client_id": CLIENT_ID, "code": code,
            "redirect_uri": SPA, **({"client_secret": secret} if secret else {})}
    response = client.post(TOKEN, headers={"Origin": origin} if origin else {}, data=data)
    _aadsts(response, 400, "invalid_request", 9002325)


def test_a_web_code_redeemed_by_a_browser_is_refused_and_the_page_can_read_why(
        client: AppClient) -> None:
    grant = get_code(client)
    response = _browser_redeem(client, grant)
    body = _aadsts(response, 400, "invalid_request", 9002326)
    assert f"Request origin: '{ORIGIN}'." in body["error_description"]
    assert response.headers[ALLOW_ORIGIN] == "*", "MSAL.js shows this error: CORS lets it"
    assert redeem(client, grant).status_code == 200, "the server can still redeem the code"


def test_client_credentials_from_a_browser_are_refused(client: AppClient) -> None:
    # An Origin header on a client-credentials request gets AADSTS9002326 too (scalar #7424).
    data = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
            "scope": "https://graph.microsoft.com/.default"}
    _aadsts(client.post(TOKEN, data=data, headers={"Origin": ORIGIN}), 400, "invalid_request",
            9002326)
    assert client.post(TOKEN, data=data).status_code == 200


def test_a_server_redemption_gets_no_cors_headers(client: AppClient) -> None:
    ok = redeem(client, get_code(client))
    assert ok.status_code == 200 and ALLOW_ORIGIN not in ok.headers
    failed = client.post(TOKEN, data={"grant_type": "authorization_code", "client_id": CLIENT_ID,
                                      "client_secret": SECRET, "code": "nonsense",
                                      "redirect_uri": REDIRECT})
    assert failed.status_code == 400 and ALLOW_ORIGIN not in failed.headers


def test_an_injected_token_fault_reaches_the_page(client: AppClient) -> None:
    assert client.post("/_mock/faults", json={"kind": "error", "endpoint": "token",
                                              "code": 50076}).status_code == 201
    response = _browser_redeem(client, _spa_code(client))
    _aadsts(response, 400, "invalid_grant", 50076)
    assert response.headers[ALLOW_ORIGIN] == "*"


def test_the_preflight_of_a_token_request(client: AppClient) -> None:
    response = client.request("OPTIONS", TOKEN, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-client-sku"})
    assert response.status_code == 200
    assert response.headers[ALLOW_ORIGIN] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "content-type,x-client-sku"


def test_a_spa_refresh_token_ends_24_hours_after_the_sign_in(client: AppClient,
                                                               clock: MockClock) -> None:
    first = _browser_redeem(client, _spa_code(client)).json()["refresh_token"]
    _aadsts(_refresh(client, first, origin=None), 400, "invalid_request", 9002327)
    _aadsts(_refresh(client, first, client_secret=SECRET), 401, "invalid_client", 700025)
    clock.advance(timedelta(hours=23))
    renewed = _refresh(client, first)
    assert renewed.status_code == 200, renewed.text
    assert renewed.headers[ALLOW_ORIGIN] == "*"
    second = renewed.json()["refresh_token"]
    clock.advance(timedelta(hours=1, seconds=1))
    body = _aadsts(_refresh(client, second), 400, "invalid_grant", 700084)
    assert "fixed, limited lifetime of 1.00:00:00" in body["error_description"]
    assert "The token was issued on 20" in body["error_description"]
    # MSAL.js's isInteractionRequiredError reads the suberror (msal-js #4693, #7033).
    assert body["suberror"] == "bad_token"


def test_a_spa_refresh_token_dropped_past_its_end_is_still_700084(
        client: AppClient, clock: MockClock, idp_app: Starlette) -> None:
    token = _browser_redeem(client, _spa_code(client)).json()["refresh_token"]
    clock.advance(timedelta(days=30))
    idp_app.state.idp.store.refresh_tokens.drop_expired()
    assert token not in idp_app.state.idp.store.refresh_tokens
    body = _aadsts(_refresh(client, token), 400, "invalid_grant", 700084)
    assert "The token was issued on 20" in body["error_description"]


def test_a_web_refresh_token_is_neither_cut_short_nor_given_to_a_browser(
        client: AppClient, clock: MockClock) -> None:
    refresh_token = redeem(client, get_code(client)).json()["refresh_token"]
    clock.advance(timedelta(days=2))
    _aadsts(_refresh(client, refresh_token, client_secret=SECRET), 400, "invalid_request",
            9002326)
    assert _refresh(client, refresh_token, origin=None, client_secret=SECRET).status_code == 200


def test_graph_registers_spa_redirect_uris(client: AppClient) -> None:
    app_path = f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')"
    spa = "https://spa.example/app"
    assert client.patch(app_path, json={"spa": {"redirectUris": [spa, spa]}}).status_code == 204
    app = client.get(app_path).json()
    assert app["spa"] == {"redirectUris": [spa]}
    assert SPA not in app["web"]["redirectUris"]
    grant = get_code(client, redirect_uri=spa)
    assert _browser_redeem(client, grant, origin="https://spa.example").status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"spa": {"redirectUris": ["https://spa.example/#x"]}}, "spa.redirectUris[0]"),
    ({"spa": {"redirectUris": ["not a url"]}}, "spa.redirectUris[0]"),
    ({"spa": {"redirectUris": "https://spa.example/"}}, "spa.redirectUris"),
    ({"spa": {"homePage": "https://spa.example/"}}, "spa.homePage"),
    ({"spa": []}, "spa"),
])
def test_graph_refuses_bad_spa_redirect_uris(client: AppClient, body: dict[str, Any],
                                             field: str) -> None:
    app_path = f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')"
    response = client.patch(app_path, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "Request_BadRequest" and error["target"] == field
    assert client.get(app_path).json()["spa"] == {"redirectUris": [SPA]}, "nothing half-stored"


def test_the_config_file_names_a_bad_spa_redirect_uri() -> None:
    tenant = {"id": "0b6f3c2e-1d4a-4f5b-8c7d-9e0a1b2c3d4e", "domain": "fabrikam.example",
              "apps": [{"client_id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "name": "SPA",
                        "spa_redirect_uris": ["http://localhost:3000/", "nope"]}]}
    with pytest.raises(ConfigError) as raised:
        IdpConfig.from_mapping({"tenants": [tenant]})
    assert "tenants[0].apps[0].spa_redirect_uris[1]" in str(raised.value)
    tenant["apps"][0]["spa_redirect_uris"] = ["http://localhost:3000/"]  # type: ignore[index]
    app = IdpConfig.from_mapping({"tenants": [tenant]}).tenants[0].apps[0]
    assert app.spa_redirect_uris == ("http://localhost:3000/",)


def test_a_spa_redirect_uri_is_a_valid_post_logout_redirect(client: AppClient) -> None:
    spa = "https://spa.example/app"
    app_path = f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')"
    assert client.patch(app_path, json={"spa": {"redirectUris": [spa]}}).status_code == 204
    get_code(client)
    logout = paths(TENANT, "2.0")["authorize"].replace("authorize", "logout")
    for uri, followed in ((spa, True), ("https://other.example/app", False)):
        response = client.get(logout, params={"post_logout_redirect_uri": uri,
                                              "client_id": CLIENT_ID,
                                              "logout_hint": logout_hint(client)})
        assert (response.headers.get("location") == uri) is followed, response.headers


def test_the_console_lists_spa_redirect_uris_as_such(client: AppClient) -> None:
    html = client.get("/_mock/console").text
    assert f"{SPA} (SPA)" in html
    assert "http://localhost/auth/callback, " in html, "the web ones, unmarked"
    assert "http://localhost/auth/callback (SPA)" not in html


def test_mock_idp_registers_a_single_page_app() -> None:
    from mock_idp.testing import MockIdp

    with MockIdp() as idp:
        app = idp.add_app("SPA", spa_redirect_uris=["https://spa.example/"])
        registered = idp.graph("GET", f"applications(appId='{app.client_id}')").json()
    assert registered["spa"] == {"redirectUris": ["https://spa.example/"]}
    assert registered["web"]["redirectUris"] == []


def test_a_spa_code_redeemed_twice_is_told_it_was_redeemed(client: AppClient) -> None:
    # React StrictMode's double handleRedirectPromise: the second try is 54005, not a
    # cross-origin refusal.
    grant = _spa_code(client)
    assert _browser_redeem(client, grant).status_code == 200
    body = _aadsts(_browser_redeem(client, grant), 400, "invalid_grant", 54005)
    assert "already redeemed" in body["error_description"]


def test_the_device_code_endpoint_is_not_readable_cross_origin(client: AppClient) -> None:
    from idp_testkit import TENANT

    answer = client.post(f"/{TENANT}/oauth2/v2.0/devicecode",
                         data={"client_id": CLIENT_ID, "scope": "openid"},
                         headers={"Origin": ORIGIN})
    assert ALLOW_ORIGIN not in answer.headers
    refused = client.post(f"/{TENANT}/oauth2/v2.0/devicecode", data={"scope": "openid"},
                          headers={"Origin": ORIGIN})
    assert refused.status_code == 400 and ALLOW_ORIGIN not in refused.headers
