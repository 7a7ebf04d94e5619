"""What a deleted tenant started does not outlive it: a tenant made again under the same id
(whose users then have the same ids) takes none of the old one's device sign-ins, nor its
sign-in pages still waiting for a password."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import sign_in, submit
from test_control import FABRIKAM, PORTAL

CLI = "7e1d2c3b-4a59-4687-9a0b-c1d2e3f4a5b6"
FAB = {**FABRIKAM, "apps": [*FABRIKAM["apps"],
                            {"client_id": CLI, "name": "Fabrikam CLI", "public_client": True}]}
ZOE = "zoe@fabrikam.onmicrosoft.com"
GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _poll(client: AppClient, device_code: str) -> httpx.Response:
    return client.post(f"/{FAB['id']}/oauth2/v2.0/token", data={
        "grant_type": GRANT, "client_id": CLI, "device_code": device_code})


def _approve(idp_app: Any, user_code: str) -> None:
    with AppClient(idp_app, follow_redirects=False) as browser:
        entered = browser.post("/devicelogin", data={"otc": user_code})
        confirm = sign_in(browser, entered, ZOE, "pw")
        done = submit(browser, confirm, answer="Continue")
        assert "You have signed in to the Fabrikam CLI application" in done.text, done.text[:300]


@pytest.mark.parametrize("approved", [True, False])
def test_a_device_sign_in_of_a_deleted_tenant_is_not_taken_by_one_made_again(
        idp_app: Any, client: AppClient, approved: bool) -> None:
    assert client.post("/_mock/tenants", json=FAB).status_code == 201
    flow = client.post(f"/{FAB['id']}/oauth2/v2.0/devicecode",
                       data={"client_id": CLI, "scope": "openid profile"}).json()
    if approved:
        _approve(idp_app, flow["user_code"])
    assert client.delete(f"/_mock/tenants/{FAB['id']}").status_code == 204
    assert client.post("/_mock/tenants", json=FAB).status_code == 201
    if not approved:
        with AppClient(idp_app, follow_redirects=False) as browser:
            typed = browser.post("/devicelogin", data={"otc": flow["user_code"]})
            assert typed.status_code == 400 and "AADSTS70018" in typed.text, typed.text[:300]
    answer = _poll(client, flow["device_code"])
    assert answer.status_code == 400, answer.text[:300]
    assert answer.json()["error_codes"] == [70018]


def test_a_sign_in_page_of_a_deleted_tenant_does_not_sign_in_to_one_made_again(
        client: AppClient) -> None:
    assert client.post("/_mock/tenants", json=FAB).status_code == 201
    page = client.get(f"/{FAB['id']}/oauth2/v2.0/authorize", params={
        "client_id": PORTAL, "response_type": "code", "scope": "openid",
        "redirect_uri": "https://portal.test/cb", "state": "s", "nonce": "n"})
    asked = submit(client, page, loginfmt=ZOE)
    assert 'name="passwd"' in asked.text, asked.text[:300]
    assert client.delete(f"/_mock/tenants/{FAB['id']}").status_code == 204
    assert client.post("/_mock/tenants", json=FAB).status_code == 201
    answered = submit(client, asked, loginfmt=ZOE, passwd="pw")
    assert answered.status_code == 400 and "AADSTS9002313" in answered.text, answered.text[:300]
    assert "location" not in answered.headers
