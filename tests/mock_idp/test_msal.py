"""MSAL Python against the provider over HTTPS: client credentials, auth-code flow, expiry."""

from __future__ import annotations

import hashlib
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt
import msal
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from idp_testkit import (
    ALICE,
    CLIENT_ID,
    FABRIKAM_ID,
    GRAPH_DEFAULT,
    SECRET,
    ZED,
    Certificate,
    browser_sign_in,
    consent,
    ctx_of,
    login_action,
    page_kind,
    password,
    redirect_params,
    shared_certificate,
    sign_in,
    token_requests,
    two_organizations_config,
)
from idp_testkit import make_certificate as new_certificate

from mock_idp.config import (
    AppConfig,
    CertificateConfig,
    IdpConfig,
    SecretConfig,
    default_tenant,
)
from mock_idp.testing import MockIdp


def client_cert() -> Certificate:
    return shared_certificate("msal client")

REDIRECT = "http://localhost/auth/callback"
# MSAL Python warns when a flow asks for the code in the query, as these do on purpose: that
# is its default, and what web apps built on it send unless they choose form_post.
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")


API_URI = "api://orders-api"
API_ID = "3f7a1c9e-5b2d-4e8f-a6c1-0d9e8f7a6b5c"
API_SECRET = "api8Q~Orders.Api.Middle.Tier.Secret-0123"
DOWNSTREAM_ID = "6b1d3f5a-7c9e-4b2d-8f0a-2c4e6a8b0d1f"


def _config() -> IdpConfig:
    tenant = default_tenant()
    rp = replace(tenant.apps[0], certificates=(CertificateConfig(pem=client_cert().pem),))
    api = AppConfig(client_id=API_ID, name="Orders API", identifier_uris=(API_URI,),
                    secrets=(SecretConfig(value=API_SECRET),))
    downstream = AppConfig(client_id=DOWNSTREAM_ID, name="Stock API",
                           identifier_uris=("api://stock",))
    return IdpConfig(tenants=(replace(tenant, apps=(rp, api, downstream)),))


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tls")


_OPEN: list[msal.ConfidentialClientApplication] = []


@pytest.fixture
def idp(tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdp]:
    # requests lets these variables override a session's ``verify``, which MSAL's is.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    with MockIdp(_config(), https=True, tls_dir=tls_dir) as running:
        assert running.url.startswith("https://")
        try:
            yield running
        finally:
            # Idle keep-alive TLS connections would hold up the server's shutdown.
            while _OPEN:
                _OPEN.pop().http_client.close()


def _msal(idp: MockIdp, credential: Any = SECRET, *, client_id: str = CLIENT_ID,
          cache: msal.TokenCache | None = None, authority: str | None = None
          ) -> msal.ConfidentialClientApplication:
    app = msal.ConfidentialClientApplication(
        client_id, client_credential=credential, authority=authority or idp.authority,
        validate_authority=False, instance_discovery=False, verify=str(idp.ca_file),
        token_cache=cache)
    _OPEN.append(app)
    return app


def _browser_sign_in(idp: MockIdp, auth_uri: str, upn: str = ALICE) -> dict[str, str]:
    return browser_sign_in(idp, auth_uri, REDIRECT, upn)


def test_client_credentials(idp: MockIdp) -> None:
    result = _msal(idp).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer"
    assert result["token_source"] == "identity_provider"


