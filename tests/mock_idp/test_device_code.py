"""The device authorization grant (RFC 8628) as Entra serves it: the devicecode endpoints, the
``/devicelogin`` pages, polling with Entra's errors (never ``slow_down``)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    CLIENT_ID,
    SECRET,
    TENANT,
    claims,
    consent,
    page_kind,
    password,
    paths,
    sign_in,
    submit,
)

from mock_idp.clock import MockClock
from mock_idp.config import AppConfig, IdpConfig, default_tenant
from mock_idp.endpoints.browser_sessions import SESSION_COOKIE
from mock_idp.signin import ids

PUBLIC_ID = "0c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
GRANT = "urn:ietf:params:oauth:grant-type:device_code"
V2 = f"/{TENANT}/oauth2/v2.0/devicecode"
V1 = f"/{TENANT}/oauth2/devicecode"


def device_config(**overrides: Any) -> IdpConfig:
    """The default directory plus a public client (a CLI, say) that uses the device code."""
    tenant = default_tenant()
    cli = AppConfig(client_id=PUBLIC_ID, name="Contoso CLI", public_client=True)
    return IdpConfig(tenants=(replace(tenant, apps=(*tenant.apps, cli)),), **overrides)


@pytest.fixture
def idp_config() -> IdpConfig:
    return device_config(clock=MockClock(frozen_at=datetime(2027, 3, 1, 9, 0, tzinfo=UTC)))


def start(client: AppClient, *, scope: str = "openid profile offline_access User.Read",
          client_id: str = PUBLIC_ID) -> dict[str, Any]:
    response = client.post(V2, data={"client_id": client_id, "scope": scope})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def poll(client: AppClient, device_code: str, **extra: str) -> httpx.Response:
    return client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": GRANT, "client_id": PUBLIC_ID, "device_code": device_code, **extra})


def error_of(response: httpx.Response) -> tuple[str, int]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_description"].startswith(f"AADSTS{body['error_codes'][0]}: ")
    return body["error"], body["error_codes"][0]


def approve_in_browser(browser: AppClient, user_code: str, *, answer: str = "Continue"
                       ) -> httpx.Response:
    """What a person does on another device: open /devicelogin, type the code, sign in,
    confirm the app."""
    page = browser.get("/devicelogin")
    assert page.status_code == 200
    entered = browser.post("/devicelogin", data={"otc": user_code})
    confirm = sign_in(browser, entered)
    assert "Are you trying to sign in to Contoso CLI?" in confirm.text, confirm.text[:800]
    return submit(browser, confirm, answer=answer)


# -- the device authorization response -----------------------------------------------------------


def test_the_v2_response_has_entras_fields(client: AppClient) -> None:
    body = start(client)
    assert list(body) == ["user_code", "device_code", "verification_uri", "expires_in",
                          "interval", "message"]
    assert re.fullmatch(r"[A-Z0-9]{9}", body["user_code"])
    assert body["verification_uri"] == "http://testserver/devicelogin"
    assert body["expires_in"] == 900 and body["interval"] == 5
    assert body["message"] == (
        "To sign in, use a web browser to open the page http://testserver/devicelogin and "
        f"enter the code {body['user_code']} to authenticate.")


def test_the_v1_response_names_verification_url_and_serves_strings(client: AppClient) -> None:
    response = client.post(V1, data={"client_id": PUBLIC_ID,
                                      "resource": "https://graph.microsoft.com"})
    body = response.json()
    assert "verification_uri" not in body
    assert body["verification_url"] == "http://testserver/devicelogin"
    assert body["expires_in"] == "900" and body["interval"] == "5"


def test_adal_polls_v1_with_its_own_grant_name_and_the_code_in_code(
        idp_app: Any, client: AppClient, clock: MockClock) -> None:
    # ADAL's device-code flow: grant_type=device_code, the device code in ``code``.
    started = client.post(V1, data={"client_id": PUBLIC_ID,
                                    "resource": "https://graph.microsoft.com"}).json()
    adal = {"grant_type": "device_code", "client_id": PUBLIC_ID,
            "resource": "https://graph.microsoft.com", "code": started["device_code"]}
    token_v1 = paths(TENANT, "1.0")["token"]
    assert error_of(client.post(token_v1, data=adal)) == ("authorization_pending", 70016)
    with AppClient(idp_app, follow_redirects=False) as browser:
        approve_in_browser(browser, started["user_code"])
    clock.advance(timedelta(seconds=5))
    tokens = client.post(token_v1, data=adal)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["resource"] == "https://graph.microsoft.com"
    # Used up: a second poll, by either name, is told so.
    v2 = client.post(paths(TENANT, "2.0")["token"], data={**adal, "scope": "openid"})
    assert error_of(v2) == ("invalid_grant", 70000)


def test_msal_node_polls_v2_with_the_short_grant_name(
        idp_app: Any, client: AppClient, clock: MockClock) -> None:
    # msal-node (msal-common GrantType.DEVICE_CODE_GRANT) sends ``grant_type=device_code`` with
    # the code in ``device_code`` to the v2 endpoint.
    flow = start(client)
    msal_node = {"grant_type": "device_code", "client_id": PUBLIC_ID,
                 "device_code": flow["device_code"], "scope": "openid profile User.Read"}
    token_v2 = paths(TENANT, "2.0")["token"]
    assert error_of(client.post(token_v2, data=msal_node)) == ("authorization_pending", 70016)
    with AppClient(idp_app, follow_redirects=False) as browser:
        approve_in_browser(browser, flow["user_code"])
    tokens = client.post(token_v2, data=msal_node)
    assert tokens.status_code == 200, tokens.text
    assert claims(tokens.json()["id_token"])["preferred_username"] == ALICE


def test_discovery_advertises_both_endpoints_and_they_answer(client: AppClient) -> None:
    for version, resource in (("2.0", {"scope": "openid"}),
                              ("1.0", {"resource": "https://graph.microsoft.com"})):
        doc = client.get(paths(TENANT, version)["discovery"]).json()
        endpoint = doc["device_authorization_endpoint"]
        suffix = "/oauth2/v2.0/devicecode" if version == "2.0" else "/oauth2/devicecode"
        assert endpoint == f"http://testserver/{TENANT}{suffix}"
        answer = client.post(endpoint, data={"client_id": PUBLIC_ID, **resource})
        assert answer.status_code == 200 and answer.json()["device_code"]


def test_an_unknown_app_is_700016(client: AppClient) -> None:
    response = client.post(V2, data={"client_id": "11111111-2222-3333-4444-555555555555",
                                     "scope": "openid"})
    assert error_of(response) == ("unauthorized_client", 700016)


# -- polling ------------------------------------------------------------------------------------


def test_polling_before_the_user_is_done_is_pending_70016(client: AppClient,
                                                          clock: MockClock) -> None:
    flow = start(client)
    response = poll(client, flow["device_code"])
    assert error_of(response) == ("authorization_pending", 70016)
    assert "The user must input their code" in response.json()["error_description"]
    clock.advance(timedelta(seconds=5))
    assert error_of(poll(client, flow["device_code"])) == ("authorization_pending", 70016)


def test_polling_with_the_clock_frozen_is_never_slow_down(idp_app: Any, client: AppClient,
                                                          clock: MockClock) -> None:
    # Entra documents no slow_down for the device-code flow and msal-node gives up on one:
    # polls sooner than ``interval`` (here: with the clock frozen) stay pending, then succeed.
    flow = start(client)
    for _ in range(3):
        assert error_of(poll(client, flow["device_code"])) == ("authorization_pending", 70016)
    with AppClient(idp_app, follow_redirects=False) as browser:
        approve_in_browser(browser, flow["user_code"])
    assert poll(client, flow["device_code"]).status_code == 200


def test_an_expired_device_code_is_70020(client: AppClient, clock: MockClock) -> None:
    flow = start(client)
    clock.advance(timedelta(minutes=15, seconds=1))
    assert error_of(poll(client, flow["device_code"])) == ("expired_token", 70020)
    assert error_of(poll(client, flow["device_code"])) == ("bad_verification_code", 70018)


def test_an_unknown_device_code_is_bad_verification_code(client: AppClient) -> None:
    assert error_of(poll(client, "DAQABAAEAAAnot-a-code")) == ("bad_verification_code", 70018)
    flow = start(client)
    other = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": GRANT, "client_id": CLIENT_ID, "client_secret": SECRET,
        "device_code": flow["device_code"]})
    assert error_of(other) == ("bad_verification_code", 70018)
    missing = poll(client, "")
    assert error_of(missing) == ("invalid_request", 900144)


def test_a_confidential_app_must_authenticate_to_poll(client: AppClient) -> None:
    flow = start(client, client_id=CLIENT_ID)
    response = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": GRANT, "client_id": CLIENT_ID, "device_code": flow["device_code"]})
    assert response.status_code == 401 and response.json()["error_codes"] == [7000218]


# -- the browser side ----------------------------------------------------------------------------


def test_the_device_login_page(client: AppClient) -> None:
    html = client.get("/devicelogin").text
    assert f'<label for="{ids.DEVICE_CODE_INPUT}">Code</label>' in html
    assert f'name="{ids.DEVICE_CODE_INPUT}" id="{ids.DEVICE_CODE_INPUT}"' in html
    assert f'id="{ids.PRIMARY_BUTTON}" class="{ids.PRIMARY_CLASS}" value="Next"' in html
    assert f'name="{ids.DEVICE_CODE_INPUT}"' in client.get(f"/{TENANT}/oauth2/deviceauth").text


def test_signing_in_on_the_device_page_hands_the_device_its_tokens(
        idp_app: Any, client: AppClient, clock: MockClock) -> None:
    flow = start(client)
    with AppClient(idp_app, follow_redirects=False) as browser:
        done = approve_in_browser(browser, flow["user_code"].lower())
    assert done.status_code == 200
    assert ("You have signed in to the Contoso CLI application on your device. You may now "
            "close this window.") in done.text
    clock.advance(timedelta(seconds=5))
    tokens = poll(client, flow["device_code"])
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    id_claims = claims(body["id_token"])
    assert id_claims["preferred_username"] == ALICE and id_claims["aud"] == PUBLIC_ID
    clock.advance(timedelta(seconds=5))
    again = poll(client, flow["device_code"])  # used up: MSAL's Android library's invalid_grant
    assert error_of(again) == ("invalid_grant", 70000)
    assert "already redeemed" in again.json()["error_description"]
    clock.advance(timedelta(minutes=15))  # past its expiry, it is still said to be redeemed
    assert error_of(poll(client, flow["device_code"])) == ("invalid_grant", 70000)
    clock.advance(timedelta(days=1))  # then forgotten, as an expired code is
    assert error_of(poll(client, flow["device_code"])) == ("bad_verification_code", 70018)


def test_the_password_leads_to_the_confirmation_without_stay_signed_in(
        idp_app: Any, client: AppClient) -> None:
    """After the password, "Are you trying to sign in to …?" and then the end: msal4j's
    SeleniumExtensions clicks #idSIButton9 there (Continue), MSAL.js's approveRemoteConnect
    waits for #remoteConnectDescription and clicks input[name='remoteConnectSubmit']; no "Stay
    signed in?" comes in between."""
    flow = start(client)
    with AppClient(idp_app, follow_redirects=False) as browser:
        entered = browser.post("/devicelogin", data={"otc": flow["user_code"]})
        typed = submit(browser, entered, loginfmt=ALICE)
        confirm = submit(browser, typed, loginfmt=ALICE, passwd=password(ALICE))
        assert page_kind(confirm) == "consent", confirm.text[:500]
        assert "Are you trying to sign in to Contoso CLI?" in confirm.text
        assert f'id="{ids.REMOTE_CONNECT_DESCRIPTION}"' in confirm.text
        # Named as MSAL.js's approveRemoteConnect selects it; a browser posts it so.
        assert (f'id="{ids.PRIMARY_BUTTON}" class="{ids.PRIMARY_CLASS}"'
                f' name="{ids.REMOTE_CONNECT_SUBMIT_NAME}" value="Continue"') in confirm.text
        assert SESSION_COOKIE in confirm.headers.get("set-cookie", "")
        done = submit(browser, confirm, **{ids.REMOTE_CONNECT_SUBMIT_NAME: "Continue"})
    assert done.status_code == 200 and 'id="message"' in done.text


