"""The authorize endpoint: sign-in page, IdP session, prompt, hints, response modes, errors."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    BASE,
    BOB,
    CLIENT_ID,
    DAVE,
    DOMAIN,
    HYBRID_CLIENT_ID,
    REDIRECT,
    TENANT,
    auth_params,
    form_post_fields,
    get_code,
    hybrid_config,
    multi_tenant_config,
    paths,
    redirect_params,
    sign_in,
)
from starlette.applications import Starlette

from mock_idp.endpoints.browser_sessions import SESSION_COOKIE

V2 = paths(TENANT, "2.0")["authorize"]


def _page_error(response, code: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "trouble signing you in" in response.text
    assert f"AADSTS{code}" in response.text


@pytest.mark.idp_config(multi_tenant_config())
@pytest.mark.parametrize("segment", [TENANT, DOMAIN, "common", "organizations"])
@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_sign_in_redirects_with_code_state_and_session_state(
    client: AppClient, segment: str, version: str
) -> None:
    page = client.get(paths(segment, version)["authorize"], params=auth_params(
        redirect_uri="http://127.0.0.1:41234/auth/callback"))
    assert page.status_code == 200
    response = sign_in(client, page)
    location = response.headers["location"]
    assert location.startswith("http://127.0.0.1:41234/auth/callback?code=")
    values = redirect_params(response)
    assert list(values) == ["code", "state", "session_state"]
    assert values["state"] == "st-1"
    assert SESSION_COOKIE in response.cookies


def test_session_makes_the_second_authorize_silent(client: AppClient) -> None:
    first = get_code(client)
    assert first.response.headers.get("set-cookie")
    second = client.get(V2, params=auth_params(state="again"))
    assert second.status_code == 302
    assert second.text == ""
    values = redirect_params(second)
    assert values["state"] == "again" and values["code"] != first.code


def test_session_is_per_browser(client: AppClient, idp_app: Starlette) -> None:
    get_code(client)
    with AppClient(idp_app, follow_redirects=False) as other_browser:
        assert other_browser.get(V2, params=auth_params()).status_code == 200


def test_prompt_none_without_session_is_login_required(client: AppClient) -> None:
    response = client.get(V2, params=auth_params(prompt="none", state="s n"))
    values = redirect_params(response)
    assert list(values) == ["error", "error_description", "error_uri", "state"]
    assert values["error"] == "login_required"
    assert values["error_description"].startswith("AADSTS50058: ")
    assert values["error_uri"] == f"{BASE}/error?code=50058"
    assert values["state"] == "s n"


def test_prompt_none_with_session_returns_a_code(client: AppClient) -> None:
    get_code(client)
    values = redirect_params(client.get(V2, params=auth_params(prompt="none")))
    assert "code" in values


def test_prompt_login_shows_the_page_despite_a_session(client: AppClient) -> None:
    get_code(client)
    page = client.get(V2, params=auth_params(prompt="login"))
    assert page.status_code == 200 and 'name="loginfmt"' in page.text
    values = redirect_params(sign_in(client, page, BOB))
    assert "code" in values


def test_prompt_select_account_without_session_shows_the_sign_in_page(client: AppClient
                                                                      ) -> None:
    page = client.get(V2, params=auth_params(prompt="select_account"))
    assert page.status_code == 200 and 'name="loginfmt"' in page.text


@pytest.mark.parametrize("prompt", ["bogus", "create login", "login consent"])
def test_an_unknown_prompt_or_several_values_is_90023(client: AppClient, prompt: str) -> None:
    values = redirect_params(client.get(V2, params=auth_params(prompt=prompt)))
    assert values["error"] == "invalid_request"
    assert values["error_description"].startswith("AADSTS90023: ")


def test_login_hint_prefills_by_upn_and_by_object_id(client: AppClient,
                                                     idp_app: Starlette) -> None:
    page = client.get(V2, params=auth_params(login_hint=BOB))
    assert f'value="{BOB}"' in page.text
    bob = idp_app.state.idp.store.tenants[TENANT].find_user(BOB)
    page = client.get(V2, params=auth_params(login_hint=bob.id))
    assert f'value="{BOB}"' in page.text


def test_login_hint_for_another_user_is_not_silent(client: AppClient,
                                                   idp_app: Starlette) -> None:
    get_code(client)
    assert client.get(V2, params=auth_params(login_hint=BOB)).status_code == 200
    alice = idp_app.state.idp.store.tenants[TENANT].find_user(ALICE)
    assert client.get(V2, params=auth_params(login_hint=alice.id)).status_code == 302


def test_domain_hint_is_accepted(client: AppClient) -> None:
    page = client.get(V2, params=auth_params(domain_hint=DOMAIN))
    assert page.status_code == 200
    assert "code" in redirect_params(sign_in(client, page))


def test_response_mode_fragment(client: AppClient) -> None:
    page = client.get(V2, params=auth_params(response_mode="fragment"))
    response = sign_in(client, page)
    parts = urlsplit(response.headers["location"])
    assert parts.query == "" and parts.fragment.startswith("code=")


def test_response_mode_form_post(client: AppClient) -> None:
    page = client.get(V2, params=auth_params(response_mode="form_post", state="a\"<b>&c"))
    response = sign_in(client, page)
    assert response.status_code == 200
    assert f'action="{REDIRECT}"' in response.text
    fields = form_post_fields(response)
    assert fields["state"] == "a\"<b>&c"
    assert fields["code"] and fields["session_state"]
    assert "<b>" not in response.text


def test_form_post_errors_post_back_too(client: AppClient) -> None:
    response = client.get(V2, params=auth_params(response_mode="form_post", prompt="none"))
    assert response.status_code == 200
    fields = form_post_fields(response)
    assert fields["error"] == "login_required" and fields["state"] == "st-1"


def test_client_info_when_asked(client: AppClient, idp_app: Starlette) -> None:
    values = redirect_params(get_code(client, client_info="1").response)
    info = json.loads(base64.urlsafe_b64decode(values["client_info"] + "=="))
    alice = idp_app.state.idp.store.tenants[TENANT].find_user(ALICE)
    assert info == {"uid": alice.id, "utid": TENANT}
    assert "client_info" not in redirect_params(get_code(client).response)


def test_loopback_port_is_ignored_but_path_is_not(client: AppClient) -> None:
    ok = client.get(V2, params=auth_params(redirect_uri="http://localhost:1/auth/callback"))
    assert ok.status_code == 200
    bad = client.get(V2, params=auth_params(redirect_uri="http://localhost/auth/other"))
    _page_error(bad, 50011)


# --- errors shown on the provider's own page (never redirected) --------------------------------

def test_redirect_uri_mismatch_is_an_html_page(client: AppClient) -> None:
    response = client.get(V2, params=auth_params(redirect_uri="https://evil.example/cb"))
    _page_error(response, 50011)
    assert "https://evil.example/cb" in response.text


@pytest.mark.parametrize("suffix", [";x", "(1)", ",", "!", "$", "'"])
def test_a_registered_uri_with_a_character_entra_does_not_take_is_a_mismatch(
        client: AppClient, suffix: str) -> None:
    """No registration holds ``! $ ' ( ) , ;`` (the redirect URI restrictions page), so a
    redirect_uri with one never matches and is stopped on the provider's page, not redirected."""
    response = client.get(V2, params=auth_params(redirect_uri=REDIRECT + suffix))
    _page_error(response, 50011)
    assert "location" not in response.headers


