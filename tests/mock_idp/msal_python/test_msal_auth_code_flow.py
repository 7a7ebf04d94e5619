"""MSAL Python's auth-code flow: sign-in, refresh, the parameters it sends, ``prompt=create``,
the resource a code is redeemed for, and the Graph token it hands the app as it came."""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt
import msal
import pytest
import requests
from idp_testkit import (
    ALICE,
    CLIENT_ID,
    GRAPH_DEFAULT,
    SECRET,
    claims,
    page_kind,
    redirect_params,
    sign_in,
)
from msal_python_kit import API_URI, REDIRECT, msal_app, msal_sign_in

from mock_idp.testing import MockIdp

# MSAL Python warns when a flow asks for the code in the query, as these do on purpose: that
# is its default, and what web apps built on it send unless they choose form_post.
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")


def test_auth_code_flow_and_refresh(idp: MockIdp) -> None:
    app = msal_app(idp)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    assert flow["auth_uri"].startswith(f"{idp.authority}/oauth2/v2.0/authorize?")
    response = msal_sign_in(idp, flow["auth_uri"])
    assert response["state"] == flow["state"] and "client_info" in response
    result = app.acquire_token_by_auth_code_flow(flow, response)
    assert "access_token" in result, result
    id_claims = result["id_token_claims"]
    assert id_claims["preferred_username"] == ALICE
    assert id_claims["aud"] == CLIENT_ID and id_claims["tid"] == idp.tenant_id
    accounts = app.get_accounts()
    assert [a["username"] for a in accounts] == [ALICE]
    assert accounts[0]["home_account_id"] == f"{id_claims['oid']}.{idp.tenant_id}"
    refreshed = app.acquire_token_silent(["User.Read"], account=accounts[0],
                                         force_refresh=True)
    assert refreshed and "access_token" in refreshed, refreshed
    assert refreshed["token_source"] == "identity_provider"
    assert refreshed["access_token"] != result["access_token"]


def test_an_msal_sign_in_with_an_overlong_state_ends_on_the_90015_page(idp: MockIdp) -> None:
    """MSAL sends the state it is given; one of 5,000 characters is Entra's AADSTS90015 page
    (bitwarden/server #953), before any sign-in."""
    app = msal_app(idp)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT, state="s" * 5000)
    assert idp.tls is not None
    with httpx.Client(verify=idp.tls.client_context(), follow_redirects=False) as browser:
        page = browser.get(flow["auth_uri"])
    assert page.status_code == 400 and "location" not in page.headers
    assert "AADSTS90015: Requested query string is too long." in page.text


class _Recording(requests.Session):
    """MSAL's HTTP client, keeping the URL and body of each request it sends."""

    def __init__(self, verify: str) -> None:
        super().__init__()
        self.verify = verify
        self.sent: list[tuple[str, str]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        body = request.body or ""
        self.sent.append((str(request.url),
                          body.decode() if isinstance(body, bytes) else str(body)))
        return super().send(request, **kwargs)


def _names(query: str) -> list[str]:
    return [name for name, _ in parse_qsl(query, keep_blank_values=True)]


def test_msal_names_no_parameter_twice_so_its_flows_pass_the_duplicate_check(
    idp: MockIdp,
) -> None:
    """The provider refuses a parameter given twice (AADSTS9000411): MSAL sends each once, in
    the authorize URL and in every form it posts, so its sign-in, refresh and client
    credentials flows still get their tokens."""
    session = _Recording(str(idp.ca_file))
    app = msal.ConfidentialClientApplication(
        CLIENT_ID, client_credential=SECRET, authority=idp.authority, validate_authority=False,
        instance_discovery=False, http_client=session)
    try:
        flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT,
                                           login_hint=ALICE, prompt="login")
        result = app.acquire_token_by_auth_code_flow(flow, msal_sign_in(idp, flow["auth_uri"]))
        assert "access_token" in result, result
        account = app.get_accounts()[0]
        assert "access_token" in (app.acquire_token_silent(
            ["User.Read"], account=account, force_refresh=True) or {})
        assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
    finally:
        session.close()
    auth_names = _names(urlsplit(flow["auth_uri"]).query)
    assert len(auth_names) == len(set(auth_names)) and "login_hint" in auth_names
    posts = [(url, body) for url, body in session.sent if url.endswith("/oauth2/v2.0/token")]
    assert len(posts) == 3
    for _, body in posts:
        assert len(_names(body)) == len(set(_names(body))), body


