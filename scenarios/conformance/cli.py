"""``python -m scenarios conformance``: its options, the set-up of the mock provider, and the
report. The rows run in :mod:`scenarios.conformance.runner`."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from scenarios import app_logs
from scenarios.conformance.control import SetupError
from scenarios.conformance.junit import write_junit
from scenarios.conformance.output import RowOutput, forget
from scenarios.conformance.report import write_report
from scenarios.conformance.rows import (
    ROWS,
    Row,
    RowResult,
    SelectionError,
    Verdict,
    format_progress,
    format_table,
    list_json,
    nothing_tested,
    passed,
    select_rows,
    to_json,
)
from scenarios.conformance.run_outputs import RunTarget, not_run, say_logs, write_outputs
from scenarios.conformance.runner import ConformanceOptions, preflight, run_rows
from scenarios.conformance.setup import Target, from_flags, from_profile
from scenarios.conformance.trust import browser_trust
from scenarios.github import annotate_error, say
from scenarios.last_run import last_failed_selection, previous_failed_rows
from scenarios.options import (
    MAX_TIMEOUT_SECONDS,
    directory_option,
    file_option,
    given_option,
    http_url_option,
    max_failures_option,
    port_option,
    profile_option,
    selection_option,
    timeout_option,
)
from scenarios.report import output_problem
from scenarios.shard import Shard, shard_option

__all__ = ["EXIT_FAILED", "EXIT_SETUP", "HELP", "configure", "handle"]

HELP = "run the relying-party check catalogue against any RP, through the mock provider"
EXIT_FAILED = 1
EXIT_SETUP = 2
DEFAULT_LOG_REPORT = Path("reports/conformance")

_EPILOG = """\
With --app PROFILE (an app profile, as for 'run --app') the command starts the mock provider
(on --idp-port, when given) and the app the way the profile says, and takes the sign-in URL,
the check URL (me_url; without one, the page [signed_in] page names, read in the browser)
and the back-channel logout URI from it; the profile also decides the
tenant, client id and redirect URIs, so --rp, --idp, --ca-file, --tenant, --client-id,
--redirect-uri, --spa-redirect-uri and --pause are refused with it.

Without a profile, the RP under test must use the mock provider as its OpenID provider:
authority <mock>/<tenant> (issuer <mock>/<tenant>/v2.0), the mock's reference app client id and
secret (printed when this command starts the mock), and a registered redirect URI (any
http://localhost or http://127.0.0.1 port with path /auth/callback; --redirect-uri adds one, and
--spa-redirect-uri one for a single-page app, whose code the browser redeems).
An https mock (python -m mock_idp --https, or --https here) needs --ca-file with --idp.

Before any row a plain sign-in must work against this mock, and the app's clock (its Date
header) must agree with the mock's: otherwise the set-up is unusable (exit 2).

