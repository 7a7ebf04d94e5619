"""Single sign-out: platform user.logout, back-channel, front-channel and RP-initiated logout."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from scenarios import ScenarioContext, scenario
from scenarios.flows import (
    NavigationLog,
    expect_signed_in,
    expect_signed_out,
    first_login,
    idp_logout_url,
    install_partner,
    launch_and_sign_in,
    oid_of,
    sign_in_at_idp,
)
from scenarios.live import LiveStack
from scenarios.pages import IdpSignedOutPage, IdpUsernamePage, RpAppPage, RpSignedOutPage

Ctx = ScenarioContext[LiveStack]


def _only(notes: list[dict[str, Any]], what: str) -> dict[str, Any]:
    assert len(notes) == 1, f"expected one {what} notification, saw {notes}"
    return notes[0]


@scenario(
    id="signout.user-logout-event",
    title="The platform's user.logout ends the partner session",
    proves="user.logout for the signed-in user (installation + platform user id) ends the RP "
    "session and the next launch runs SSO afresh; signing out at the IdP sends user.logout "
    "too, after which the launch shows the IdP sign-in page",
    tags={"partner", "signout"},
)
def user_logout_event(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("install the app and launch it as alice (no front-channel URL registered)"):
        stack.update_app(web={"logoutUrl": None})
        installation_id = install_partner(stack)
        launch_and_sign_in(page, stack, installation_id, alice)
    with ctx.step("the platform sends user.logout for alice and the RP accepts it"):
        result = stack.http.post(
            stack.idp_url(f"/_mock/installations/{installation_id}/logout"),
            json={"user_id": oid_of(stack, alice), "user_email": alice.upn})
        assert result.status_code == 200, result.text
        delivery = result.json()["delivery"]
        assert delivery["status"] == 200, f"the RP did not accept user.logout: {delivery}"
    with ctx.step("the RP session has ended"):
        expect_signed_out(page, stack)
        page.reload()
        expect(RpAppPage(page).signed_in_as).to_have_text("You are not signed in.")
    log = NavigationLog(page)
    with ctx.step("the next launch runs SSO afresh and signs alice in again"):
        page.goto(stack.launch_url(installation_id, oid_of(stack, alice)))
        expect_signed_in(page, alice, path="/")
        paths = [urlsplit(u).path for u, _ in log.documents]
        assert any(p.endswith("/oauth2/v2.0/authorize") for p in paths), log.documents
        assert "/auth/callback" in paths, log.documents
    with ctx.step("alice signs out at the IdP: the platform sends user.logout, the RP accepts"):
        page.goto(idp_logout_url(stack))
        expect(IdpSignedOutPage(page).heading).to_be_visible()
        note = _only(stack.notifications("platform"), "platform")
        assert note["payload"]["type"] == "user.logout", note
        assert note["payload"]["data"]["installation_id"] == installation_id, note
        assert note["status"] == 200, f"the RP answered {note['status']}: {note}"
    with ctx.step("the RP session has ended and the next launch asks alice to sign in"):
        expect_signed_out(page, stack)
        page.goto(stack.launch_url(installation_id, oid_of(stack, alice)))
        sign_in_at_idp(page, alice)
        expect_signed_in(page, alice, path="/")


@scenario(
    id="signout.backchannel",
    title="Signing out at the IdP ends the RP session through back-channel logout",
    proves="With the RP's /auth/backchannel-logout registered, the IdP's sign-out POSTs a logout "
    "token the RP answers 200, and the RP session ends with no browser involvement",
    tags={"signout"},
)
def backchannel(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    endpoint = stack.rp_url("/auth/backchannel-logout")
    with ctx.step("register the back-channel logout URI (and no front-channel URL)"):
        stack.update_app(backchannelLogoutUri=endpoint, web={"logoutUrl": None})
    with ctx.step("alice signs in to the widget"):
        first_login(page, stack, alice, "widget")
    with ctx.step("alice signs out at the IdP"):
        page.goto(idp_logout_url(stack))
        expect(IdpSignedOutPage(page).heading).to_be_visible()
    with ctx.step("the IdP POSTed a logout token and the RP answered 200"):
        note = _only(stack.notifications("backchannel"), "back-channel")
        assert note["url"] == endpoint, note
        assert note["status"] == 200, f"the RP answered {note['status']}: {note}"
        assert stack.notifications("frontchannel") == [], "a front-channel frame was used"
    with ctx.step("the RP session has ended: the app asks the IdP to sign in again"):
        expect_signed_out(page, stack)
        page.goto(stack.rp_url("/widget"))
        expect(IdpUsernamePage(page).heading).to_be_visible()


@scenario(
    id="signout.frontchannel",
    title="The IdP's signed-out page loads the app's logout URL, ending the RP session",
    proves="Signing out at the IdP renders the signed-out page with the RP's front-channel "
    "logout URL (sid, iss) in an iframe; it loads, and the RP session ends",
    tags={"signout"},
)
def frontchannel(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("alice signs in to the portal"):
        first_login(page, stack, alice, "portal")
    with ctx.step("alice signs out at the IdP: the signed-out page loads the app's logout URL"):
        with page.expect_response(
            lambda r: r.request.method == "POST" and r.url.endswith("/loaded")
        ) as loaded:
            page.goto(idp_logout_url(stack))
        signed_out = IdpSignedOutPage(page)
        expect(signed_out.heading).to_be_visible()
        assert loaded.value.status == 204, f"frame load report answered {loaded.value.status}"
        expect(signed_out.logout_frames).to_have_count(1)
        expect(signed_out.logout_frames.content_frame.locator("body")).to_have_text("Signed out.")
        src = signed_out.logout_frames.get_attribute("src") or ""
        assert src.startswith(stack.rp_url("/auth/frontchannel-logout")), src
        assert "sid" in parse_qs(urlsplit(src).query), src
    with ctx.step("the notification is recorded as loaded"):
        note = _only(stack.notifications("frontchannel"), "front-channel")
        assert note["loaded_at"], f"the frame never reported loading: {note}"
    with ctx.step("the RP session has ended: the app asks the IdP to sign in again"):
        expect_signed_out(page, stack)
        page.goto(stack.rp_url("/portal"))
        expect(IdpUsernamePage(page).heading).to_be_visible()


@scenario(
    id="signout.rp-initiated",
    title="Sign out in the app ends both the RP and the IdP session",
    proves="The app's Sign out button ends the RP session, sends the browser to the IdP's "
    "end-session endpoint with id_token_hint, post_logout_redirect_uri and state, and comes "
    "back to the RP's signed-out page; the next visit needs the IdP sign-in page again",
    tags={"signout"},
)
def rp_initiated(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("alice signs in to the knowledge base"):
        first_login(page, stack, alice, "kb")
    log = NavigationLog(page)
    with ctx.step("click Sign out: back on the RP's signed-out page"):
        RpAppPage(page).sign_out()
        signed_out = RpSignedOutPage(page)
        expect(signed_out.heading).to_be_visible()
        expect(page).to_have_url(re.compile(r"^[^?]*/signed-out\?"))
        expect(signed_out.unconfirmed).to_have_count(0)
    with ctx.step("the IdP's end-session endpoint got id_token_hint, redirect and state"):
        ends = [u for u, _ in log.documents if urlsplit(u).path.endswith("/oauth2/v2.0/logout")]
        assert len(ends) == 1, f"expected one end-session request, saw {log.documents}"
        params = parse_qs(urlsplit(ends[0]).query)
        assert params.get("id_token_hint"), params
        assert params.get("post_logout_redirect_uri") == [stack.rp_url("/signed-out")], params
        assert params.get("state"), params
        back = parse_qs(urlsplit(page.url).query)
        assert back.get("state") == params["state"], f"state not returned: {page.url}"
    with ctx.step("the RP session has ended"):
        expect_signed_out(page, stack)
    with ctx.step("the next app visit shows the IdP sign-in page: the IdP session ended too"):
        page.goto(stack.rp_url("/kb"))
        sign_in_at_idp(page, alice)
        expect_signed_in(page, alice, path="/kb")