def test_cancel_declines_the_device(idp_app: Any, client: AppClient,
                                    clock: MockClock) -> None:
    flow = start(client)
    with AppClient(idp_app, follow_redirects=False) as browser:
        done = approve_in_browser(browser, flow["user_code"], answer="Cancel")
    assert "You cancelled the sign-in" in done.text
    clock.advance(timedelta(seconds=5))
    assert error_of(poll(client, flow["device_code"])) == ("authorization_declined", 65004)


def test_a_wrong_code_is_said_on_the_page_70018(client: AppClient) -> None:
    wrong = client.post("/devicelogin", data={"otc": "ABCDEFGHJ"})
    assert wrong.status_code == 400 and "AADSTS70018" in wrong.text
    assert 'value="ABCDEFGHJ"' in wrong.text and 'role="alert"' in wrong.text


@pytest.mark.parametrize("typed", ["é", "😀", "ABCD-EFGÉ", "\u0130"])
def test_a_code_beyond_ascii_is_a_wrong_code_too(client: AppClient, typed: str) -> None:
    flow = start(client)
    wrong = client.post("/devicelogin", data={"otc": typed})
    assert wrong.status_code == 400 and "AADSTS70018" in wrong.text
    assert 'role="alert"' in wrong.text
    right = client.post("/devicelogin", data={"otc": flow["user_code"]})
    assert right.status_code == 200 and page_kind(right) == "username"


