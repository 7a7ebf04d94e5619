"""The scenarios that run against a real provider, and ``run --idp CONFIG``.

A real provider cannot be arranged or broken on purpose, so only the journeys that need neither
run: automatic login, RP-initiated sign-out and (when the driver can cancel) a cancelled
sign-in. They keep the ids of their counterparts in :mod:`scenarios.catalogue`, which drive the
mock's pages; every other catalogue scenario is listed as skipped, with the reason.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from mock_idp.testing import bind_socket
from scenarios import Registry, Scenario, ScenarioContext, WorkerInfo, flows
from scenarios.drivers import CodeSteps, EntraDriver
from scenarios.pages import FailurePage, RpAppPage, RpSignedOutPage
from scenarios.real_idp import IdpConfigError, RealIdpConfig, RealIdpStack, load_idp_config

__all__ = [
    "APPS",
    "SKIP_REASON",
    "build_registry",
    "run_with_idp",
    "skipped_scenarios",
]

Ctx = ScenarioContext[RealIdpStack]
APPS = ("widget", "portal", "kb")
SKIP_REASON = ("needs the mock provider: it arranges users, secrets or the clock, or injects "
               "faults, through the mock's test-control API")
EXIT_USAGE = 2
EXIT_NOTHING_RAN = 5
"""Every selected scenario needs the mock provider (a shard with none to run exits 0)."""
CODE_STEPS_FILE = ".authenticator-code-steps"
"""In the report directory: the last time step whose authenticator code the run typed."""


# -- steps ------------------------------------------------------------------------------------


def _shown_from(documents: list[tuple[str, int]], origin: str) -> list[str]:
    host = urlsplit(origin).netloc
    return [u for u, s in documents if urlsplit(u).netloc == host and not 300 <= s < 400]


def _record_documents(page: Page) -> list[tuple[str, int]]:
    documents: list[tuple[str, int]] = []

    def note(response: object) -> None:
        request = response.request  # type: ignore[attr-defined]
        if request.resource_type == "document" and request.frame == page.main_frame:
            documents.append((response.url, response.status))  # type: ignore[attr-defined]

    page.on("response", note)
    return documents


def _expect_signed_in(page: Page, stack: RealIdpStack, app: str) -> None:
    """Signed in to ``app``; else the failure says what the page showed instead (the
    provider's error, a wrong code or password, or the app's failure page)."""
    signed_in = RpAppPage(page).signed_in_as
    try:
        expect(signed_in).to_contain_text("Signed in as")
        if stack.user.display_name:
            expect(signed_in).to_contain_text(stack.user.display_name)
        expect(page).to_have_url(re.compile(rf"^{re.escape(stack.rp.base_url)}/{app}(\?.*)?$"))
    except AssertionError as exc:
        raise AssertionError(f"{stack.user.username} is not signed in: "
                             f"{flows.page_shows(page)}\n{exc}") from exc


def _sign_in_at_provider(ctx: Ctx) -> None:
    """Answer the provider's sign-in pages; a wait for a fresh authenticator code is a step
    of its own in the step log."""
    stack = ctx.env
    stack.driver.sign_in(ctx.page, stack.user.username, stack.user.password.reveal(),
                         waiting=ctx.step)


def _first_login(ctx: Ctx, app: str) -> None:
    ctx.page.goto(ctx.env.sign_in_url(app))
    _sign_in_at_provider(ctx)
    _expect_signed_in(ctx.page, ctx.env, app)


def _me_status(page: Page, stack: RealIdpStack) -> int:
    return page.request.get(stack.rp_url("/api/me")).status


# -- scenarios --------------------------------------------------------------------------------


def _first_login_scenario(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    documents = _record_documents(page)
    with ctx.step("follow the widget sign-in URL and sign in at the provider"):
        _first_login(ctx, "widget")
    with ctx.step("the provider's sign-in page was shown"):
        assert _shown_from(documents, stack.idp_origin), documents


def _auto_login(ctx: Ctx, app: str) -> None:
    stack, page = ctx.env, ctx.page
    other = next(a for a in APPS if a != app)
    with ctx.step(f"sign in once through the {other} URL"):
        _first_login(ctx, other)
    documents = _record_documents(page)
    with ctx.step(f"follow the {app} sign-in URL: signed in with no page in between"):
        page.goto(stack.sign_in_url(app))
        _expect_signed_in(page, stack, app)
        assert _shown_from(documents, stack.idp_origin) == [], documents


def _app_visit(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("open /portal with no session: the provider asks to sign in"):
        page.goto(stack.rp_url("/portal"))
        _sign_in_at_provider(ctx)
        _expect_signed_in(page, stack, "portal")
    with ctx.step("a second app, /kb, signs in silently"):
        documents = _record_documents(page)
        page.goto(stack.rp_url("/kb"))
        _expect_signed_in(page, stack, "kb")
        assert _shown_from(documents, stack.idp_origin) == [], documents
    with ctx.step("/api/me returns the signed-in user"):
        assert _me_status(page, stack) == 200


def _rp_initiated_sign_out(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("sign in to the knowledge base"):
        _first_login(ctx, "kb")
    documents = _record_documents(page)
    with ctx.step("click Sign out (and confirm at the provider if it asks)"):
        RpAppPage(page).sign_out()
        stack.driver.confirm_sign_out(page)
        expect(RpSignedOutPage(page).heading).to_be_visible()
        expect(RpSignedOutPage(page).unconfirmed).to_have_count(0)
    with ctx.step("the provider's end-session endpoint got id_token_hint and state"):
        end_session = str(stack.metadata.get("end_session_endpoint", ""))
        ends = [u for u, _ in documents if u.split("?")[0] == end_session]
        assert ends, f"no request to {end_session}: {documents}"
        params = parse_qs(urlsplit(ends[0]).query)
        assert params.get("id_token_hint") and params.get("state"), params
        assert parse_qs(urlsplit(page.url).query).get("state") == params["state"], page.url
    with ctx.step("the RP session has ended"):
        assert _me_status(page, stack) == 401
    with ctx.step("the next app visit needs the provider's sign-in page again"):
        page.goto(stack.rp_url("/kb"))
        stack.driver.expect_sign_in_page(page)


def _user_cancels(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    with ctx.step("follow the sign-in URL and cancel at the provider"):
        page.goto(stack.sign_in_url("widget"))
        stack.driver.expect_sign_in_page(page)
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
                   catalogue: Registry | None = None, browser_timeout: float = 20.0
                   ) -> Registry:
    """The real-provider scenarios, with one RP (and one connection) per worker; with
    ``catalogue``, its other scenarios too, each skipped with the reason
    (:meth:`Registry.skip_reason`), as a run with ``--app`` skips what a profile cannot run.
    ``browser_timeout``: the browser's timeout in seconds, which the RP's own timeouts stay
    under (:func:`scenarios.real_idp.rp_timeouts`)."""
    registry = Registry()
    add = registry.scenario
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


def run_with_idp(args: argparse.Namespace, *, sock: object | None = None) -> int:
    """``run --idp CONFIG``: the handler's branch for a real provider (one worker)."""
    from scenarios.options import scenario_limit
    from scenarios.registry import SelectionError, load_catalogue
    from scenarios.report import output_problem, write_reports
    from scenarios.report_files import write_atomically
    from scenarios.results import RunSummary, format_explanations
    from scenarios.runner import (
        RunInterrupted,
        RunOptions,
        format_table,
        part_to_run,
        run,
        skipped_result,
    )

    try:
        config = load_idp_config(Path(args.idp))
    except IdpConfigError as exc:
        for line in str(exc).splitlines():
            print(f"scenarios: --idp {args.idp}: {line}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(config.driver, EntraDriver) and config.driver.totp_secret is not None:
        # the run's sign-ins (in any worker) share the steps whose codes were typed
        steps = CodeSteps(args.report.resolve() / CODE_STEPS_FILE)
        config = replace(config, driver=replace(config.driver, code_steps=steps))
    registry = build_registry(config, sock=sock, catalogue=load_catalogue(args.catalogue),
                              browser_timeout=args.timeout)
    try:
        selected = registry.select(args.only)
    except SelectionError as exc:
        print(f"scenarios: {exc}", file=sys.stderr)
        return EXIT_USAGE
    reasons = {item.id: registry.skip_reason(item) for item in selected}
    runs_anywhere = None in reasons.values()
    shard = getattr(args, "shard", None)
    selected, _ = part_to_run(  # as the runner splits a run with --app
        selected, reasons, shard=shard,
        last_failed_in=args.report / "results.json" if getattr(args, "last_failed", False)
        else None)
    skipped = [(item, reason) for item in selected if (reason := reasons[item.id]) is not None]
    runnable = [item for item in selected if reasons[item.id] is None]
    if args.list:
        for item in runnable:
            print(f"{item.id}\t{item.title}\n\tproves: {item.proves}")
        for item, reason in skipped:
            print(f"{item.id}\tSKIP: {reason}")
        return 0
    if (problem := output_problem(report=args.report, junit=args.junit)) is not None:
        print(f"scenarios: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if runnable and sock is None and (taken := _port_taken(config)) is not None:
        print(f"scenarios: --idp {args.idp}: {taken}", file=sys.stderr)
        return EXIT_USAGE
    if any(reason == SKIP_REASON for _, reason in skipped):
        print(f"skipped against a real provider ({SKIP_REASON}):")
    for item, reason in skipped:
        print(f"SKIP  {item.id}" + ("" if reason == SKIP_REASON else f"  ({reason})"))
    nowhere = WorkerInfo(index=-1, count=1)

    def write(summary: RunSummary) -> None:
        # the reports list the skipped scenarios with their reasons, as those of a run with
        # --app
        summary = replace(summary, results=(
            *summary.results, *(skipped_result(item, reason, nowhere)
                                for item, reason in skipped)))
        write_reports(summary, args.junit, logs=bool(runnable))
        text = json.dumps([{"id": s.id, "reason": r} for s, r in skipped], indent=2)
        write_atomically(summary.report_dir / "skipped.json",
                         lambda path: path.write_text(text, encoding="utf-8"))

    if runnable:
        if args.trace != "off":
            print("note: Playwright traces are off against a real provider (they would record "
                  "the typed password); screenshots mask password fields")
        if getattr(args, "workers_given", False) and args.workers > 1:
            print(f"note: --workers {args.workers} is not used against a real provider: its "
                  "scenarios run one at a time, in one worker (one account signs in)")
        options = RunOptions(
            catalogue=args.catalogue, only=tuple(s.id for s in runnable), headed=args.headed,
            workers=1, report_dir=args.report, trace="off",
            ws_endpoint=args.browser_ws_endpoint, timeout_ms=args.timeout * 1000,
            scenario_timeout=scenario_limit(args.scenario_timeout, args.timeout),
            max_failures=args.max_failures,
        )
        try:
            summary = replace(run(options, registry=registry), shard=shard)
        except RunInterrupted as stopped:
            write(replace(stopped.summary, shard=shard))
            raise
    else:
        # nothing to run: the reports still list the skipped scenarios (a CI shard uploads
        # them like any other)
        summary = RunSummary(results=(), seconds=0.0, workers=0,
                             report_dir=args.report.resolve(), shard=shard)
        summary.report_dir.mkdir(parents=True, exist_ok=True)
        where = f"shard {shard}: " if shard is not None else ""
        print(f"scenarios: {where}" + ("every selected scenario needs the mock provider"
                                       if skipped else "no scenario selected"),
              file=sys.stderr)
    print()
    print(format_table(summary))
    if getattr(args, "explain", False) and summary.failures:
        print()
        print(format_explanations(summary))
    if skipped:
        print(f"{len(skipped)} skipped (need the mock provider)")
    write(summary)
    if not runnable:
        # a shard with nothing to run is part of a whole that runs something, or that holds
        # nothing at all; alone, it is an error
        return 0 if shard is not None and (runs_anywhere or not selected) else EXIT_NOTHING_RAN
    return summary.exit_code


def _port_taken(config: RealIdpConfig) -> str | None:
    """Why the RP cannot have its fixed ``[rp] port``, or ``None`` (a free one: it is taken
    when the RP starts)."""
    if not config.rp_port:
        return None
    try:
        bind_socket(config.rp_host, config.rp_port).close()
    except OSError as exc:
        return (f"[rp] port {config.rp_port} on {config.rp_host} is not free "
                f"({exc.strerror or exc}): stop what uses it, or choose another port "
                "(and register its redirect URIs)")
    return None
