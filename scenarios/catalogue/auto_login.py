"""Automatic login: an IdP session is all a customer needs to reach any app."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page

from scenarios import ScenarioContext, scenario
from scenarios.app.adapter import SignedInElsewhere
from scenarios.app.page_looks import origin
from scenarios.flows import (
    NavigationLog,
    expect_signed_in,
    first_login,
    sign_in_at_provider,
    sign_in_by_redirects,
)
from scenarios.goto import goto_app, goto_sign_in
from scenarios.lax_allowance import (
    app_urls,
    callback_posts,
    lax_post_problem,
    outlast_lax_allowance,
)
from scenarios.live import CUSTOMER_APPS, LiveStack, Person
from scenarios.navigation_log import shown_url

Ctx = ScenarioContext[LiveStack]


@scenario(
    id="auto-login.first-login",
    title="The first login shows the IdP sign-in page once",
    proves="Without an IdP session the sign-in URL leads to the provider's sign-in page, and "
    "signing in there lands on the app, also after more than two minutes at that page (when "
    "Chromium no longer sends a cookie set without SameSite on the provider's cross-site "
    "form post); a second person signing in from another browser lands as himself, not as "
    "the first",
    needs={"customer-sso"},
)
def first_login_shows_sign_in(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    log = NavigationLog(page)
    posted = callback_posts(page, stack)
    with ctx.step("follow the first sign-in URL, stay over two minutes at the provider's sign-in "
                  "page and sign in there"):
        goto_sign_in(page, stack, stack.app.sign_in_url())
        lax = outlast_lax_allowance(page.context, app_urls(stack))
        sign_in_at_provider(page, stack, alice)
        try:
            expect_signed_in(page, stack, alice, path=stack.app.lands_on())
        except AssertionError as exc:
            if not (lax and posted()):
                raise
            head, newline, rest = str(exc).partition("\n")
            raise AssertionError(f"{head}; {lax_post_problem(lax)}{newline}{rest}") from exc
    with ctx.step("the provider asked for a sign-in exactly once"):
        opened = log.pages_opened_from(stack.idp.base_url)
        assert len(opened) == 1, f"expected one provider sign-in, saw {opened}"
        shown = log.pages_shown_from(stack.idp.base_url)
        # The sign-in page (username, then password in the same document, as on Entra), then
        # "Stay signed in?".
        assert len(shown) == 2, f"expected the sign-in page and 'Stay signed in?': {shown}"
    bobs = ctx.new_context().new_page()
    with ctx.step("in another browser, bob signs in too: the app signs him in as himself",
                  page=bobs):
        _second_person_signs_in(bobs, stack, alice)


def _second_person_signs_in(page: Page, stack: LiveStack, first: Person) -> None:
    """Another person signs in from a browser of his own and lands as himself: an app that
    keeps one user for everyone (the first it signed in, held in a global) shows him as
    ``first``, which no sign-in of ``first`` alone would tell."""
    bob = stack.people["bob"]
    try:
        first_login(page, stack, bob)
    except AssertionError as exc:
        head, newline, rest = str(exc).partition("\n")
        shown = stack.app.showing(page)
        if first.name in shown or first.upn in shown:
            head = (f"the app signed {bob.upn} in as {first.upn}, who signed in before him in "
                    f"another browser: it keeps one user for everyone; {head}")
        raise AssertionError(f"{head}{newline}{rest}") from exc


def _auto_login(ctx: Ctx, app: str) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    other = next((a for a in stack.app.sign_in_names() if a != app), None)
    with ctx.step(f"sign in once through the {other or app} URL"):
        first_login(page, stack, alice, other or app)
        if other is None:  # the only sign-in URL: the app's own session must not help
            stack.app.drop_session(page)
    with ctx.step(f"follow the {app} sign-in URL: signed in with no page in between"):
        sign_in_by_redirects(page, stack, alice, stack.app.sign_in_url(app),
                             path=stack.app.lands_on(app))


for _app in CUSTOMER_APPS:
    def _make(app: str = _app) -> None:
        @scenario(
            id=f"auto-login.{app}",
            title=f"The {app} sign-in URL logs a user with an IdP session in with no click",
            proves=f"With an IdP session, the {app} URL goes through the provider by redirects "
            "alone and lands on the app signed in",
            needs={f"sign-in-url:{app}"},
        )
        def run(ctx: Ctx) -> None:
            _auto_login(ctx, app)

    _make()


@scenario(
    id="auto-login.silent-return",
    title="With an IdP session, the sign-in URL signs in again with no click",
    proves="After the app's own session is gone (its cookies dropped) but the IdP session "
    "remains, the first sign-in URL signs the user in by redirects alone",
    needs={"customer-sso"},
)
def silent_return(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("sign in once, then drop the app's session (the IdP session stays)"):
        first_login(page, stack, alice)
        stack.app.drop_session(page)
    with ctx.step("follow the sign-in URL again: signed in with no page in between"):
        log = sign_in_by_redirects(page, stack, alice, stack.app.sign_in_url(),
                                   path=stack.app.lands_on())
        authorize = [u for u, _ in log.documents if urlsplit(u).path.endswith("/authorize")]
        assert authorize, f"the app signed in without asking the provider: {log.documents}"


@scenario(
    id="auto-login.app-visit",
    title="Visiting an app without a session starts SSO by itself",
    proves="A page of the app reached directly (no sign-in URL) starts SSO by itself, and with "
    "an IdP session a second page signs in silently",
    needs={"protected-url"},
)
def app_visit_starts_sso(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    first, *others = stack.app.protected_urls()
    with ctx.step("open a protected page with no session: the provider asks to sign in"):
        goto_app(page, stack, first)
        sign_in_at_provider(page, stack, alice)
        try:
            expect_signed_in(page, stack, alice, path=urlsplit(first).path)
        except AssertionError as exc:
            if (lost := _not_brought_back(page, stack, alice, first, exc)) is None:
                raise
            raise AssertionError(lost) from exc
    for other in others[:1]:
        with ctx.step("a second page signs in silently: no page in between"):
            sign_in_by_redirects(page, stack, alice, other, path=urlsplit(other).path)
    with ctx.step("the app knows who is signed in"):
        stack.app.expect_signed_in(page, alice)


def _not_brought_back(page: Page, stack: LiveStack, person: Person, opened: str,
                      exc: AssertionError) -> str | None:
    """The verdict when ``person`` is signed in (``me_url`` or the page says so) on another
    page of the app than ``opened``, the protected page whose visit started the sign-in:
    the app lost the page it was asked for (an OAuth 2.0 client such as @fastify/oauth2
    leaves keeping it to the app), which the profile cannot set right. None otherwise."""
    ended, (_, _, detail) = page.url, str(exc).partition("\n")
    if (not isinstance(exc.__cause__, SignedInElsewhere)
            or origin(ended) != origin(stack.app.base_url)
            or urlsplit(ended).path == urlsplit(opened).path):
        return None
    return (f"{person.upn} is signed in, but the app did not bring them back to the page they "
            f"opened, {shown_url(opened)}: the sign-in ended at {shown_url(ended)}. An app "
            "keeps the page that started a sign-in (in its session, or a cookie set with the "
            f"state) and returns there after the callback\n{detail}")