def test_unknown_app_is_an_html_page(client: AppClient) -> None:
    response = client.get(V2, params=auth_params(
        client_id="11111111-2222-3333-4444-555555555555"))
    _page_error(response, 700016)


@pytest.mark.parametrize("segment", ["00000000-0000-0000-0000-00000000abcd",
                                     "fabrikam.onmicrosoft.com"])
def test_unknown_tenant_is_an_html_page(client: AppClient, segment: str) -> None:
    _page_error(client.get(paths(segment, "2.0")["authorize"], params=auth_params()), 90002)


def test_malformed_tenant_is_an_html_page(client: AppClient) -> None:
    _page_error(client.get(paths("bad_tenant", "2.0")["authorize"], params=auth_params()),
                900023)


@pytest.mark.idp_config(hybrid_config())
def test_missing_nonce_for_an_id_token_is_an_html_page(client: AppClient) -> None:
    response = client.get(V2, params=auth_params(
        client_id=HYBRID_CLIENT_ID, redirect_uri="http://localhost/cb",
        response_type="code id_token", nonce=None))
    _page_error(response, 90014)
    assert "nonce" in response.text


@pytest.mark.parametrize("name", ["state", "login_hint", "nonce", "claims"])
def test_an_overlong_parameter_is_90015_not_a_missing_field(client: AppClient,
                                                              name: str) -> None:
    """Entra's page for a query that is too long (a long ``state``: bitwarden/server #953),
    not AADSTS90014's claim that the field is missing."""
    response = client.get(V2, params=auth_params(**{name: "s" * 5000}))
    _page_error(response, 90015)
    assert "AADSTS90015: Requested query string is too long." in response.text
    assert "AADSTS90014" not in response.text


