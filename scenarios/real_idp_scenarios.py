"""The scenarios that run against a real provider, and ``run --idp CONFIG``.

A real provider cannot be arranged or broken on purpose, so only the journeys that need neither
run: automatic login, RP-initiated sign-out and (when the driver can cancel) a cancelled
sign-in. They keep the ids of their counterparts in :mod:`scenarios.catalogue`, which drive the
mock's pages; every other catalogue scenario is listed as skipped, with the reason.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from mock_idp.signin import ids
from scenarios import Registry, Scenario, ScenarioContext, WorkerInfo
from scenarios.flows import NavigationLog, page_shows
from scenarios.pages import FailurePage, RpAppPage, RpSignedOutPage
from scenarios.real_idp import RealIdpConfig, RealIdpStack
from scenarios.real_idp_signin import (
    expect_sign_in_page,
    expect_signed_in,
    sign_in_at_provider,
    unless_refused,
)
from scenarios.settled_error import until_unless_settled_error
from scenarios.sign_out_wait import provider_or_signed_out_page, signed_out_locally

__all__ = [
    "APPS",
    "SKIP_REASON",
    "build_registry",
    "skipped_scenarios",
]

Ctx = ScenarioContext[RealIdpStack]
APPS = ("widget", "portal", "kb")
SKIP_REASON = ("needs the mock provider: it arranges users, secrets or the clock, or injects "
               "faults, through the mock's test-control API")


# -- steps ------------------------------------------------------------------------------------


def _sign_in_at_provider(ctx: Ctx) -> None:
    """Answer the provider's sign-in pages; a wait for a fresh authenticator code is a step
    of its own in the step log."""
    sign_in_at_provider(ctx.page, ctx.env, waiting=ctx.step)


def _first_login(ctx: Ctx, app: str) -> None:
    ctx.page.goto(ctx.env.sign_in_url(app))
    _sign_in_at_provider(ctx)
    expect_signed_in(ctx.page, ctx.env, app)


def _me_status(page: Page, stack: RealIdpStack) -> int:
    return page.request.get(stack.rp_url("/api/me")).status


# -- scenarios --------------------------------------------------------------------------------


def _first_login_scenario(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    log = NavigationLog(page)
    with ctx.step("follow the widget sign-in URL and sign in at the provider"):
        _first_login(ctx, "widget")
    with ctx.step("the provider's sign-in page was shown"):
        assert log.pages_shown_from(stack.idp_origin), log.documents


def _auto_login(ctx: Ctx, app: str) -> None:
    stack, page = ctx.env, ctx.page
    other = next(a for a in APPS if a != app)
    with ctx.step(f"sign in once through the {other} URL"):
        _first_login(ctx, other)
    log = NavigationLog(page)
    with ctx.step(f"follow the {app} sign-in URL: signed in with no page in between"):
        page.goto(stack.sign_in_url(app))
        expect_signed_in(page, stack, app)
        log.expect_no_page_between(stack.idp_origin)


def _app_visit(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("open /portal with no session: the provider asks to sign in"):
        page.goto(stack.rp_url("/portal"))
        _sign_in_at_provider(ctx)
        expect_signed_in(page, stack, "portal")
    with ctx.step("a second app, /kb, signs in silently"):
        log = NavigationLog(page)
        page.goto(stack.rp_url("/kb"))
        expect_signed_in(page, stack, "kb")
        log.expect_no_page_between(stack.idp_origin)
    with ctx.step("/api/me returns the signed-in user"):
        assert _me_status(page, stack) == 200


def _rp_initiated_sign_out(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("sign in to the knowledge base"):
        _first_login(ctx, "kb")
    log = NavigationLog(page)
    end_session = str(stack.metadata.get("end_session_endpoint", ""))
    with ctx.step("click Sign out (and confirm at the provider if it asks)"):
        RpAppPage(page).sign_out()
        _answer_sign_out(page, stack, log, end_session)
        _expect_back_signed_out(page, stack)
        expect(RpSignedOutPage(page).unconfirmed).to_have_count(0)
    with ctx.step("the provider's end-session endpoint got id_token_hint and state"):
        ends = [u for u, _ in log.documents if u.split("?")[0] == end_session]
        assert ends, f"no request to {end_session}: {log.documents}"
        params = parse_qs(urlsplit(ends[0]).query)
        assert params.get("id_token_hint") and params.get("state"), params
        assert parse_qs(urlsplit(page.url).query).get("state") == params["state"], page.url
    with ctx.step("the RP session has ended"):
        assert _me_status(page, stack) == 401
    with ctx.step("the next app visit needs the provider's sign-in page again"):
        page.goto(stack.rp_url("/kb"))
        stack.driver.expect_sign_in_page(page)


def _answer_sign_out(page: Page, stack: RealIdpStack, log: NavigationLog, end_session: str
                     ) -> None:
    """Once the app's sign-out has started (``log`` made before it), let the driver answer the
    provider's sign-out page, once one comes. The app's signed-out page without a page of the
    provider's first (:func:`~scenarios.sign_out_wait.provider_or_signed_out_page`, knowing the
    provider by ``end_session``'s host and path) is an app that signed out locally only: that
    fails at once, instead of after the driver's wait for a page that will not come, through
    the app's own pages. Without ``end_session`` (none in the discovery document) the driver's
    wait decides."""
    if end_session:
        where = urlsplit(end_session)
        came = provider_or_signed_out_page(
            page, log, provider_host=where.netloc, end_session_paths=(where.path,),
            shows_signed_out=stack.app.shows_sign_out_page,
            app_host=urlsplit(stack.app.base_url).netloc)
        if came == "app":
            raise AssertionError(signed_out_locally(page, log, end_session=end_session,
                                                    person=stack.user.username))
        if came == "neither":
            return  # nothing came: what the browser shows fails the next check
    stack.driver.confirm_sign_out(page, stack.user.username, end_session=end_session or None)


def _expect_back_signed_out(page: Page, stack: RealIdpStack) -> None:
    """The app's signed-out page; a provider that keeps the browser on its own page (Entra's
    "You signed out of your account", shown when ``post_logout_redirect_uri`` is not one of
    the app's registered redirect URIs) fails at once, naming that page and the URI to
    register, instead of with the missing heading. An error page that stays (the browser's
    own, after a redirect loop or a connection closed without an answer) fails at once too,
    saying what it is (:mod:`scenarios.settled_error`)."""
    back = RpSignedOutPage(page).heading
    stays = page.get_by_role("heading", name=ids.SIGNED_OUT_HEADING)
    try:
        until_unless_settled_error(
            page, lambda timeout: expect(back.or_(stays).first).to_be_visible(timeout=timeout))
    except AssertionError:
        pass
    if back.count() and back.first.is_visible():
        return
    if urlsplit(page.url).netloc != urlsplit(stack.idp_origin).netloc:
        try:  # elsewhere: the usual failure, with what the browser shows
            until_unless_settled_error(
                page, lambda timeout: expect(back).to_be_visible(timeout=timeout))
        except AssertionError as exc:
            raise AssertionError(f"sign-out did not come back to the app's signed-out page: "
                                 f"{page_shows(page)}\n{exc}") from exc
        return
    raise AssertionError(
        f"sign-out did not come back to the app: the provider kept the browser on its own page "
        f"({page_shows(page)}); register {stack.rp_url('/signed-out')} at the provider as "
        "the app's post-logout redirect URI (Entra: a Web redirect URI of the app registration)")


def _user_cancels(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("follow the sign-in URL and cancel at the provider"):
        page.goto(stack.sign_in_url("widget"))
        expect_sign_in_page(page, stack)
        stack.driver.cancel(page)
    with ctx.step("the failure page shows the contact and a logged reference"):
        failure = FailurePage(page)
        expect(failure.heading).to_be_visible()
        expect(failure.contact).to_have_text(stack.config.support_contact)
        reference = failure.reference.inner_text().strip()
        assert reference, "the failure page shows no error reference"
        logged = stack.rp_error(reference)
        assert str(logged.get("detail", "")).startswith("access_denied"), logged
        assert _me_status(page, stack) == 401


def build_registry(config: RealIdpConfig, *, sock: object | None = None,
                   catalogue: Registry | None = None, browser_timeout: float = 20.0,
                   started: RealIdpStack | None = None) -> Registry:
    """The real-provider scenarios, with one RP (and one connection) per worker; with
    ``catalogue``, its other scenarios too, each skipped with the reason
    (:meth:`Registry.skip_reason`), as a run with ``--app`` skips what a profile cannot run.
    ``browser_timeout``: the browser's timeout in seconds, which the RP's own timeouts stay
    under (:func:`scenarios.real_idp.rp_timeouts`). ``started``: the RP the (one, in-process)
    worker uses, started and checked before the run, and stopped by its starter."""
    registry = Registry()

    def add(**about: Any) -> Callable[[Callable[[Ctx], None]], object]:
        """Register a scenario that is skipped once the provider refused the relying party's
        redirect URI or the test user."""
        return lambda run: registry.scenario(**about)(unless_refused(run))

    add(id="auto-login.first-login", title="The first login shows the provider's sign-in page",
        proves="Without a provider session the sign-in URL leads to the provider's sign-in "
        "page, and signing in there lands on the app")(_first_login_scenario)
    for app in APPS:
        def _make(app: str = app) -> None:
            def run(ctx: Ctx) -> None:
                _auto_login(ctx, app)

            add(id=f"auto-login.{app}",
                title=f"The {app} sign-in URL logs a user with a provider session in with no "
                "click",
                proves=f"With a provider session, the {app} URL goes through the provider by "
                f"redirects alone and lands on /{app} signed in")(run)

        _make()
    add(id="auto-login.app-visit", title="Visiting an app without a session starts SSO",
        proves="A customer app reached directly starts SSO, and a second app then signs in "
        "silently")(_app_visit)
    add(id="signout.rp-initiated", title="Sign out in the app ends the RP and provider sessions",
        proves="Sign out sends the browser to the provider's end_session_endpoint with "
        "id_token_hint and state and back to the RP's signed-out page; the next visit needs "
        "the provider's sign-in page again", tags={"signout"})(_rp_initiated_sign_out)
    if config.driver.can_cancel:
        add(id="failure.user-cancels", title="Cancelling at the provider ends on the failure page",
            proves="Cancel on the provider's sign-in page returns access_denied, and the RP "
            "shows its failure page with the contact and a logged reference")(_user_cancels)

    @registry.environment_factory
    @contextlib.contextmanager
    def environment(worker: WorkerInfo) -> Iterator[RealIdpStack]:
        from scenarios.real_idp import real_idp_stack

        if started is not None:
            yield started
            return
        with tempfile.TemporaryDirectory(prefix="sso-idp-") as workdir:
            with real_idp_stack(config, workdir=Path(workdir), sock=sock,  # type: ignore[arg-type]
                                browser_timeout=browser_timeout) as stack:
                yield stack

    if catalogue is not None:
        reasons: dict[str, str] = {}
        for item, reason in skipped_scenarios(registry, catalogue, []):
            registry.add(item)
            reasons[item.id] = reason

        @registry.skip_when
        def needs_the_mock(item: Scenario, _app: str | None) -> str | None:
            return reasons.get(item.id)

    return registry


def skipped_scenarios(real: Registry, catalogue: Registry, patterns: list[str]
                      ) -> list[tuple[Scenario, str]]:
    """Catalogue scenarios (matching ``patterns``) that cannot run against a real provider."""
    wanted = [p.strip() for item in patterns for p in item.split(",") if p.strip()]
    out = []
    for item in catalogue:
        if item.id in real or (wanted and not any(item.matches(p) for p in wanted)):
            continue
        # not item.needs: those are capabilities of the app, which the reference RP has
        reason = SKIP_REASON
        if item.id == "failure.user-cancels":
            reason = ("the sign-in driver cannot cancel: a form driver needs cancel_control, "
                      "and Entra's pages cancel only on a consent page")
        out.append((item, reason))
    return out
