"""Automatic login: an IdP session is all a customer needs to reach any app."""

from __future__ import annotations

from playwright.sync_api import expect

from scenarios import ScenarioContext, scenario
from scenarios.flows import NavigationLog, expect_signed_in, first_login, sign_in_at_idp
from scenarios.live import CUSTOMER_APPS, LiveStack

Ctx = ScenarioContext[LiveStack]


@scenario(
    id="auto-login.first-login",
    title="The first login shows the IdP sign-in page once",
    proves="Without an IdP session the sign-in URL leads to the provider's sign-in page, and "
    "signing in there lands on the app",
)
def first_login_shows_sign_in(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    log = NavigationLog(page)
    with ctx.step("follow the widget sign-in URL and sign in at the provider"):
        first_login(page, stack, stack.people["alice"], "widget")
    with ctx.step("the provider asked for a sign-in exactly once"):
        opened = log.pages_opened_from(stack.idp.base_url)
        assert len(opened) == 1, f"expected one provider sign-in, saw {opened}"
        shown = log.pages_shown_from(stack.idp.base_url)
        assert len(shown) == 3, f"expected username, password and 'Stay signed in?': {shown}"


def _auto_login(ctx: Ctx, app: str) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    other = next(a for a in CUSTOMER_APPS if a != app)
    with ctx.step(f"sign in once through the {other} URL"):
        first_login(page, stack, alice, other)
    log = NavigationLog(page)
    with ctx.step(f"follow the {app} sign-in URL"):
        page.goto(stack.sign_in_url(app))
        expect_signed_in(page, alice, path=f"/{app}")
    with ctx.step("no page was shown in between"):
        assert log.pages_shown_from(stack.idp.base_url) == [], log.documents
        rendered = [u for u, s in log.documents if not 300 <= s < 400]
        assert len(rendered) == 1, f"expected only the app page, saw {rendered}"


for _app in CUSTOMER_APPS:
    def _make(app: str = _app) -> None:
        @scenario(
            id=f"auto-login.{app}",
            title=f"The {app} sign-in URL logs a user with an IdP session in with no click",
            proves=f"With an IdP session, the {app} URL goes through the provider by redirects "
            f"alone and lands on /{app} signed in",
        )
        def run(ctx: Ctx) -> None:
            _auto_login(ctx, app)

    _make()


@scenario(
    id="auto-login.app-visit",
    title="Visiting an app without a session starts SSO by itself",
    proves="A customer app reached directly (no sign-in URL) starts SSO when a connection is "
    "enabled, and with an IdP session lands back signed in",
)
def app_visit_starts_sso(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("open /portal with no session: the provider asks to sign in"):
        page.goto(stack.rp_url("/portal"))
        sign_in_at_idp(page, alice)
        expect_signed_in(page, alice, path="/portal")
    with ctx.step("a second app, /kb, signs in silently"):
        log = NavigationLog(page)
        page.goto(stack.rp_url("/kb"))
        expect_signed_in(page, alice, path="/kb")
        assert log.pages_shown_from(stack.idp.base_url) == []
    with ctx.step("/api/me returns the signed-in user"):
        me = page.request.get(stack.rp_url("/api/me"))
        assert me.status == 200
        expect(page.locator("#user-email")).to_have_text(alice.upn)
