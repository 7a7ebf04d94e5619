"""MSAL Python's on-behalf-of flow: a middle-tier API calls Graph and another API as the
signed-in user; consent and expiry fail with Entra's codes."""

from __future__ import annotations

import pytest
from idp_testkit import ALICE, GRAPH_DEFAULT, claims
from msal_python_kit import (
    API_ID,
    API_SECRET,
    API_URI,
    DOWNSTREAM_ID,
    REDIRECT,
    msal_app,
    msal_sign_in,
)

from mock_idp.testing import MockIdp

# MSAL Python warns when a flow asks for the code in the query, as these do on purpose: that
# is its default, and what web apps built on it send unless they choose form_post.
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")


def test_acquire_token_on_behalf_of(idp: MockIdp) -> None:
    """A web API (the middle tier) called with alice's token calls Graph and another API as
    her, through MSAL's OBO; consent and expiry fail with Entra's codes."""
    front = msal_app(idp)
    flow = front.initiate_auth_code_flow([f"{API_URI}/access_as_user"], redirect_uri=REDIRECT)
    user = front.acquire_token_by_auth_code_flow(flow, msal_sign_in(idp, flow["auth_uri"]))
    assertion = user["access_token"]
    # A v1 token, though MSAL used the v2.0 endpoint: the API's registration leaves
    # requestedAccessTokenVersion unset, and its ID token is still v2.
    assert (claims(assertion)["aud"], claims(assertion)["ver"]) == (API_URI, "1.0")
    assert claims(assertion)["iss"] == f"https://sts.windows.net/{idp.tenant_id}/"
    assert user["id_token_claims"]["ver"] == "2.0"
    middle = msal_app(idp, API_SECRET, client_id=API_ID)

    graph = middle.acquire_token_on_behalf_of(assertion, ["User.Read"])
    assert "access_token" in graph, graph
    at = claims(graph["access_token"])
    assert (at["aud"], at["appid"]) == ("00000003-0000-0000-c000-000000000000", API_ID)
    assert at["oid"] == claims(assertion)["oid"] and "User.Read" in at["scp"].split()

    refused = middle.acquire_token_on_behalf_of(assertion, ["api://stock/Stock.Read"])
    assert refused["error"] == "invalid_grant" and 65001 in refused["error_codes"], refused
    assert refused.get("suberror") == "consent_required"
    idp.grant_consent(API_ID, DOWNSTREAM_ID, ["Stock.Read"])
    # MSAL answers an identical request from its 60-second cache of HTTP 400 responses, so
    # the retry after consent goes through a fresh application object.
    middle = msal_app(idp, API_SECRET, client_id=API_ID)
    stock = middle.acquire_token_on_behalf_of(assertion, ["api://stock/Stock.Read"])
    assert "access_token" in stock, stock
    assert claims(stock["access_token"])["aud"] == "api://stock"  # v1: as the scope named it

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
    expired = msal_app(idp, API_SECRET, client_id=API_ID).acquire_token_on_behalf_of(
        assertion, ["api://stock/Stock.Read"])
    assert expired["error"] == "invalid_grant" and 500133 in expired["error_codes"], expired
