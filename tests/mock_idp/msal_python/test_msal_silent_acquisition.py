"""MSAL Python's silent calls: served from its cache for every spelling of a scope, and a
refresh token redeemed for another API once its permission is consented to."""

from __future__ import annotations

import pytest
from idp_testkit import CLIENT_ID, GRAPH_DEFAULT, claims, token_requests
from msal_python_kit import API_ID, API_URI, REDIRECT, msal_app, msal_sign_in

from mock_idp.testing import MockIdp

# MSAL Python warns when a flow asks for the code in the query, as these do on purpose: that
# is its default, and what web apps built on it send unless they choose form_post.
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")


def test_silent_acquisition_for_another_api_redeems_the_refresh_token(idp: MockIdp) -> None:
    """Signed in for Graph alone, MSAL asks silently for an API's token with the refresh token
    it holds: refused until the API's permission is consented to, then issued, as Entra's
    multi-resource refresh tokens are."""
    app = msal_app(idp)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    assert "access_token" in app.acquire_token_by_auth_code_flow(
        flow, msal_sign_in(idp, flow["auth_uri"]))
    scopes = [f"{API_URI}/Orders.Read"]
    refused = app.acquire_token_silent_with_error(scopes, account=app.get_accounts()[0])
    assert refused and 65001 in refused["error_codes"], refused
    assert refused["suberror"] == "consent_required"
    idp.grant_consent(CLIENT_ID, API_ID, ["Orders.Read"])
    # A fresh application object on the same cache (MSAL keeps its HTTP 400s for a minute).
    again = msal_app(idp, cache=app.token_cache)
    api = again.acquire_token_silent(scopes, account=again.get_accounts()[0])
    assert api and api["token_source"] == "identity_provider", api
    assert (claims(api["access_token"])["aud"], claims(api["access_token"])["scp"]) == (
        API_URI, "Orders.Read")
    cached = again.acquire_token_silent(scopes, account=again.get_accounts()[0])
    assert cached and cached["token_source"] == "cache", cached


@pytest.mark.parametrize("scopes", [
    ["User.Read"], ["https://graph.microsoft.com/User.Read"], [GRAPH_DEFAULT],
    [f"{API_URI}/Orders.Read"], [f"{API_URI}/.default"], [f"{API_ID}/.default"],
], ids=["graph", "graph-uri", "graph-default", "api", "api-default", "api-default-by-id"])
def test_silent_acquisition_is_served_from_the_cache(idp: MockIdp, scopes: list[str]) -> None:
    """MSAL keeps the token under the response's ``scope`` and serves a silent request only
    when every scope asked is among it: each form (a short name, a full URI, ``.default`` as
    Azure Identity asks) has to come back in it as asked."""
    idp.grant_consent(CLIENT_ID, API_ID, ["Orders.Read"])
    app = msal_app(idp)
    flow = app.initiate_auth_code_flow(scopes, redirect_uri=REDIRECT)
    result = app.acquire_token_by_auth_code_flow(flow, msal_sign_in(idp, flow["auth_uri"]))
    assert "access_token" in result, result
    before = token_requests(idp)
    account = app.get_accounts()[0]
    for _ in range(3):
        silent = app.acquire_token_silent(scopes, account=account)
        assert silent is not None and silent["token_source"] == "cache", silent
        assert silent["access_token"] == result["access_token"]
    assert token_requests(idp) == before, "acquire_token_silent called the token endpoint"
