"""MSAL Python with continuous access evaluation: a client declaring CP1 gets a long-lived
Microsoft Graph token, Graph challenges it once the user's sessions are revoked, MSAL's silent
call with the challenge goes to the token endpoint and is told to sign the user in, and a new
sign-in's token is accepted; a client without CP1 is never challenged."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import msal
import pytest
from idp_testkit import ALICE, CLIENT_ID, SECRET, browser_sign_in, token_requests

from mock_idp.protocol.claims import access_token_issued
from mock_idp.testing import MockIdp

REDIRECT = "http://localhost/auth/callback"
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tls")


@pytest.fixture
def idp(tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdp]:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    with MockIdp(https=True, tls_dir=tls_dir) as running:
        yield running


def _app(idp: MockIdp, capabilities: list[str] | None) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        CLIENT_ID, client_credential=SECRET, authority=idp.authority,
        validate_authority=False, instance_discovery=False, verify=str(idp.ca_file),
        client_capabilities=capabilities)


def _sign_in(idp: MockIdp, app: msal.ConfidentialClientApplication) -> dict[str, Any]:
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    result: dict[str, Any] = app.acquire_token_by_auth_code_flow(
        flow, browser_sign_in(idp, flow["auth_uri"], REDIRECT))
    assert "access_token" in result, result
    return result


def _me(idp: MockIdp, token: str) -> httpx.Response:
    return idp.http.get(f"/graph/{idp.tenant_id}/v1.0/me",
                        headers={"Authorization": f"Bearer {token}"})


def _challenge_claims(header: str) -> str:
    """The decoded ``claims`` of a ``WWW-Authenticate`` claims challenge, as an app takes it
    out for MSAL's ``claims_challenge``."""
    params = dict(part.strip().split("=", 1) for part in header.removeprefix("Bearer ").split(","))
    assert params["error"] == '"insufficient_claims"', header
    return base64.b64decode(params["claims"].strip('"')).decode()


def test_a_cp1_client_is_challenged_after_revocation_and_signs_in_again(idp: MockIdp) -> None:
    app = _app(idp, ["CP1"])
    try:
        first = _sign_in(idp, app)
        token = first["access_token"]
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["xms_cc"] == ["CP1"]
        assert 24 * 3600 <= first["expires_in"] <= 28 * 3600
        assert claims["exp"] - access_token_issued(claims["iat"]) == first["expires_in"]
        assert _me(idp, token).status_code == 200

        idp.advance(minutes=5)  # later, an administrator revokes the user's sessions
        idp.graph("POST", f"users/{ALICE}/revokeSignInSessions")
        refused = _me(idp, token)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "InvalidAuthenticationToken"
        header = refused.headers["www-authenticate"]
        assert header.startswith('Bearer realm="", authorization_uri="https://login.'
                                 'microsoftonline.com/common/oauth2/authorize"')
        challenge = _challenge_claims(header)
        value = json.loads(challenge)["access_token"]["nbf"]
        assert value["essential"] is True and int(value["value"]) > claims["iat"]

        # The cached token is not returned: MSAL goes to the network with the refresh token.
        account = app.get_accounts()[0]
        before = token_requests(idp)
        again = app.acquire_token_silent_with_error(["User.Read"], account=account,
                                                    claims_challenge=challenge)
        assert token_requests(idp) == before + 1
        assert again and again["error"] == "invalid_grant" and again["error_codes"] == [50173]

        fresh = _sign_in(idp, app)
        assert _me(idp, fresh["access_token"]).status_code == 200
    finally:
        app.http_client.close()


def test_a_client_without_cp1_is_not_challenged(idp: MockIdp) -> None:
    app = _app(idp, None)
    try:
        first = _sign_in(idp, app)
        claims = jwt.decode(first["access_token"], options={"verify_signature": False})
        assert "xms_cc" not in claims and 3600 <= first["expires_in"] <= 5400
        idp.advance(minutes=5)
        idp.graph("POST", f"users/{ALICE}/revokeSignInSessions")
        # An ordinary token stays good until it expires, whatever happened to the user.
        assert _me(idp, first["access_token"]).status_code == 200
    finally:
        app.http_client.close()
