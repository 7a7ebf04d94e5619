"""MSAL Python on authorities other than the tenant's: ``/common`` for a single-tenant app
(AADSTS50194) and ``/organizations`` for a multi-tenant one, with a user of either organization."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from idp_testkit import (
    FABRIKAM_ID,
    ZED,
    consent,
    redirect_params,
    sign_in,
    two_organizations_config,
)
from msal_python_kit import REDIRECT, close_msal_apps, msal_app, msal_sign_in

from mock_idp.testing import MockIdp

# MSAL Python warns when a flow asks for the code in the query, as these do on purpose: that
# is its default, and what web apps built on it send unless they choose form_post.
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")


def test_msal_redeeming_at_common_for_a_single_tenant_app_gets_50194(idp: MockIdp) -> None:
    """The sign-in names the tenant; the code goes to a client built on MSAL's default
    authority, ``/common``. Entra refuses a single-tenant app there, and the code is still good
    at the tenant's endpoint."""
    app = msal_app(idp)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    response = msal_sign_in(idp, flow["auth_uri"])
    common = msal_app(idp, authority=f"{idp.url}/common")
    refused = common.acquire_token_by_auth_code_flow(flow, response)
    assert (refused.get("error"), refused.get("error_codes")) == (
        "invalid_request", [50194]), refused
    assert "access_token" in app.acquire_token_by_auth_code_flow(flow, response)


def test_msal_through_organizations_signs_in_a_multi_tenant_app(idp: MockIdp) -> None:
    registered = idp.add_app("Multi-tenant app", redirect_uris=[REDIRECT],
                             sign_in_audience="AzureADMultipleOrgs")
    app = msal_app(idp, idp.add_secret(registered.client_id), client_id=registered.client_id,
                   authority=f"{idp.url}/organizations")
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    result = app.acquire_token_by_auth_code_flow(flow, msal_sign_in(idp, flow["auth_uri"]))
    assert "access_token" in result, result
    assert result["id_token_claims"]["tid"] == idp.tenant_id


def test_msal_through_organizations_signs_in_a_user_of_another_organization(
        tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A multi-tenant app on MSAL's ``organizations`` authority: a Fabrikam user consents once
    and gets Fabrikam's tokens; MSAL keys the account by that tenant and refreshes silently."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    with MockIdp(two_organizations_config(), https=True, tls_dir=tls_dir) as idp:
        app = msal_app(idp, authority=f"{idp.url}/organizations")
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
            close_msal_apps()
