"""Which session a sign-out ends: only one of the browser that arrives (its cookies), and never
another account than the one a hint names. A hint naming an account that is not signed in in
this browser asks with "Pick an account" when accounts remain (OpenID Connect RP-Initiated
Logout 1.0 §2) and otherwise ends nothing; the browser goes back to the app only when a session
ended. The v2 endpoint asks "Pick an account" even for one account, unless ``logout_hint`` names
it; the v1 endpoint signs a single account out directly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    BOB,
    CLIENT_ID,
    TENANT,
    auth_params,
    claims,
    ctx_of,
    get_code,
    page_kind,
    paths,
    pick_to_sign_out,
    redeem,
    redirect_params,
)
from starlette.applications import Starlette

from mock_idp import create_app
from mock_idp.config import IdpConfig, default_tenant
from mock_idp.directory import OptionalClaim, OptionalClaims
from mock_idp.signin import ids

FRONT = "http://localhost/auth/frontchannel-logout"
SIGNED_OUT = "http://localhost/signed-out"
V2 = paths(TENANT, "2.0")
LOGOUT = {"2.0": f"/{TENANT}/oauth2/v2.0/logout", "1.0": f"/{TENANT}/oauth2/logout"}


@pytest.fixture
def idp() -> Starlette:
    tenant = default_tenant()
    rp = replace(tenant.apps[0], logout_url=FRONT, optional_claims=OptionalClaims(
        id_token=(OptionalClaim(name="login_hint"),)))
    return create_app(IdpConfig(tenants=(replace(tenant, apps=(rp, *tenant.apps[1:])),)))


@pytest.fixture
def browser(idp: Starlette) -> Iterator[AppClient]:
    with AppClient(idp, follow_redirects=False) as client:
        yield client


def sign_in(browser: AppClient, upn: str) -> dict[str, str]:
    """Sign ``upn`` in (another account than the browser's gets the username page); the
    claims of the ID token."""
    grant = get_code(browser, upn=upn, prompt="login")
    return claims(redeem(browser, grant).json()["id_token"])


def frontchannel(browser: AppClient) -> list[str]:
    notes = browser.get("/_mock/notifications", params={"kind": "frontchannel"}).json()
    return [n["payload"]["sid"] for n in notes["notifications"]]


def signed_in_as(browser: AppClient) -> str | None:
    """Who ``prompt=none`` signs in as in this browser, or None."""
    values = redirect_params(browser.get(V2["authorize"], params=auth_params(prompt="none")))
    if "code" not in values:
        return None
    token = redeem(browser, get_code(browser, prompt="none")).json()["id_token"]
    return str(claims(token)["preferred_username"])


def tiles(page_text: str) -> list[str]:
    return re.findall(rf'{ids.TILE_ATTRIBUTE}="([^"]+)"', page_text)


def test_a_logout_hint_for_an_account_signed_out_here_ends_no_other(browser: AppClient) -> None:
    bob = sign_in(browser, BOB)
    browser.get(LOGOUT["2.0"], params={"logout_hint": bob["login_hint"]})
    alice = sign_in(browser, ALICE)
    browser.delete("/_mock/notifications")
    stale = browser.get(LOGOUT["2.0"], params={
        "logout_hint": bob["login_hint"], "post_logout_redirect_uri": SIGNED_OUT})
    assert stale.status_code == 200 and page_kind(stale) == "picker"
    assert tiles(stale.text) == [ALICE]
    assert frontchannel(browser) == []
    assert signed_in_as(browser) == ALICE
    # the user who picks the account signs it out, and goes back to the app
    done = browser.post(LOGOUT["2.0"], data={"ctx": ctx_of(stale.text),
                                             "account": alice["oid"]})
    assert done.status_code == 200 and f'var target = "{SIGNED_OUT}"' in done.text
    assert frontchannel(browser) == [alice["sid"]]


@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_a_stale_id_token_hint_ends_no_other_session(browser: AppClient, version: str) -> None:
    bob = get_code(browser, upn=BOB)
    bob_token = redeem(browser, bob).json()["id_token"]
    browser.get(LOGOUT[version], params={"id_token_hint": bob_token,
                                         "logout_hint": claims(bob_token)["login_hint"]})
    sign_in(browser, ALICE)
    browser.delete("/_mock/notifications")
    stale = browser.get(LOGOUT[version], params={
        "id_token_hint": bob_token, "post_logout_redirect_uri": SIGNED_OUT})
    assert stale.status_code == 200 and page_kind(stale) == "picker"
    assert "location" not in stale.headers and tiles(stale.text) == [ALICE]
    assert frontchannel(browser) == []
    assert signed_in_as(browser) == ALICE


def test_picking_an_account_signed_out_meanwhile_ends_no_other(browser: AppClient) -> None:
    sign_in(browser, ALICE)
    bob = sign_in(browser, BOB)
    picker = browser.get(LOGOUT["2.0"])
    assert tiles(picker.text) == [BOB, ALICE]
    browser.get(LOGOUT["2.0"], params={"logout_hint": bob["login_hint"]})  # another tab
    browser.delete("/_mock/notifications")
    late = browser.post(LOGOUT["2.0"], data={"ctx": ctx_of(picker.text), "account": bob["oid"]})
    assert late.status_code == 200 and page_kind(late) == "picker"
    assert tiles(late.text) == [ALICE]
    assert frontchannel(browser) == []
    assert signed_in_as(browser) == ALICE


def test_a_hint_for_an_account_signed_out_with_no_other_ends_nothing(browser: AppClient) -> None:
    bob = sign_in(browser, BOB)
    browser.get(LOGOUT["2.0"], params={"logout_hint": bob["login_hint"]})
    browser.delete("/_mock/notifications")
    again = browser.get(LOGOUT["2.0"], params={
        "logout_hint": bob["login_hint"], "post_logout_redirect_uri": SIGNED_OUT})
    assert again.status_code == 200 and ids.SIGNED_OUT_HEADING in again.text
    assert "var target = null" in again.text and frontchannel(browser) == []


def test_a_logout_hint_without_the_browsers_cookies_ends_nothing(idp: Starlette,
                                                                 browser: AppClient) -> None:
    """As an ``id_token_hint`` without them (``test_logout``): an app's server ends a user's
    sessions with Graph's ``revokeSignInSessions``, not at the end-session endpoint."""
    token = redeem(browser, get_code(browser)).json()["id_token"]
    with AppClient(idp, follow_redirects=False) as server_side:
        response = server_side.get(LOGOUT["2.0"], params={
            "logout_hint": claims(token)["login_hint"], "post_logout_redirect_uri": SIGNED_OUT})
        assert response.status_code == 200 and ids.SIGNED_OUT_HEADING in response.text
        assert "var target = null" in response.text
    assert frontchannel(browser) == []
    assert signed_in_as(browser) == ALICE


@pytest.mark.parametrize("version", ["2.0", "1.0"])
@pytest.mark.parametrize("client_id", [CLIENT_ID, None])
def test_with_no_session_the_browser_stays_on_the_signed_out_page(
    browser: AppClient, version: str, client_id: str | None
) -> None:
    """The MSAL.js logout doc's conditions for the redirect include "the user has an active
    session with the identity provider"; with ``client_id`` as without it."""
    params = {"post_logout_redirect_uri": SIGNED_OUT, "state": "z",
              **({"client_id": client_id} if client_id else {})}
    response = browser.get(LOGOUT[version], params=params)
    assert response.status_code == 200 and "location" not in response.headers
    assert ids.SIGNED_OUT_HEADING in response.text and "var target = null" in response.text
    get_code(browser)
    signed_in = browser.get(LOGOUT[version], params=params)
    if version == "2.0":
        signed_in = pick_to_sign_out(browser, signed_in)
    assert signed_in.status_code == 200  # the front-channel iframe first, then the app
    assert f'var target = "{SIGNED_OUT}?state=z"' in signed_in.text


def test_a_client_id_not_the_hints_audience_is_named_in_the_error(browser: AppClient) -> None:
    token = redeem(browser, get_code(browser)).json()["id_token"]
    other = "11111111-2222-4333-8444-555555555555"
    response = browser.get(LOGOUT["2.0"], params={"id_token_hint": token, "client_id": other})
    assert response.status_code == 400
    assert (f"AADSTS90014: The &#39;client_id&#39; in the request does not match the audience "
            f"of the &#39;id_token_hint&#39; (&#39;{CLIENT_ID}&#39;)." in response.text)
    assert "is missing" not in response.text
    assert signed_in_as(browser) == ALICE



@pytest.mark.parametrize("hint", ["none", "id_token_hint", "another user's logout_hint"])
def test_the_v2_endpoint_asks_even_for_the_only_account(idp: Starlette, browser: AppClient,
                                                        hint: str) -> None:
    """"ESTS always prompts the user to select the account for /v2/logout endpoint if no account
    is passed" (AzureAD/microsoft-authentication-library-for-js PR #7736)."""
    alice = redeem(browser, get_code(browser)).json()["id_token"]
    with AppClient(idp, follow_redirects=False) as elsewhere:
        bob = claims(redeem(elsewhere, get_code(elsewhere, upn=BOB)).json()["id_token"])
    params = {"post_logout_redirect_uri": SIGNED_OUT, **{
        "none": {},
        "id_token_hint": {"id_token_hint": alice},
        "another user's logout_hint": {"logout_hint": bob["login_hint"]},
    }[hint]}
    picker = browser.get(LOGOUT["2.0"], params=params)
    assert picker.status_code == 200 and page_kind(picker) == "picker"
    assert tiles(picker.text) == [ALICE] and frontchannel(browser) == []
    assert signed_in_as(browser) == ALICE
    done = pick_to_sign_out(browser, picker)
    assert done.status_code == 200 and f'var target = "{SIGNED_OUT}"' in done.text
    assert signed_in_as(browser) is None


def test_a_logout_hint_naming_the_account_skips_the_picker(browser: AppClient) -> None:
    alice = claims(redeem(browser, get_code(browser)).json()["id_token"])
    done = browser.get(LOGOUT["2.0"], params={"logout_hint": alice["login_hint"],
                                              "post_logout_redirect_uri": SIGNED_OUT})
    assert done.status_code == 200 and f'var target = "{SIGNED_OUT}"' in done.text
    assert frontchannel(browser) == [alice["sid"]] and signed_in_as(browser) is None


@pytest.mark.parametrize("hinted", [False, True])
def test_the_v1_endpoint_signs_the_only_account_out_directly(browser: AppClient,
                                                             hinted: bool) -> None:
    """Azure-Samples/active-directory-aspnetcore-webapp-openidconnect-v2 issue #126: the v1
    endpoint signs out without the account selection the v2 one shows."""
    token = redeem(browser, get_code(browser, version="1.0"), version="1.0").json()["id_token"]
    params = {"post_logout_redirect_uri": SIGNED_OUT,
              **({"id_token_hint": token} if hinted else {})}
    done = browser.get(LOGOUT["1.0"], params=params)
    assert done.status_code == 200 and f'var target = "{SIGNED_OUT}"' in done.text
    assert signed_in_as(browser) is None


def test_the_reference_apps_registration_asks_for_the_login_hint_claim(client: AppClient
                                                                        ) -> None:
    """In the default directory, so the reference RP's ``logout_hint`` skips the v2 picker, as
    a well-configured app's does (the claim stays optional: ``test_claims_request``)."""
    token = claims(redeem(client, get_code(client)).json()["id_token"])
    assert token["login_hint"]
    done = client.get(LOGOUT["2.0"], params={"logout_hint": token["login_hint"]})
    assert done.status_code == 200 and page_kind(done) is None