Each row arms one fault at the provider, signs in with a fresh browser context (no IdP or RP
session) at --start, then asks --check (or the profile's [signed_in] page): REJECT rows pass
when the RP refused the faulted answer (and signs in with a correct one right after), ACCEPT
rows when it signed in. --backchannel tests the logout-token rows (without it they are not
tested, SKIP): the provider POSTs a valid or tampered logout token when the browser's provider
session ends; 200 (or 204) and 400 are expected. Where the specifications allow either outcome
(at_hash / c_hash where the app's flow leaves them optional, as the code flow does both and code
id_token at_hash; a bad signature on an ID token from the token endpoint over TLS) the row is
INFO; a key row whose keys the app never fetched is not tested (SKIP).

Exit status: 0 when no row fails, 1 when one does or when every row was not tested (SKIP; in
a shard, only when the other shards have no row to test either, as run decides), 2 when the
set-up is unusable.

Examples:
  python -m scenarios conformance --app reference-rp
  python -m scenarios conformance --app my-app.toml --https
  python -m scenarios conformance --rp http://127.0.0.1:8000 --idp http://localhost:8400 \\
      --start /sso/<connection-id>/widget --backchannel /auth/backchannel-logout
"""


def configure(parser: argparse.ArgumentParser) -> None:
    from mock_idp.config import DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID
    from scenarios.browser import WS_ENDPOINT_ENV

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument("--app", type=profile_option, metavar="PROFILE",
                        help="the app under test: an app profile (TOML) or a shipped profile's "
                        "name; the command starts the mock and the app and reads the URLs below "
                        "from the profile")
    parser.add_argument("--rp", type=http_url_option, metavar="URL",
                        help="the RP's base URL, when it runs already (instead of --app)")
    parser.add_argument("--start", type=given_option, metavar="PATH",
                        help="path that starts a login (default: the profile's first sign-in "
                        "URL, else /login)")
    parser.add_argument("--check", type=given_option, metavar="PATH",
                        help="answers 2xx when signed in, 401/403 or a redirect when not "
                        "(default: the profile's me_url, else its [signed_in] page, read in "
                        "the browser; without a profile, /api/me)")
    parser.add_argument("--backchannel", type=given_option, metavar="PATH",
                        help="the RP's back-channel logout endpoint; adds the logout-token rows "
                        "(default: the profile's backchannel_uri)")
    parser.add_argument("--idp", type=http_url_option, metavar="URL",
                        help="a running mock provider (default: start one and print the "
                        "settings the RP needs)")
    parser.add_argument("--idp-port", type=port_option, default=0, metavar="PORT",
                        help="port of the mock this command starts (default: a free one)")
    parser.add_argument("--https", action="store_true",
                        help="serve the mock this command starts over https with a local CA "
                        "(apps on MSAL accept only https authorities); the browser and the app "
                        "({ca_file}) trust it")
    parser.add_argument("--ca-file", type=Path, metavar="PEM",
                        help="with --idp https://...: the CA certificate the mock's server "
                        "certificate chains to (python -m mock_idp --https prints it)")
    parser.add_argument("--pause", action="store_true",
                        help="after starting the mock, wait for Enter (time to configure the RP)")
    parser.add_argument("--redirect-uri", action="append", default=[], type=given_option,
                        metavar="URI",
                        help="register this redirect URI for the app first, on its web "
                        "platform (repeatable)")
    parser.add_argument("--spa-redirect-uri", action="append", default=[], type=given_option,
                        metavar="URI",
                        help="register this redirect URI on the app's single-page-app "
                        "platform: a browser app that redeems its own codes, as MSAL.js "
                        "does (repeatable)")
    parser.add_argument("--tenant", type=given_option,
                        help=f"tenant id or domain (default: {DEFAULT_TENANT_ID})")
    parser.add_argument("--client-id", type=given_option,
                        help=f"the RP's client id at the mock (default: the reference app, "
                        f"{REFERENCE_RP_CLIENT_ID})")
    parser.add_argument("--user", type=given_option, default="alice",
                        help="who signs in: a first name of the mock's directory or a UPN "
                        "(default: alice)")
    parser.add_argument("--password", type=given_option,
                        help="the user's password (default: P@ssw0rd-<name>)")
    parser.add_argument("--only", action="append", type=selection_option, default=[],
                        metavar="ROWS",
                        help="row ids or globs, comma-separated or repeated")
    parser.add_argument("--shard", type=shard_option, metavar="I/N",
                        help="run only part I of N of the rows (a deterministic split: N CI "
                        "machines with I = 1..N run every row once)")
    parser.add_argument("--list", action="store_true", help="list the rows and exit")
    stop = parser.add_mutually_exclusive_group()
    stop.add_argument("--max-failures", type=max_failures_option, metavar="N",
                      help="once N rows have failed, do not run the rows left (SKIP)")
    stop.add_argument("-x", dest="max_failures", action="store_const", const=1,
                      help="stop after the first failed row: --max-failures 1")
    parser.add_argument("--last-failed", action="store_true",
                        help="run only the selected rows that failed in the last run (its "
                        "results.json in --report, which this needs); all of them when none did")
    parser.add_argument("--junit", type=file_option, metavar="PATH",
                        help="also write JUnit XML here")
    parser.add_argument("--json", action="store_true",
                        help="print the results as JSON on stdout (progress goes to stderr); "
                        "with --list, the rows as JSON")
    parser.add_argument("--report", type=directory_option, metavar="DIR",
                        help="write an HTML report (each row with its protocol exchange: the "
                        "sequence diagram and decoded tokens) and results.json to DIR; what "
                        "the mock and an in-process app log goes to DIR/logs (default: "
                        f"{DEFAULT_LOG_REPORT}/logs)")
    parser.add_argument("--explain", action="store_true",
                        help="after the table, print the protocol exchange of each failed row "
                        "as a text sequence diagram")
    parser.add_argument("--headed", action="store_true", help="show the browser")
    parser.add_argument("--timeout", type=timeout_option, default=10.0, metavar="SECONDS",
                        help=f"timeout of each browser action, at most {MAX_TIMEOUT_SECONDS} "
                        "(default: 10)")
    parser.add_argument("--browser-ws-endpoint", metavar="URL",
                        help=f"a remote Playwright browser server (env {WS_ENDPOINT_ENV})")


def handle(args: argparse.Namespace) -> int:
    try:
        rows = select_rows(args.only)
    except SelectionError as exc:
        _say(f"scenarios conformance: {exc}")
        return EXIT_SETUP
    selection = rows
    if args.shard is not None:
        rows = tuple(args.shard.select(rows, key=lambda row: row.id))
    dealt = rows
    if args.last_failed:
        if args.report is None:
            _say("scenarios conformance: --last-failed reads the results.json the last run "
                 "wrote with --report DIR: give --report")
            return EXIT_SETUP
        rows = tuple(last_failed_selection(rows, lambda row: row.id,
                                           args.report / "results.json", _say,
                                           read=previous_failed_rows, noun="rows")[0])
    if args.app and not _profile_usable(args.app):
        return EXIT_SETUP
    if args.app and (flags := _not_with_app(args)):
        _say("scenarios conformance: --app starts the mock provider and the app itself, as "
             f"the profile says; it does not take {' or '.join(flags)}")
        return EXIT_SETUP
    if args.list:
        if args.json:
            say(json.dumps(list_json(rows, shard=args.shard), indent=2), json=True)
            return 0
        for row in rows:
            print(f"{row.id}\t{row.expect}\t{row.fault or '-'}\t{row.what}")
        return 0
    if not args.app and not args.rp:
        _say("scenarios conformance: --app PROFILE or --rp URL is required")
        return EXIT_SETUP
    if (problem := output_problem(report=args.report, junit=args.junit)) is not None:
        _say(f"scenarios conformance: {problem}")
        return EXIT_SETUP
    if not rows and args.shard is not None:
        from mock_idp.config import REFERENCE_RP_CLIENT_ID

        return _empty_shard(args, rp=args.rp or "", provider=args.idp or "",
                            client_id=args.client_id or REFERENCE_RP_CLIENT_ID)
    report_dir = args.report if args.report is not None else DEFAULT_LOG_REPORT
    started = datetime.now(UTC)
    results: list[RowResult] | None
    done: dict[str, RowResult] = {}  # each row as it finishes, for an interrupted run's reports
    target = RunTarget(rp=args.rp or "", provider=args.idp or "",
                       client_id=args.client_id or "")
    try:
        with contextlib.ExitStack() as stack:
            # The servers' own records (the RP's refusals, say) go beside the report, as in
            # 'run'.
            log = stack.enter_context(app_logs.captured(report_dir, 0))
            log.unlink(missing_ok=True)  # only this run's: the file is made at the first record
            forget(report_dir, (row.id for row in ROWS))
            try:
                setup = (from_profile if args.app else from_flags)(args, stack, say=_say)
                options = setup.options
                backchannel = bool(options.backchannel)
                target = RunTarget(
                    rp=options.rp, provider=options.idp, client_id=options.client_id,
                    app=setup.name, others_run=_others_run(args.shard, selection, dealt,
                                                           backchannel=backchannel))
                for row in rows:
                    if row.kind != "login" and not backchannel:
                        done[row.id] = _not_applicable(row)
                runnable = tuple(row for row in rows if row.id not in done)
                if not runnable and not target.others_run:
                    _say(f"scenarios conformance: no rows to run ({NEEDS_BACKCHANNEL})")
                    return EXIT_SETUP
                for result in done.values():
                    _say(format_progress(result))
                ran: dict[str, RowResult] = {}
                if runnable:
                    preflight(options, setup.control)
                    output = (RowOutput(setup.app, report_dir) if setup.app is not None
                              else None)
                    ran = {r.row.id: r
                           for r in _run_with_browser(options, runnable, setup, output, done)}
                results = [done[row.id] if row.id in done else ran[row.id]
                           for row in rows if row.id in done or row.id in ran]
            except SetupError as exc:
                _say(f"scenarios conformance: {exc}")
                annotate_error("conformance set-up", str(exc))
                results = None
    except KeyboardInterrupt:
        # what was started has stopped: the rows done so far, the others not run (the
        # signals that follow are ignored until the reports are written, as in 'run')
        write_outputs(args, [done.get(row.id) or not_run(row) for row in rows], target,
                      report_dir=report_dir, started=started, interrupted=True)
        raise
    if results is None:
        say_logs(report_dir)
        return EXIT_SETUP
    write_outputs(args, results, target, report_dir=report_dir, started=started)
    if nothing_tested(results) and target.others_run:
        _say(f"scenarios conformance: shard {args.shard} tested nothing: its rows were not "
             "tested (SKIP, each with its reason), and the other shards have the selection's "
             "other rows to test")
    elif nothing_tested(results):
        _say("scenarios conformance: nothing was tested: every selected row was not tested "
             "(SKIP, each with its reason), which is not a success")
    return 0 if passed(results, others_run=target.others_run) else EXIT_FAILED


NEEDS_BACKCHANNEL = "the logout-token rows need --backchannel, or [sign_out] backchannel_uri"


def _not_applicable(row: Row) -> RowResult:
    """A logout-token row without a back-channel URI: not tested, saying why (not left out:
    the table, the reports and the shards' sizes hold every row ``--list`` shows)."""
    return RowResult(row=row, verdict=Verdict(
        result="SKIP", did="not asked", reason=f"not tested: {NEEDS_BACKCHANNEL}"), seconds=0.0)


def _others_run(shard: Shard | None, selection: Sequence[Row], dealt: Sequence[Row], *,
                backchannel: bool) -> bool:
    """With a shard: whether the selection has rows to test outside it (a logout-token row
    only with a back-channel URI). Then, as ``run`` passes a shard whose every scenario is
    skipped while the other shards run some, a shard whose every row was not tested passes:
    sharded or not, the same rows against the same app get the same verdict."""
    if shard is None:
        return False
    mine = {row.id for row in dealt}
    return any(row.id not in mine and (row.kind == "login" or backchannel)
               for row in selection)


def _profile_usable(app: str) -> bool:
    """Whether ``--app``'s profile can be used; if not, its problems are printed, as ``run
    --app`` prints them (with ``--list`` too), before anything starts."""
    from scenarios.app import ProfileError
    from scenarios.live import profile_for

    try:
        profile_for(app)
    except ProfileError as exc:
        _say(f"scenarios conformance: --app {app}: the profile has problems:")
        for problem in exc.problems:
            _say(f"  {problem}")
        return False
    return True


def _not_with_app(args: argparse.Namespace) -> list[str]:
    """The options given that only the flags' set-up reads: with ``--app`` the profile decides
    the app, its registration and the provider's settings."""
    given = {"--rp": args.rp, "--idp": args.idp, "--ca-file": args.ca_file,
             "--tenant": args.tenant, "--client-id": args.client_id,
             "--redirect-uri": args.redirect_uri, "--spa-redirect-uri": args.spa_redirect_uri,
             "--pause": args.pause}
    return [flag for flag, value in given.items() if value]


def _empty_shard(args: argparse.Namespace, *, rp: str, provider: str, client_id: str) -> int:
    """A shard with no row (more shards than rows) is not an error: an empty table, report and
    JUnit file, exit 0."""
    _say(f"scenarios conformance: shard {args.shard} has no rows to run")
    if args.json:
        print(json.dumps(to_json([], rp=rp, provider=provider, client_id=client_id,
                                 shard=args.shard), indent=2))
    else:
        print()
        print(format_table([]))
    if args.report is not None:
        page = write_report([], args.report, rp=rp, provider=provider, client_id=client_id,
                            shard=args.shard)
        _say(f"report: {page}")
    if args.junit is not None:
        _say(f"junit:  {write_junit([], args.junit, shard=args.shard)}")
    return 0


def _say(message: str) -> None:
    """A line on stderr; what it quotes (an app's output, a page's text) is made inert."""
    say(message, sys.stderr)


def _run_with_browser(options: ConformanceOptions, rows: Sequence[Row], target: Target,
                      output: RowOutput | None, done: dict[str, RowResult]
                      ) -> list[RowResult]:
    """Run ``rows``; each one's result also goes in ``done`` (by its id) as it finishes, for
    the reports of a run interrupted before the last."""
    from scenarios.browser import BrowserUnavailable, launch_or_explain, resolve
    from scenarios.playwright_driver import playwright_driver

    try:
        choice = resolve(ws_endpoint=options.ws_endpoint)
    except BrowserUnavailable as exc:
        raise SetupError(str(exc)) from None
    trust = browser_trust(options.idp, target.ca_file, remote=choice.kind == "remote")
    choice = replace(choice, args=(*choice.args, *trust.launch_args))
    options = replace(options, context_options={**options.context_options,
                                                **trust.context_options})
    with playwright_driver() as playwright:
        try:
            browser = launch_or_explain(playwright, choice, headed=options.headed)
        except BrowserUnavailable as exc:
            raise SetupError(str(exc)) from None
        try:
            def finished(result: RowResult) -> None:
                done[result.row.id] = result
                _say(format_progress(result))

            return run_rows(options, rows, target.control, browser, progress=finished,
                            output=output, known=target.known, app=target.app)
        finally:
            browser.close()
