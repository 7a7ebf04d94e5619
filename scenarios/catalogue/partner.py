"""Partner-app SSO: the platform installs the app, then its standalone URL signs users in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from scenarios import ScenarioContext, scenario
from scenarios.flows import (
    NavigationLog,
    drop_app_session,
    expect_signed_in,
    install_partner,
    launch_and_sign_in,
    launch_signed_in_at_company,
    oid_of,
    sign_in_at_idp,
)
from scenarios.live import LiveStack
from scenarios.pages import IdpUsernamePage

Ctx = ScenarioContext[LiveStack]


def _authorize_requests(log: NavigationLog) -> list[str]:
    return [u for u, _ in log.documents if urlsplit(u).path.endswith("/oauth2/v2.0/authorize")]


@scenario(
    id="partner.launch",
    title="app.installed, then the standalone URL logs the user in with no click",
    proves="The app accepts the signed app.installed event; the standalone URL starts the code "
    "flow at once, shows the IdP sign-in page only the first time, and with an IdP session "
    "lands in the app signed in by redirects alone",
    tags={"partner"},
    needs={"partner"},
)
def partner_launch(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("the platform installs the app: the app accepts the signed app.installed"):
        installation_id = install_partner(stack)
    stored = stack.app.installations_text()
    if stored is not None:
        with ctx.step("the app stored the installation with the tenant's endpoints"):
            for fact in (installation_id, stack.client_id, stack.tenant_id, stack.authority):
                assert fact in stored, f"{fact} is not in the app's installations: {stored}"
    log = NavigationLog(page)
    with ctx.step("first launch: the IdP sign-in once, then signed in"):
        launch_and_sign_in(page, stack, installation_id, alice)
        opened = log.pages_opened_from(stack.idp.base_url)
        assert len(opened) == 1, f"expected one provider sign-in, saw {opened}"
        app_pages = log.pages_shown_from(stack.app.base_url)
        assert len(app_pages) == 1, f"expected no app page before the IdP, saw {app_pages}"
    me = stack.app.me(page)
    if {"user_id", "installation_id"} & set(me):
        with ctx.step("the app names the platform user the IdP authenticated"):
            if "installation_id" in me:
                assert me["installation_id"] == installation_id, me
            if "user_id" in me:
                assert me["user_id"] == oid_of(stack, alice), me
    with ctx.step("a later launch with an IdP session signs in with no click"):
        drop_app_session(page, stack)
        log.reset()
        page.goto(stack.app.launch_url(installation_id, oid_of(stack, alice)))
        expect_signed_in(page, stack, alice, path=stack.app.launch_lands_on())
        assert log.pages_shown_from(stack.idp.base_url) == [], log.documents
        rendered = [u for u, s in log.documents if not 300 <= s < 400]
        assert len(rendered) == 1, f"expected only the app's page, saw {rendered}"
        assert _authorize_requests(log), (
            f"the launch did not go through the provider: {log.documents}")


@scenario(
    id="partner.hint-is-not-identity",
    title="A user-id hint naming someone else never signs in as that person",
    proves="Launching with bob's user id while alice has the IdP session never signs bob in: "
    "the hint reaches the provider as a hint at most, and whoever ends up signed in is alice",
    tags={"partner"},
    needs={"partner", "session-check"},
)
def hint_is_not_identity(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice, bob = stack.people["alice"], stack.people["bob"]
    passes_hint = stack.app.profile.partner is not None and (
        stack.app.profile.partner.passes_login_hint)
    with ctx.step("install the app; alice, signed in at her company, launches it"):
        installation_id = install_partner(stack)
        launch_signed_in_at_company(page, stack, installation_id, alice)
        drop_app_session(page, stack)
    log = NavigationLog(page)
    bob_oid = oid_of(stack, bob)
    with ctx.step("launch with bob's user id"):
        page.goto(stack.app.launch_url(installation_id, bob_oid))
        if passes_hint:
            IdpUsernamePage(page).heading.wait_for()
        else:
            page.wait_for_load_state()
        authorize = _authorize_requests(log)
        assert authorize, f"the launch did not go to the provider: {log.documents}"
        if passes_hint:
            hint = parse_qs(urlsplit(authorize[0]).query).get("login_hint")
            assert hint == [bob_oid], f"the hint was not passed on as a hint only: {hint}"
            stack.app.expect_signed_out(page, why=" before the IdP authenticated anyone")
    if IdpUsernamePage(page).heading.is_visible():
        with ctx.step("the IdP asks who is signing in: alice, at the keyboard, signs in"):
            sign_in_at_idp(page, alice)
    with ctx.step("the signed-in user is alice, not bob"):
        expect_signed_in(page, stack, alice, path=stack.app.launch_lands_on())
        me = stack.app.me(page)
        assert me.get("user_id") != bob_oid, f"signed in as bob: {me}"
        assert (me.get("email") or "").lower() != bob.upn.lower(), f"signed in as bob: {me}"