def test_msal_prompt_create_shows_the_sign_in_page_despite_a_session(idp: MockIdp) -> None:
    """``prompt=create`` (MSAL's ``Prompt.CREATE``) is a prompt value Entra takes; the mock
    answers it with a fresh sign-in, as ``prompt=login``, not AADSTS90023."""
    app = msal_app(idp)
    with httpx.Client(base_url=idp.url, verify=idp.tls.client_context() if idp.tls else True,
                      follow_redirects=False, timeout=10) as browser:
        first = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
        assert sign_in(browser, browser.get(first["auth_uri"])).status_code == 302
        assert browser.get(first["auth_uri"]).status_code == 302  # the session answers
        flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT,
                                           prompt=msal.Prompt.CREATE)
        assert "prompt=create" in flow["auth_uri"]
        page = browser.get(flow["auth_uri"])
        assert page.status_code == 200 and page_kind(page) == "username", page.headers
        response = redirect_params(sign_in(browser, page))
    result = app.acquire_token_by_auth_code_flow(flow, response)
    assert "access_token" in result, result


def test_msal_refreshing_after_the_user_got_an_authenticator_app_is_told_50076(
        idp: MockIdp) -> None:
    """Once a user must give a second factor, a refresh token from a sign-in without one gets
    no token: MSAL's silent call answers ``invalid_grant`` with ``suberror`` ``basic_action``
    (its cue to sign the user in interactively)."""
    app = msal_app(idp)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    assert "access_token" in app.acquire_token_by_auth_code_flow(
        flow, msal_sign_in(idp, flow["auth_uri"]))
    idp.add_authenticator(ALICE)
    refused = app.acquire_token_silent_with_error(["User.Read"], account=app.get_accounts()[0],
                                                  force_refresh=True)
    assert refused and refused["error_codes"] == [50076], refused
    assert (refused["error"], refused["suberror"]) == ("invalid_grant", "basic_action")


def test_msal_gets_graphs_permissions_in_entras_spelling(idp: MockIdp) -> None:
    app = msal_app(idp)
    flow = app.initiate_auth_code_flow(["user.read"], redirect_uri=REDIRECT)
    result = app.acquire_token_by_auth_code_flow(flow, msal_sign_in(idp, flow["auth_uri"]))
    assert "User.Read" in result["scope"].split(), result
    assert "User.Read" in claims(result["access_token"])["scp"].split()


def test_msal_redeems_a_code_for_the_resource_it_names(idp: MockIdp) -> None:
    """One sign-in consents to Graph and the API; MSAL redeems the code for the API's scopes
    and gets the API's token, then Graph's from the refresh token."""
    app = msal_app(idp)
    flow = app.initiate_auth_code_flow(["User.Read", f"{API_URI}/access_as_user"],
                                       redirect_uri=REDIRECT)
    result = app.acquire_token_by_auth_code_flow(
        flow, msal_sign_in(idp, flow["auth_uri"]), scopes=[f"{API_URI}/access_as_user"])
    assert "access_token" in result, result
    assert claims(result["access_token"])["aud"] == API_URI
    graph = app.acquire_token_silent(["User.Read"], account=app.get_accounts()[0])
    assert graph and claims(graph["access_token"])["aud"] == "00000003-0000-0000-c000-000000000000"


def test_msal_redeeming_a_code_for_two_resources_gets_28000(idp: MockIdp) -> None:
    """Without ``scopes=``, MSAL redeems the code for every scope the flow asked; with two
    resources among them Entra refuses (AADSTS28000), and so does the mock."""
    app = msal_app(idp)
    flow = app.initiate_auth_code_flow(["User.Read", f"{API_URI}/access_as_user"],
                                       redirect_uri=REDIRECT)
    result = app.acquire_token_by_auth_code_flow(flow, msal_sign_in(idp, flow["auth_uri"]))
    assert result.get("error") == "invalid_request" and result["error_codes"] == [28000], result


def test_the_graph_token_msal_gets_fails_a_standard_check_and_works_at_graph(
        idp: MockIdp) -> None:
    """MSAL hands the app Entra's Graph token as it came: with the header ``nonce`` a JWT
    library refuses, which Graph itself accepts. An app that validates it breaks here as it
    would on Entra."""
    app = msal_app(idp)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    result = app.acquire_token_by_auth_code_flow(flow, msal_sign_in(idp, flow["auth_uri"]))
    token = result["access_token"]
    assert "nonce" in jwt.get_unverified_header(token)
    trust = ssl.create_default_context(cafile=str(idp.ca_file))
    jwks = jwt.PyJWKClient(f"{idp.authority}/discovery/v2.0/keys", ssl_context=trust)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, jwks.get_signing_key_from_jwt(token).key, algorithms=["RS256"],
                   audience="00000003-0000-0000-c000-000000000000")
    me = httpx.get(f"{idp.url}/graph/{idp.tenant_id}/v1.0/me", verify=trust,
                   headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["userPrincipalName"] == ALICE, me.text
