"""MSAL Python and a Conditional Access authentication context: the claims challenge an API
would send (``acrs`` ``c1``, behind a policy requiring MFA) fails silently with the cue to
interact, and the interactive request asks the authenticator app's code ("Enter code")
before the token carries the context (:mod:`mock_idp.protocol.auth_contexts`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import jwt
import msal
import pytest
from idp_testkit import (
    ALICE,
    ALICE_SECRET,
    CLIENT_ID,
    SECRET,
    alice_with_authenticator,
    https_idp,
    page_kind,
    redirect_params,
    sign_in,
    submit,
)

from mock_idp.config import IdpConfig
from mock_idp.testing import MockIdp

REDIRECT = "http://localhost/auth/callback"
C1 = json.dumps({"access_token": {"acrs": {"essential": True, "value": "c1"}}})
UNDEFINED = json.dumps({"access_token": {"acrs": {"essential": True, "value": "c7"}}})
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tls")


@pytest.fixture
def idp(tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdp]:
    # Alice's authenticator app is asked for only where a context needs it.
    (tenant,) = alice_with_authenticator().tenants
    config = IdpConfig(tenants=(replace(tenant, mfa_at_sign_in=False),))
    with https_idp(config, tls_dir, monkeypatch) as running:
        running.set_auth_contexts({"c1": "mfa"})
        yield running


@pytest.fixture
def app(idp: MockIdp) -> Iterator[msal.ConfidentialClientApplication]:
    client = msal.ConfidentialClientApplication(
        CLIENT_ID, client_credential=SECRET, authority=idp.authority,
        validate_authority=False, instance_discovery=False, verify=str(idp.ca_file))
    yield client
    client.http_client.close()


@pytest.fixture
def browser(idp: MockIdp) -> Iterator[httpx.Client]:
    """A browser's cookie jar and redirects: the sign-in pages answered by their forms."""
    with httpx.Client(base_url=idp.url, verify=idp.tls.client_context() if idp.tls else True,
                      follow_redirects=False, timeout=10) as client:
        yield client


def _access_claims(result: dict[str, Any]) -> dict[str, Any]:
    assert "access_token" in result, result
    out: dict[str, Any] = jwt.decode(result["access_token"], options={"verify_signature": False})
    return out


def _signed_in(app: msal.ConfidentialClientApplication, browser: httpx.Client) -> dict[str, Any]:
    """A sign-in with the password alone (no context asked, so no code)."""
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    answer = sign_in(browser, browser.get(flow["auth_uri"]))
    result: dict[str, Any] = app.acquire_token_by_auth_code_flow(flow, redirect_params(answer))
    assert _access_claims(result)["amr"] == ["pwd"] and "acrs" not in _access_claims(result)
    return result


def test_the_silent_request_with_the_challenge_is_told_to_interact(
        app: msal.ConfidentialClientApplication, browser: httpx.Client) -> None:
    _signed_in(app, browser)
    refused = app.acquire_token_silent_with_error(
        ["User.Read"], account=app.get_accounts()[0], claims_challenge=C1)
    assert refused and refused["error_codes"] == [50076], refused
    assert (refused["error"], refused["suberror"]) == ("invalid_grant", "basic_action")
    assert json.loads(refused["claims"]) == json.loads(C1)


def test_the_interactive_request_with_the_challenge_asks_the_code_and_gets_c1(
        idp: MockIdp, app: msal.ConfidentialClientApplication, browser: httpx.Client) -> None:
    _signed_in(app, browser)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT,
                                       claims_challenge=C1)
    page = browser.get(flow["auth_uri"])  # the session is there: "Enter code" at once
    assert page.status_code == 200 and page_kind(page) == "totp", page.text[:300]
    answer = submit(browser, page, otc=idp.totp_code(ALICE_SECRET))
    result = app.acquire_token_by_auth_code_flow(flow, redirect_params(answer))
    token = _access_claims(result)
    assert token["acrs"] == ["c1"] and token["amr"] == ["pwd", "mfa"], token
    assert result["id_token_claims"]["preferred_username"] == ALICE
    # From now on the silent request with the challenge is served.
    again = app.acquire_token_silent_with_error(
        ["User.Read"], account=app.get_accounts()[0], claims_challenge=C1)
    assert again is not None and _access_claims(again)["acrs"] == ["c1"]


def test_a_context_the_tenant_does_not_define_needs_no_step_up(
        app: msal.ConfidentialClientApplication, browser: httpx.Client) -> None:
    _signed_in(app, browser)
    silent = app.acquire_token_silent_with_error(
        ["User.Read"], account=app.get_accounts()[0], claims_challenge=UNDEFINED)
    assert silent is not None
    token = _access_claims(silent)
    assert token["acrs"] == ["c7"] and token["amr"] == ["pwd"]
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT,
                                       claims_challenge=UNDEFINED)
    answer = browser.get(flow["auth_uri"])  # straight back: no page at all
    interactive = app.acquire_token_by_auth_code_flow(flow, redirect_params(answer))
    assert _access_claims(interactive)["acrs"] == ["c7"]