def test_an_expired_code_is_said_on_the_page_70019(client: AppClient,
                                                   clock: MockClock) -> None:
    flow = start(client)
    clock.advance(timedelta(minutes=15))
    expired = client.post("/devicelogin", data={"otc": flow["user_code"]})
    assert expired.status_code == 400 and "AADSTS70019" in expired.text


def test_a_signed_in_browser_picks_its_account(idp_app: Any, client: AppClient,
                                              clock: MockClock) -> None:
    from idp_testkit import get_code

    flow = start(client)
    with AppClient(idp_app, follow_redirects=False) as browser:
        get_code(browser)
        picker = browser.post("/devicelogin", data={"otc": flow["user_code"]})
        assert page_kind(picker) == "picker"
        alice = browser.get(f"/graph/{TENANT}/v1.0/users/{ALICE}").json()["id"]
        confirm = submit(browser, picker, account=alice)
        done = submit(browser, confirm, answer="Continue")
    assert "You may now close this window" in done.text
    clock.advance(timedelta(seconds=5))
    assert poll(client, flow["device_code"]).status_code == 200


def test_an_app_without_consent_asks_for_it_after_the_confirmation(
        idp_app: Any, client: AppClient, clock: MockClock) -> None:
    principal = client.get(f"/graph/{TENANT}/v1.0/servicePrincipals(appId='{PUBLIC_ID}')"
                           ).json()
    for grant in client.get(f"/graph/{TENANT}/v1.0/oauth2PermissionGrants", params={
            "$filter": f"clientId eq '{principal['id']}'"}).json()["value"]:
        client.delete(f"/graph/{TENANT}/v1.0/oauth2PermissionGrants/{grant['id']}")
    flow = start(client)
    with AppClient(idp_app, follow_redirects=False) as browser:
        asked = approve_in_browser(browser, flow["user_code"])
        assert page_kind(asked) == "consent"
        done = consent(browser, asked)
    assert "You may now close this window" in done.text
    clock.advance(timedelta(seconds=5))
    assert poll(client, flow["device_code"]).status_code == 200


@pytest.mark.parametrize("change", ["revoke", "reset"])
def test_a_device_approved_before_a_revocation_gets_no_tokens(
        idp_app: Any, client: AppClient, clock: MockClock, change: str) -> None:
    """Approved, then the user's sign-ins revoked (or the password reset) before the device
    polled: AADSTS50173, also in the one instant of this module's frozen clock."""
    flow = start(client)
    with AppClient(idp_app, follow_redirects=False) as browser:
        assert approve_in_browser(browser, flow["user_code"]).status_code == 200
    graph = f"/graph/{TENANT}/v1.0/users/{ALICE}"
    if change == "revoke":
        assert client.post(f"{graph}/revokeSignInSessions").status_code == 200
    else:
        assert client.patch(graph, json={"passwordProfile": {"password": "Reset-Pass-4"}}
                            ).status_code == 204
    clock.advance(timedelta(seconds=5))
    assert error_of(poll(client, flow["device_code"])) == ("invalid_grant", 50173)
