"""A device code for a multi-tenant app asked through ``/organizations`` or ``/common`` (as
``az login --use-device-code`` asks it): a user of another organization signs in at their own
tenant and the device gets that tenant's tokens, as in the authorization-code flow."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    CLIENT_ID,
    FABRIKAM_ID,
    SECRET,
    TENANT,
    ZED,
    claims,
    consent,
    page_kind,
    paths,
    sign_in,
    submit,
    two_organizations_config,
)
from starlette.applications import Starlette

from mock_idp.config import IdpConfig, UserConfig
from mock_idp.config_fields import stable_oid

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
GUEST = "zed_fabrikam.onmicrosoft.com#EXT#@contoso.onmicrosoft.com"


def _with_guest() -> IdpConfig:
    """Two organizations, the app multi-tenant, and Zed of Fabrikam a guest in Contoso too
    (assigned to the app there)."""
    contoso, fabrikam = two_organizations_config().tenants
    guest = UserConfig(upn=GUEST, name="Zed (guest)", password="", user_type="Guest", home=ZED)
    apps = tuple(replace(a, assigned=(*a.assigned, GUEST)) if a.client_id == CLIENT_ID else a
                 for a in contoso.apps)
    return IdpConfig(tenants=(replace(contoso, users=(*contoso.users, guest), apps=apps),
                              fabrikam))


def _start(client: AppClient, segment: str) -> dict[str, Any]:
    response = client.post(f"/{segment}/oauth2/v2.0/devicecode", data={
        "client_id": CLIENT_ID, "scope": "openid profile offline_access User.Read"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _poll(client: AppClient, segment: str, device_code: str) -> httpx.Response:
    return client.post(paths(segment, "2.0")["token"], data={
        "grant_type": GRANT, "client_id": CLIENT_ID, "client_secret": SECRET,
        "device_code": device_code})


def _approve(idp_app: Starlette, user_code: str) -> httpx.Response:
    """Zed types the code, signs in, confirms the app and, where asked, consents."""
    with AppClient(idp_app, follow_redirects=False) as browser:
        entered = browser.post("/devicelogin", data={"otc": user_code})
        confirm = sign_in(browser, entered, ZED)
        assert "Are you trying to sign in to" in confirm.text, confirm.text[:800]
        done = submit(browser, confirm, answer="Continue")
        return consent(browser, done) if page_kind(done) == "consent" else done


@pytest.mark.idp_config(two_organizations_config())
@pytest.mark.parametrize("segment", ["organizations", "common"])
def test_a_user_of_another_organization_signs_in_at_home_through_an_alias(
        idp_app: Starlette, client: AppClient, segment: str) -> None:
    flow = _start(client, segment)
    pending = _poll(client, segment, flow["device_code"])
    assert pending.json()["error_codes"] == [70016], pending.text
    done = _approve(idp_app, flow["user_code"])
    assert "You may now close this window" in done.text, done.text[-800:]
    tokens = _poll(client, segment, flow["device_code"])
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    id_claims = claims(body["id_token"])
    assert (id_claims["tid"], id_claims["preferred_username"]) == (FABRIKAM_ID, ZED)
    assert claims(body["access_token"])["tid"] == FABRIKAM_ID
    refreshed = client.post(paths("organizations", "2.0")["token"], data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": body["refresh_token"]})
    assert claims(refreshed.json()["id_token"])["tid"] == FABRIKAM_ID, refreshed.text


@pytest.mark.idp_config.with_args(_with_guest)
def test_a_member_elsewhere_with_a_guest_account_signs_in_as_themselves_through_an_alias(
        idp_app: Starlette, client: AppClient) -> None:
    """Through ``/organizations`` Zed is Fabrikam's Zed; through Contoso's endpoint, Contoso's
    guest, as in the authorization-code flow."""
    for segment, tid, oid in (("organizations", FABRIKAM_ID, stable_oid(FABRIKAM_ID, ZED)),
                              (TENANT, TENANT, stable_oid(TENANT, GUEST))):
        flow = _start(client, segment)
        assert "You may now close this window" in _approve(idp_app, flow["user_code"]).text
        tokens = _poll(client, segment, flow["device_code"])
        assert tokens.status_code == 200, tokens.text
        id_claims = claims(tokens.json()["id_token"])
        assert (id_claims["tid"], id_claims["oid"]) == (tid, oid), (segment, id_claims)


@pytest.mark.idp_config(two_organizations_config())
def test_a_device_code_approved_at_home_is_not_redeemed_in_the_apps_tenant(
        idp_app: Starlette, client: AppClient) -> None:
    flow = _start(client, "organizations")
    _approve(idp_app, flow["user_code"])
    refused = _poll(client, TENANT, flow["device_code"])
    assert refused.status_code == 400 and refused.json()["error_codes"] == [70018], refused.text
    assert _poll(client, "organizations", flow["device_code"]).status_code == 200
