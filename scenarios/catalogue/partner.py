"""Partner-app SSO: the platform installs the app, then its standalone URL signs users in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from scenarios import ScenarioContext, scenario
from scenarios.flows import (
    NavigationLog,
    drop_rp_session,
    expect_signed_in,
    install_partner,
    launch_and_sign_in,
    oid_of,
    sign_in_at_idp,
)
from scenarios.live import LiveStack
from scenarios.pages import IdpUsernamePage, RpAppPage

Ctx = ScenarioContext[LiveStack]


@scenario(
    id="partner.launch",
    title="app.installed, then the standalone URL logs the user in with no click",
    proves="The RP stores the installation from the signed app.installed event; the standalone "
    "URL starts the code flow at once, shows the IdP sign-in page only the first time, and "
    "with an IdP session lands on the home page signed in by redirects alone",
    tags={"partner"},
)
def partner_launch(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("the platform installs the app: the RP accepts the signed app.installed"):
        installation_id = install_partner(stack)
    with ctx.step("the RP stored the installation with the tenant's endpoints"):
        stored = stack.http.get(stack.rp_url("/api/admin/installations")).json()
        found = [i for i in stored if i["installation_id"] == installation_id]
        assert found, f"installation {installation_id} not stored by the RP: {stored}"
        assert found[0]["active"] and found[0]["client_id"] == stack.client_id, found[0]
        assert found[0]["account_id"] == stack.tenant_id, found[0]
        assert found[0]["authorization_url"].startswith(stack.authority), found[0]
    log = NavigationLog(page)
    with ctx.step("first launch: the IdP sign-in once, then home signed in"):
        launch_and_sign_in(page, stack, installation_id, alice)
        opened = log.pages_opened_from(stack.idp.base_url)
        assert len(opened) == 1, f"expected one provider sign-in, saw {opened}"
        rp_pages = log.pages_shown_from(stack.rp.base_url)
        assert len(rp_pages) == 1, f"expected no RP page before the IdP, saw {rp_pages}"
    with ctx.step("/api/me names the platform user the IdP authenticated"):
        me = page.request.get(stack.rp_url("/api/me"))
        assert me.status == 200, f"/api/me answered {me.status}"
        body = me.json()
        assert body["source_kind"] == "installation" and body["source_id"] == installation_id
        assert body["platform_user_id"] == oid_of(stack, alice), body
    with ctx.step("a later launch with an IdP session signs in with no click"):
        drop_rp_session(page)
        log.reset()
        page.goto(stack.launch_url(installation_id, oid_of(stack, alice)))
        expect_signed_in(page, alice, path="/")
        assert log.pages_shown_from(stack.idp.base_url) == [], log.documents
        rendered = [u for u, s in log.documents if not 300 <= s < 400]
        assert len(rendered) == 1, f"expected only the home page, saw {rendered}"
        authorize = [u for u, _ in log.documents if "/oauth2/v2.0/authorize" in u]
        assert authorize, f"the launch did not go through the provider: {log.documents}"


@scenario(
    id="partner.hint-is-not-identity",
    title="A user-id hint naming someone else never signs in as that person",
    proves="Launching with bob's user id while alice has the IdP session makes the IdP ask who "
    "is signing in instead of silently using either; whoever ends up signed in is not bob",
    tags={"partner"},
)
def hint_is_not_identity(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice, bob = stack.people["alice"], stack.people["bob"]
    with ctx.step("install the app and sign alice in through it"):
        installation_id = install_partner(stack)
        launch_and_sign_in(page, stack, installation_id, alice)
        drop_rp_session(page)
    log = NavigationLog(page)
    bob_oid = oid_of(stack, bob)
    with ctx.step("launch with bob's user id: the IdP asks for a sign-in"):
        page.goto(stack.launch_url(installation_id, bob_oid))
        idp_page = IdpUsernamePage(page)
        expect(idp_page.heading).to_be_visible()
        authorize = [u for u, _ in log.documents if "/oauth2/v2.0/authorize" in u]
        assert authorize, f"the launch did not go to the provider: {log.documents}"
        hint = parse_qs(urlsplit(authorize[0]).query).get("login_hint")
        assert hint == [bob_oid], f"the hint was not passed on as a hint only: {hint}"
        me = page.request.get(stack.rp_url("/api/me"))
        assert me.status == 401, "someone is signed in before the IdP authenticated anyone"
    with ctx.step("alice, at the keyboard, signs in as herself"):
        sign_in_at_idp(page, alice)
        expect_signed_in(page, alice, path="/")
    with ctx.step("the signed-in user is alice, not bob"):
        expect(RpAppPage(page).signed_in_as).not_to_contain_text(bob.name)
        body = page.request.get(stack.rp_url("/api/me")).json()
        assert body["platform_user_id"] != bob_oid, f"signed in as bob: {body}"
        assert body["email"] != bob.upn, f"signed in as bob: {body}"