def test_client_credentials_with_a_certificate(idp: MockIdp) -> None:
    der = client_cert().cert.public_bytes(serialization.Encoding.DER)
    key = client_cert().key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()
    credential = {"private_key": key, "thumbprint": hashlib.sha1(der).hexdigest()}
    result = _msal(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result
    credential = {"private_key": key, "public_certificate": client_cert().pem}
    result = _msal(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result


def _certificate_credential(cert: Any, *, by: str) -> dict[str, str]:
    key = cert.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()
    if by == "thumbprint":
        der = cert.cert.public_bytes(serialization.Encoding.DER)
        return {"private_key": key, "thumbprint": hashlib.sha1(der).hexdigest()}
    return {"private_key": key, "public_certificate": cert.pem}


@pytest.mark.parametrize("by", ["thumbprint", "public_certificate"])
def test_a_certificate_registered_through_graph_signs_msal_in(idp: MockIdp, by: str) -> None:
    cert = new_certificate("registered through graph")
    credential = _certificate_credential(cert, by=by)
    refused = _msal(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    assert refused.get("error") == "invalid_client", refused
    idp.add_certificate(CLIENT_ID, cert.cert)
    listed = idp.graph("GET", f"applications(appId='{CLIENT_ID}')").json()["keyCredentials"]
    der = cert.cert.public_bytes(serialization.Encoding.DER)
    assert hashlib.sha1(der).hexdigest().upper() in [c["customKeyIdentifier"] for c in listed]
    result = _msal(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result


def test_msal_signs_in_with_a_certificate_after_the_providers_clock_moved(
        idp: MockIdp) -> None:
    """MSAL signs its assertion with the machine's clock; moving the provider's clock models
    time passing for its records, not a client whose clock is off, so Entra would take it."""
    credential = _certificate_credential(client_cert(), by="thumbprint")
    assert "access_token" in _msal(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    idp.advance(minutes=30)
    result = _msal(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result


def test_an_expired_registered_certificate_is_refused(idp: MockIdp) -> None:
    cert = new_certificate("short-lived registration")
    idp.add_certificate(CLIENT_ID, cert.cert, end=timedelta(days=1))
    credential = _certificate_credential(cert, by="thumbprint")
    assert "access_token" in _msal(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    idp.advance(days=2)
    result = _msal(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    assert result["error"] == "invalid_client" and 700027 in result["error_codes"], result
    assert "The key used is expired" in result["error_description"]


def test_auth_code_flow_and_refresh(idp: MockIdp) -> None:
    app = _msal(idp)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    assert flow["auth_uri"].startswith(f"{idp.authority}/oauth2/v2.0/authorize?")
    response = _browser_sign_in(idp, flow["auth_uri"])
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
    app = _msal(idp)
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
        result = app.acquire_token_by_auth_code_flow(flow, _browser_sign_in(idp, flow["auth_uri"]))
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
    app = _msal(idp)
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
    app = _msal(idp)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    assert "access_token" in app.acquire_token_by_auth_code_flow(
        flow, _browser_sign_in(idp, flow["auth_uri"]))
    idp.add_authenticator(ALICE)
    refused = app.acquire_token_silent_with_error(["User.Read"], account=app.get_accounts()[0],
                                                  force_refresh=True)
    assert refused and refused["error_codes"] == [50076], refused
    assert (refused["error"], refused["suberror"]) == ("invalid_grant", "basic_action")


def test_msal_gets_graphs_permissions_in_entras_spelling(idp: MockIdp) -> None:
    app = _msal(idp)
    flow = app.initiate_auth_code_flow(["user.read"], redirect_uri=REDIRECT)
    result = app.acquire_token_by_auth_code_flow(flow, _browser_sign_in(idp, flow["auth_uri"]))
    assert "User.Read" in result["scope"].split(), result
    assert "User.Read" in _claims(result["access_token"])["scp"].split()


def test_msal_redeems_a_code_for_the_resource_it_names(idp: MockIdp) -> None:
    """One sign-in consents to Graph and the API; MSAL redeems the code for the API's scopes
    and gets the API's token, then Graph's from the refresh token."""
    app = _msal(idp)
    flow = app.initiate_auth_code_flow(["User.Read", f"{API_URI}/access_as_user"],
                                       redirect_uri=REDIRECT)
    result = app.acquire_token_by_auth_code_flow(
        flow, _browser_sign_in(idp, flow["auth_uri"]), scopes=[f"{API_URI}/access_as_user"])
    assert "access_token" in result, result
    assert _claims(result["access_token"])["aud"] == API_URI
    graph = app.acquire_token_silent(["User.Read"], account=app.get_accounts()[0])
    assert graph and _claims(graph["access_token"])["aud"] == "00000003-0000-0000-c000-000000000000"


def test_msal_redeeming_a_code_for_two_resources_gets_28000(idp: MockIdp) -> None:
    """Without ``scopes=``, MSAL redeems the code for every scope the flow asked; with two
    resources among them Entra refuses (AADSTS28000), and so does the mock."""
    app = _msal(idp)
    flow = app.initiate_auth_code_flow(["User.Read", f"{API_URI}/access_as_user"],
                                       redirect_uri=REDIRECT)
    result = app.acquire_token_by_auth_code_flow(flow, _browser_sign_in(idp, flow["auth_uri"]))
    assert result.get("error") == "invalid_request" and result["error_codes"] == [28000], result


def test_silent_acquisition_for_another_api_redeems_the_refresh_token(idp: MockIdp) -> None:
    """Signed in for Graph alone, MSAL asks silently for an API's token with the refresh token
    it holds: refused until the API's permission is consented to, then issued, as Entra's
    multi-resource refresh tokens are."""
    app = _msal(idp)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    assert "access_token" in app.acquire_token_by_auth_code_flow(
        flow, _browser_sign_in(idp, flow["auth_uri"]))
    scopes = [f"{API_URI}/Orders.Read"]
    refused = app.acquire_token_silent_with_error(scopes, account=app.get_accounts()[0])
    assert refused and 65001 in refused["error_codes"], refused
    assert refused["suberror"] == "consent_required"
    idp.grant_consent(CLIENT_ID, API_ID, ["Orders.Read"])
    # A fresh application object on the same cache (MSAL keeps its HTTP 400s for a minute).
    again = _msal(idp, cache=app.token_cache)
    api = again.acquire_token_silent(scopes, account=again.get_accounts()[0])
    assert api and api["token_source"] == "identity_provider", api
    assert (_claims(api["access_token"])["aud"], _claims(api["access_token"])["scp"]) == (
        API_URI, "Orders.Read")
    cached = again.acquire_token_silent(scopes, account=again.get_accounts()[0])
    assert cached and cached["token_source"] == "cache", cached


def test_the_graph_token_msal_gets_fails_a_standard_check_and_works_at_graph(
        idp: MockIdp) -> None:
    """MSAL hands the app Entra's Graph token as it came: with the header ``nonce`` a JWT
    library refuses, which Graph itself accepts. An app that validates it breaks here as it
    would on Entra."""
    app = _msal(idp)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    result = app.acquire_token_by_auth_code_flow(flow, _browser_sign_in(idp, flow["auth_uri"]))
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


@pytest.mark.parametrize("scopes", [
    ["User.Read"], ["https://graph.microsoft.com/User.Read"], [GRAPH_DEFAULT],
    [f"{API_URI}/Orders.Read"], [f"{API_URI}/.default"], [f"{API_ID}/.default"],
], ids=["graph", "graph-uri", "graph-default", "api", "api-default", "api-default-by-id"])
def test_silent_acquisition_is_served_from_the_cache(idp: MockIdp, scopes: list[str]) -> None:
    """MSAL keeps the token under the response's ``scope`` and serves a silent request only
    when every scope asked is among it: each form (a short name, a full URI, ``.default`` as
    Azure Identity asks) has to come back in it as asked."""
    idp.grant_consent(CLIENT_ID, API_ID, ["Orders.Read"])
    app = _msal(idp)
    flow = app.initiate_auth_code_flow(scopes, redirect_uri=REDIRECT)
    result = app.acquire_token_by_auth_code_flow(flow, _browser_sign_in(idp, flow["auth_uri"]))
    assert "access_token" in result, result
    before = token_requests(idp)
    account = app.get_accounts()[0]
    for _ in range(3):
        silent = app.acquire_token_silent(scopes, account=account)
        assert silent is not None and silent["token_source"] == "cache", silent
        assert silent["access_token"] == result["access_token"]
    assert token_requests(idp) == before, "acquire_token_silent called the token endpoint"


def _claims(token: str) -> dict[str, Any]:
    out: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return out


def test_acquire_token_on_behalf_of(idp: MockIdp) -> None:
    """A web API (the middle tier) called with alice's token calls Graph and another API as
    her, through MSAL's OBO; consent and expiry fail with Entra's codes."""
    front = _msal(idp)
    flow = front.initiate_auth_code_flow([f"{API_URI}/access_as_user"], redirect_uri=REDIRECT)
    user = front.acquire_token_by_auth_code_flow(flow, _browser_sign_in(idp, flow["auth_uri"]))
    assertion = user["access_token"]
    # A v1 token, though MSAL used the v2.0 endpoint: the API's registration leaves
    # requestedAccessTokenVersion unset, and its ID token is still v2.
    assert (_claims(assertion)["aud"], _claims(assertion)["ver"]) == (API_URI, "1.0")
    assert _claims(assertion)["iss"] == f"https://sts.windows.net/{idp.tenant_id}/"
    assert user["id_token_claims"]["ver"] == "2.0"
    middle = _msal(idp, API_SECRET, client_id=API_ID)

    graph = middle.acquire_token_on_behalf_of(assertion, ["User.Read"])
    assert "access_token" in graph, graph
    at = _claims(graph["access_token"])
    assert (at["aud"], at["appid"]) == ("00000003-0000-0000-c000-000000000000", API_ID)
    assert at["oid"] == _claims(assertion)["oid"] and "User.Read" in at["scp"].split()

    refused = middle.acquire_token_on_behalf_of(assertion, ["api://stock/Stock.Read"])
    assert refused["error"] == "invalid_grant" and 65001 in refused["error_codes"], refused
    assert refused.get("suberror") == "consent_required"
    idp.grant_consent(API_ID, DOWNSTREAM_ID, ["Stock.Read"])
    # MSAL answers an identical request from its 60-second cache of HTTP 400 responses, so
    # the retry after consent goes through a fresh application object.
    middle = _msal(idp, API_SECRET, client_id=API_ID)
    stock = middle.acquire_token_on_behalf_of(assertion, ["api://stock/Stock.Read"])
    assert "access_token" in stock, stock
    assert _claims(stock["access_token"])["aud"] == "api://stock"  # v1: as the scope named it

    # ``.default`` comes back in the answer's ``scope`` after what it stood for, so the token
    # MSAL cached for it serves the middle tier's silent request.
    default = middle.acquire_token_on_behalf_of(assertion, [GRAPH_DEFAULT])
    assert "access_token" in default, default
    assert set(default["scope"].split()) >= {"https://graph.microsoft.com/User.Read",
                                             GRAPH_DEFAULT}
    account = middle.get_accounts(username=ALICE)[0]
    silent = middle.acquire_token_silent([GRAPH_DEFAULT], account=account)
    assert silent is not None and silent["token_source"] == "cache", silent
    assert silent["access_token"] == default["access_token"]

    idp.advance(hours=2)
    expired = _msal(idp, API_SECRET, client_id=API_ID).acquire_token_on_behalf_of(
        assertion, ["api://stock/Stock.Read"])
    assert expired["error"] == "invalid_grant" and 500133 in expired["error_codes"], expired


def test_expired_secret_is_7000222(idp: MockIdp) -> None:
    assert "access_token" in _msal(idp).acquire_token_for_client([GRAPH_DEFAULT])
    idp.advance(days=181)
    result = _msal(idp).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" not in result
    assert result["error"] == "invalid_client"
    assert 7000222 in result["error_codes"]
    assert result["error_description"].startswith("AADSTS7000222: ")


def test_a_disabled_app_is_7000112(idp: MockIdp) -> None:
    idp.set_app_enabled(CLIENT_ID, False)
    refused = _msal(idp).acquire_token_for_client([GRAPH_DEFAULT])
    assert (refused.get("error"), refused.get("error_codes")) == (
        "unauthorized_client", [7000112]), refused
    idp.set_app_enabled(CLIENT_ID, True)
    assert "access_token" in _msal(idp).acquire_token_for_client([GRAPH_DEFAULT])


def test_a_disabled_api_gets_msal_no_token_500014(idp: MockIdp) -> None:
    idp.set_app_enabled(API_ID, False)
    refused = _msal(idp).acquire_token_for_client([f"{API_URI}/.default"])
    assert refused.get("error_codes") == [500014], refused
    assert refused["error_description"].startswith(
        f"AADSTS500014: The service principal for resource '{API_URI}' is disabled.")
    idp.set_app_enabled(API_ID, True)
    assert "access_token" in _msal(idp).acquire_token_for_client([f"{API_URI}/.default"])


def test_msal_redeeming_at_common_for_a_single_tenant_app_gets_50194(idp: MockIdp) -> None:
    """The sign-in names the tenant; the code goes to a client built on MSAL's default
    authority, ``/common``. Entra refuses a single-tenant app there, and the code is still good
    at the tenant's endpoint."""
    app = _msal(idp)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    response = _browser_sign_in(idp, flow["auth_uri"])
    common = _msal(idp, authority=f"{idp.url}/common")
    refused = common.acquire_token_by_auth_code_flow(flow, response)
    assert (refused.get("error"), refused.get("error_codes")) == (
        "invalid_request", [50194]), refused
    assert "access_token" in app.acquire_token_by_auth_code_flow(flow, response)


def test_msal_through_organizations_signs_in_a_multi_tenant_app(idp: MockIdp) -> None:
    registered = idp.add_app("Multi-tenant app", redirect_uris=[REDIRECT],
                             sign_in_audience="AzureADMultipleOrgs")
    app = _msal(idp, idp.add_secret(registered.client_id), client_id=registered.client_id,
                authority=f"{idp.url}/organizations")
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    result = app.acquire_token_by_auth_code_flow(flow, _browser_sign_in(idp, flow["auth_uri"]))
    assert "access_token" in result, result
    assert result["id_token_claims"]["tid"] == idp.tenant_id


def test_msal_through_organizations_signs_in_a_user_of_another_organization(
        tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A multi-tenant app on MSAL's ``organizations`` authority: a Fabrikam user consents once
    and gets Fabrikam's tokens; MSAL keys the account by that tenant and refreshes silently."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    with MockIdp(two_organizations_config(), https=True, tls_dir=tls_dir) as idp:
        app = _msal(idp, authority=f"{idp.url}/organizations")
        try:
            flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
            with httpx.Client(base_url=idp.url, verify=idp.tls.client_context() if idp.tls
                              else True, timeout=10) as browser:
                asked = sign_in(browser, browser.get(flow["auth_uri"]), ZED)  # type: ignore[arg-type]
                answer = redirect_params(consent(browser, asked))  # type: ignore[arg-type]
            result = app.acquire_token_by_auth_code_flow(flow, answer)
            assert "access_token" in result, result
            assert result["id_token_claims"]["tid"] == FABRIKAM_ID
            (account,) = app.get_accounts()
            assert account["home_account_id"].endswith(f".{FABRIKAM_ID}")
            silent = app.acquire_token_silent(["User.Read"], account=account, force_refresh=True)
            assert silent and "access_token" in silent, silent
        finally:
            while _OPEN:
                _OPEN.pop().http_client.close()


def test_wrong_secret_is_7000215(idp: MockIdp) -> None:
    result = _msal(idp, "not-the-secret").acquire_token_for_client([GRAPH_DEFAULT])
    assert result["error"] == "invalid_client" and 7000215 in result["error_codes"]


DEVICE_CLIENT_ID = "0c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"


@pytest.fixture
def device_idp(tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdp]:
    """A provider with a public client (a CLI) and a one-second polling interval, so MSAL's
    real sleeps between polls keep the test short."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    tenant = default_tenant()
    cli = AppConfig(client_id=DEVICE_CLIENT_ID, name="Contoso CLI", public_client=True)
    config = IdpConfig(tenants=(replace(tenant, apps=(*tenant.apps, cli)),),
                       device_code_interval=1)
    with MockIdp(config, https=True, tls_dir=tls_dir) as running:
        yield running


def _approve_device(idp: MockIdp, user_code: str, upn: str = ALICE,
                    then: tuple[dict[str, str], ...] = ()) -> str:
    """A person on another device: /devicelogin, the code, username, password, "Are you trying
    to sign in?" Continue (a device-code sign-in asks no "Stay signed in?"), then the forms
    ``then`` (a consent's Accept); returns the last page's text."""
    assert idp.tls is not None
    with httpx.Client(base_url=idp.url, verify=idp.tls.client_context(),
                      follow_redirects=False, timeout=10) as browser:
        page = browser.post("/devicelogin", data={"otc": user_code})
        for form in ({"loginfmt": upn}, {"loginfmt": upn, "passwd": password(upn)},
                     {"answer": "Continue"}, *then):
            assert page.status_code == 200, page.text[:500]
            page = browser.post(login_action(page.text), data={"ctx": ctx_of(page.text), **form})
        return page.text


def test_device_flow(device_idp: MockIdp) -> None:
    app = msal.PublicClientApplication(
        DEVICE_CLIENT_ID, authority=device_idp.authority, validate_authority=False,
        instance_discovery=False, verify=str(device_idp.ca_file))
    try:
        flow = app.initiate_device_flow(scopes=["User.Read"])
        assert flow["verification_uri"] == f"{device_idp.url}/devicelogin", flow
        assert flow["interval"] == 1 and flow["expires_in"] == 900
        flow["expires_at"] = time.time() + 30  # bounds MSAL's polling loop if this test fails
        pages: list[str] = []
        person = threading.Thread(target=lambda: (
            time.sleep(1.5), pages.append(_approve_device(device_idp, flow["user_code"]))))
        person.start()
        started = time.monotonic()
        result = app.acquire_token_by_device_flow(flow)
        person.join(timeout=20)
        assert "access_token" in result, result
        assert time.monotonic() - started >= 1.5  # MSAL polled while the person signed in
        assert pages and "You may now close this window" in pages[0]
        assert result["id_token_claims"]["preferred_username"] == ALICE
        assert [a["username"] for a in app.get_accounts()] == [ALICE]
        polls = [r for r in device_idp.http.get("/_mock/requests").json()["requests"]
                 if r["path"].endswith("/oauth2/v2.0/token")]
        assert len(polls) >= 2, polls
    finally:
        app.http_client.close()


def test_device_flow_errors_reach_msal(device_idp: MockIdp) -> None:
    app = msal.PublicClientApplication(
        DEVICE_CLIENT_ID, authority=device_idp.authority, validate_authority=False,
        instance_discovery=False, verify=str(device_idp.ca_file))
    try:
        flow = app.initiate_device_flow(scopes=["User.Read"])
        device_idp.advance(minutes=16)
        result = app.acquire_token_by_device_flow(flow)
        assert result["error"] == "expired_token" and result["error_codes"] == [70020]
        bad = app.acquire_token_by_device_flow({**flow, "device_code": "DAQABAAEAAAnope",
                                                "expires_at": time.time() + 5})
        assert bad["error"] == "bad_verification_code" and bad["error_codes"] == [70018]
    finally:
        app.http_client.close()


def test_msal_device_flow_through_organizations_signs_in_a_user_of_another_organization(
        tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``az login --use-device-code``'s way: a multi-tenant CLI on MSAL's ``organizations``
    authority; a Fabrikam user signs in at Fabrikam, consents once, and MSAL gets Fabrikam's
    tokens and keys the account by that tenant."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    contoso, fabrikam = two_organizations_config().tenants
    cli = AppConfig(client_id=DEVICE_CLIENT_ID, name="Contoso CLI", public_client=True,
                    sign_in_audience="AzureADMultipleOrgs")
    config = IdpConfig(tenants=(replace(contoso, apps=(*contoso.apps, cli)), fabrikam),
                       device_code_interval=1)
    with MockIdp(config, https=True, tls_dir=tls_dir) as idp:
        app = msal.PublicClientApplication(
            DEVICE_CLIENT_ID, authority=f"{idp.url}/organizations", validate_authority=False,
            instance_discovery=False, verify=str(idp.ca_file))
        try:
            flow = app.initiate_device_flow(scopes=["User.Read"])
            assert "user_code" in flow, flow
            flow["expires_at"] = time.time() + 30  # bounds MSAL's polling if this test fails
            person = threading.Thread(target=_approve_device, args=(
                idp, flow["user_code"], ZED, ({"answer": "Accept"},)))
            person.start()
            result = app.acquire_token_by_device_flow(flow)
            person.join(timeout=20)
            assert "access_token" in result, result
            assert result["id_token_claims"]["tid"] == FABRIKAM_ID
            (account,) = app.get_accounts()
            assert account["home_account_id"].endswith(f".{FABRIKAM_ID}")
        finally:
            app.http_client.close()