def test_error_page_echoes_the_correlation_id(client: AppClient) -> None:
    response = client.get(V2, params=auth_params(redirect_uri="https://evil.example/cb"),
                          headers={"client-request-id": "5fd4118f-0000-4000-8000-000000000001"})
    assert "5fd4118f-0000-4000-8000-000000000001" in response.text
    assert response.headers["x-ms-request-id"] in response.text


# --- errors redirected to the validated redirect URI -------------------------------------------

def test_unassigned_user_gets_interaction_required(client: AppClient) -> None:
    page = client.get(V2, params=auth_params())
    values = redirect_params(sign_in(client, page, DAVE))
    assert values["error"] == "interaction_required"
    assert values["error_description"].startswith("AADSTS50105: ")
    # Entra names the user masked, never by the address (a captured error redirect, 2020).
    assert "The signed in user '{EmailHidden}' is not assigned" in values["error_description"]
    assert DAVE not in values["error_description"] and "dave" not in values["error_description"]
    assert CLIENT_ID in values["error_description"]
    assert values["state"] == "st-1"
    assert "code" not in values


def test_id_token_response_type_not_enabled_is_700054(client: AppClient) -> None:
    values = redirect_params(client.get(V2, params=auth_params(response_type="id_token")))
    assert values["error"] == "unsupported_response_type"
    assert values["error_description"].startswith("AADSTS700054: ")


def test_token_response_type_not_enabled_is_700051(client: AppClient) -> None:
    values = redirect_params(client.get(V2, params=auth_params(response_type="token")))
    assert values["error"] == "unsupported_response_type"
    assert values["error_description"].startswith("AADSTS700051: ")


def test_missing_response_type_is_900144(client: AppClient) -> None:
    values = redirect_params(client.get(V2, params=auth_params(response_type=None)))
    assert values["error"] == "invalid_request"
    assert values["error_description"].startswith("AADSTS900144: ")
    assert "'response_type'" in values["error_description"]


def test_redirected_error_echoes_client_request_id(client: AppClient) -> None:
    response = client.get(V2, params={**auth_params(prompt="none"),
                                      "client-request-id": "c0ffee00-0000-4000-8000-000000000000"})
    assert "Correlation ID: c0ffee00-0000-4000-8000-000000000000" in redirect_params(
        response)["error_description"]


# --- the resource an authorization request names -----------------------------------------------

@pytest.mark.parametrize(("version", "extra"), [
    ("2.0", {"scope": "openid api://nobody/read"}),
    ("1.0", {"resource": "https://nobody.example/api"}),
], ids=["v2-scope", "v1-resource"])
def test_an_unknown_resource_stops_at_the_authorization_request(
        client: AppClient, version: str, extra: dict[str, str]) -> None:
    # Before the sign-in page, on the error page, as Entra shows AADSTS500011 (the source is
    # beside ``authorization._resource``).
    _page_error(client.get(paths(TENANT, version)["authorize"],
                           params=auth_params(**extra)), 500011)


@pytest.mark.idp_config(multi_tenant_config())
def test_under_common_the_resource_waits_for_the_users_tenant(client: AppClient) -> None:
    page = client.get(paths("common", "2.0")["authorize"],
                      params=auth_params(scope="openid api://nobody/read"))
    assert page.status_code == 200 and "loginfmt" in page.text


@pytest.mark.idp_config(multi_tenant_config())
@pytest.mark.parametrize("segment", [TENANT, "common"])
def test_a_v2_resource_must_agree_with_the_scopes(client: AppClient, segment: str) -> None:
    # Graph's URL beside OpenID Connect's scopes (Graph's) is taken; anything else is
    # AADSTS9010010 at the redirect URI (more in test_resource_parameter.py).
    page = client.get(paths(segment, "2.0")["authorize"], params=auth_params(
        resource="https://graph.microsoft.com"))
    assert page.status_code == 200 and "loginfmt" in page.text
    response = client.get(paths(segment, "2.0")["authorize"], params=auth_params(
        resource="https://mcp.example.com"))
    assert redirect_params(response)["error"] == "invalid_target"


def test_a_known_resource_passes_on_v1(client: AppClient) -> None:
    page = client.get(paths(TENANT, "1.0")["authorize"], params=auth_params(
        resource="https://graph.microsoft.com"))
    assert page.status_code == 200 and "loginfmt" in page.text
