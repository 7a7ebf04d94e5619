"""Front-channel logout: the signed-out page loads each app's logout URL in an iframe (with
``iss`` and ``sid`` when the app asks), records each notification, and skips an app without one."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from asgi_client import AppClient
from idp_testkit import BASE, CLIENT_ID, TENANT, auth_params, claims, paths, redirect_params
from logout_kit import (
    LOGOUT,
    RP_FRONT,
    SIGNED_OUT,
    START,
    hinted,
    iframes,
    sign_in_portal,
    sign_in_rp,
    sign_out,
)

ISSUER = f"{BASE}/{TENANT}/v2.0"


def test_signed_out_page_loads_each_apps_logout_url_in_an_iframe(browser: AppClient) -> None:
    token = sign_in_rp(browser)["id_token"]
    sid = claims(token)["sid"]
    sign_in_portal(browser)
    page = browser.get(LOGOUT["2.0"], params=hinted(token, post_logout_redirect_uri=SIGNED_OUT))
    assert page.status_code == 200 and "You signed out of your account" in page.text
    assert iframes(page) == [
        f"{RP_FRONT}?sid={sid}",
        f"https://portal.test/fc?tenant=contoso&iss={quote(ISSUER, safe='')}&sid={sid}",
    ]
    assert 'title="Signing out of Portal"' in page.text


def test_front_channel_notifications_are_recorded_and_marked_loaded(
    browser: AppClient,
) -> None:
    sign_in_rp(browser)
    sign_out(browser)
    notes = browser.get("/_mock/notifications", params={"kind": "frontchannel"}).json()[
        "notifications"]
    assert len(notes) == 1
    note = notes[0]
    assert note["client_id"] == CLIENT_ID and note["app_name"] == "Reference relying party"
    assert note["url"].startswith(RP_FRONT + "?sid=") and note["loaded_at"] is None
    assert note["payload"] == {"sid": note["url"].split("sid=")[1]}
    assert note["time"] == START.isoformat()
    assert browser.post(f"/_mock/notifications/{note['id']}/loaded").status_code == 204
    loaded = browser.get("/_mock/notifications").json()["notifications"]
    assert [n["loaded_at"] for n in loaded if n["id"] == note["id"]] == [START.isoformat()]
    missing = browser.post("/_mock/notifications/nope/loaded")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "note_id"


def test_an_app_without_a_logout_url_gets_no_iframe(browser: AppClient) -> None:
    sid = claims(sign_in_rp(browser)["id_token"])["sid"]
    values = redirect_params(browser.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
        client_id="1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b", redirect_uri="http://localhost/quiet",
        scope="openid")))
    if "code" not in values:
        pytest.fail(f"sign-in did not complete: {values}")
    page = sign_out(browser)
    assert iframes(page) == [f"{RP_FRONT}?sid={sid}"]
