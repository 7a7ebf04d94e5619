"""``python -m scenarios``: the command line of the scenario suite.

Each subcommand is one :class:`Command` row: a name, a ``configure(parser)`` that declares its
options and a ``handler(args) -> exit code``. New subcommands (``doctor``, ``conformance``,
``demo``) are added as rows of :data:`COMMANDS`, with their code in their own modules.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mock_idp.cli_version import VersionAction
from scenarios import conformance, demo
from scenarios.app import cli as app_cli
from scenarios.app.process import interrupted_by
from scenarios.doctor import cli as doctor_cli
from scenarios.github import say
from scenarios.modes import SCREENSHOT_MODES, TRACE_MODES
from scenarios.options import (
    DEFAULT_SCENARIO_TIMEOUT,
    MAX_TIMEOUT_SECONDS,
    SCENARIO_TIMEOUTS_PER_ACTION,
    directory_option,
    file_option,
    max_failures_option,
    profile_option,
    scenario_limit,
    scenario_timeout_option,
    selection_option,
    timeout_option,
)
from scenarios.shard import shard_option

__all__ = ["COMMANDS", "Command", "build_parser", "main"]

EXIT_NO_SCENARIOS = 5
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a command whose reader left
EXIT_INTERRUPTED = 130  # 128 + SIGINT: what a shell reports for a command stopped by Ctrl-C


@dataclass(frozen=True, kw_only=True)
class Command:
    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


def _workers(value: str) -> int:
    if value == "auto":
        return max(1, min(os.cpu_count() or 1, 4))
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number or 'auto'") from None
    if count < 1:
        raise argparse.ArgumentTypeError("needs at least one worker")
    return count


class _GivenWorkers(argparse.Action):
    """``--workers N`` as given on the command line: ``workers`` and ``workers_given``
    (``run --idp`` runs one worker, and says so when more were asked for)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        namespace.workers = values
        namespace.workers_given = True


def _configure_run(parser: argparse.ArgumentParser) -> None:
    from scenarios.browser import WS_ENDPOINT_ENV
    from scenarios.runner import DEFAULT_CATALOGUE

    parser.add_argument(
        "--only",
        action="append",
        type=selection_option,
        default=[],
        metavar="IDS",
        help="scenario ids or glob patterns, comma-separated or repeated (e.g. 'auto-login.*')",
    )
    parser.add_argument("--headed", action="store_true", help="show the browser windows")
    parser.add_argument(
        "--workers",
        type=_workers,
        action=_GivenWorkers,
        default="auto",
        metavar="N",
        help="worker processes, each with its own browser and servers (default: auto, <= 4)",
    )
    parser.add_argument(
        "--shard",
        type=shard_option,
        metavar="I/N",
        help="run only part I of N of the selection (a deterministic split: N CI machines "
        "with I = 1..N run every scenario once)",
    )
    parser.add_argument("--junit", type=file_option, metavar="PATH",
                        help="write JUnit XML here")
    parser.add_argument(
        "--report",
        type=directory_option,
        default=Path("reports/scenarios"),
        metavar="DIR",
        help="HTML report, screenshots and traces (default: reports/scenarios)",
    )
    parser.add_argument(
        "--trace",
        choices=TRACE_MODES,
        default="rerun-on-failure",
        help="save Playwright traces: of a second, traced run of each scenario that did not "
        "pass, so a passing one records nothing (rerun-on-failure, the default); of every "
        "failure, each scenario traced as it runs (retain-on-failure); of every scenario, "
        "with the screencast (on); none (off)",
    )
    parser.add_argument(
        "--screenshots",
        choices=SCREENSHOT_MODES,
        default="steps",
        help="a screenshot at the end of every step that changed the page, or only of a "
        "failure (default: steps)",
    )
    parser.add_argument(
        "--browser-ws-endpoint",
        default=os.environ.get(WS_ENDPOINT_ENV) or None,
        metavar="URL",
        help=f"connect to a remote Playwright browser server (env {WS_ENDPOINT_ENV})",
    )
    parser.add_argument(
        "--timeout",
        type=timeout_option,
        default=10.0,
        metavar="SECONDS",
        help="default timeout of each browser action and expectation, more than 0 and at most "
        f"{MAX_TIMEOUT_SECONDS} (default: 10)",
    )
    parser.add_argument(
        "--scenario-timeout",
        type=scenario_timeout_option,
        metavar="SECONDS",
        help="how long one scenario may take before it fails and its worker is stopped (a new "
        f"one goes on); 0: no limit (default: {SCENARIO_TIMEOUTS_PER_ACTION} times --timeout, "
        f"at least {DEFAULT_SCENARIO_TIMEOUT:g})",
    )
    parser.add_argument(
        "--catalogue",
        default=DEFAULT_CATALOGUE,
        metavar="MODULE[:REGISTRY]",
        help=f"where the scenarios are registered (default: {DEFAULT_CATALOGUE})",
    )
    parser.add_argument("--list", action="store_true", help="list the selected scenarios and exit")
    stop = parser.add_mutually_exclusive_group()
    stop.add_argument(
        "--max-failures",
        type=max_failures_option,
        metavar="N",
        help="skip the scenarios left once N have failed or been in error",
    )
    stop.add_argument("-x", dest="max_failures", action="store_const", const=1,
                      help="stop after the first failure: --max-failures 1")
    parser.add_argument(
        "--last-failed",
        action="store_true",
        help="run only the selected scenarios that failed or were in error in the last run "
        "(its results.json in --report); all of them when none did",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="after the table, print the protocol exchange of each scenario that did not pass "
        "as a text sequence diagram (also in results.json and the HTML report)",
    )
    parser.add_argument(
        "--app", type=profile_option, metavar="PROFILE",
        help="the app under test: an app profile (TOML, see 'Testing your own app' in the "
        "README) or a shipped profile's name (default: reference-rp, the reference relying "
        "party); scenarios the profile cannot run are skipped, with the reason",
    )
    parser.add_argument(
        "--idp", type=file_option, metavar="CONFIG",
        help="run against a real identity provider described by this TOML file (see "
        "'run --idp' in the README); scenarios that need the mock are skipped, with the reason",
    )


def _run(args: argparse.Namespace) -> int:
    from scenarios.app_notes import noted
    from scenarios.registry import CatalogueError, SelectionError, load_catalogue
    from scenarios.report import output_problem, write_reports
    from scenarios.runner import RunInterrupted, RunOptions, format_table, part_to_run, run

    if args.idp is not None:
        if args.app is not None:
            print("scenarios: --idp runs the reference relying party against a real provider; "
                  "it does not take --app", file=sys.stderr)
            return EXIT_USAGE
        from scenarios.real_idp_run import run_with_idp

        return run_with_idp(args)
    app_name = _app_name(args.app, args.catalogue)
    if app_name is None:
        return EXIT_USAGE
    try:
        registry = load_catalogue(args.catalogue)
        selected = registry.select(args.only)
    except CatalogueError as exc:
        print(f"scenarios: --catalogue {args.catalogue}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SelectionError as exc:
        print(f"scenarios: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not selected:
        print(f"scenarios: no scenarios registered in {args.catalogue}", file=sys.stderr)
        return EXIT_NO_SCENARIOS
    reasons = {item.id: registry.skip_reason(item, args.app) for item in selected}
    selected, last_failed = part_to_run(  # as the run splits it
        selected, reasons, shard=args.shard,
        last_failed_in=args.report / "results.json" if args.last_failed else None)
    if args.shard is not None and not selected:
        # one part of a whole that has scenarios: its reports are empty, and it passes
        print(f"scenarios: shard {args.shard} has no scenarios", file=sys.stderr)
    if args.list:
        for item in selected:
            reason = reasons[item.id]
            print(f"{item.id}\t{item.title}\n\tproves: {item.proves}"
                  + (f"\n\tSKIP: {reason}" if reason else ""))
        return 0
    if (problem := output_problem(report=args.report, junit=args.junit)) is not None:
        print(f"scenarios: {problem}", file=sys.stderr)
        return EXIT_USAGE
    options = RunOptions(
        catalogue=args.catalogue,
        only=tuple(args.only),
        headed=args.headed,
        workers=args.workers,
        report_dir=args.report,
        trace=args.trace,
        screenshots=args.screenshots,
        ws_endpoint=args.browser_ws_endpoint,
        timeout_ms=args.timeout * 1000,
        scenario_timeout=scenario_limit(args.scenario_timeout, args.timeout),
        shard=args.shard,
        last_failed=last_failed,
        max_failures=args.max_failures,
        app=args.app,
        app_name=app_name or None,
    )
    try:
        summary = noted(run(options, registry=registry), args.app, args.catalogue)
    except RunInterrupted as stopped:  # the reports of what finished; the rest "not run"
        write_reports(noted(stopped.summary, args.app, args.catalogue), args.junit)
        raise
    print()
    say(format_table(summary))
    if args.explain and summary.failures:
        from scenarios.results import format_explanations

        print()
        say(format_explanations(summary))
    write_reports(summary, args.junit)
    if not selected:
        return 0
    if not summary.failures and summary.skipped == summary.results:
        if summary.exit_code == 0:
            print(f"scenarios: shard {args.shard} has nothing to run: its scenarios are "
                  "skipped (the reasons are above), and the other shards run the selection's "
                  "others", file=sys.stderr)
        else:
            print("scenarios: nothing ran: every selected scenario was skipped (the reasons "
                  "are above), which is not a success", file=sys.stderr)
    return summary.exit_code


def _app_name(app: str | None, catalogue: str) -> str | None:
    """The app's name for the reports (its profile checked); ``None`` after printing why the
    profile cannot be used. Catalogues other than the default do not use profiles."""
    from scenarios.app import ProfileError
    from scenarios.runner import DEFAULT_CATALOGUE

    if app is None and catalogue != DEFAULT_CATALOGUE:
        return ""
    from scenarios.live import profile_for

    try:
        return profile_for(app).name
    except ProfileError as exc:
        print(f"scenarios: --app {app}: the profile has problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


COMMANDS: tuple[Command, ...] = (
    Command(
        name="run",
        help="run browser scenarios against live servers and write reports",
        configure=_configure_run,
        handler=_run,
    ),
    Command(
        name="conformance",
        help=conformance.HELP,
        configure=conformance.configure,
        handler=conformance.handle,
    ),
    Command(
        name="doctor",
        help="check an identity provider set-up: discovery, keys, client secret, redirect URI, "
        "clock and TLS, each FAIL with its fix",
        configure=doctor_cli.configure,
        handler=doctor_cli.handle,
    ),
    Command(
        name="app",
        help=app_cli.HELP,
        configure=app_cli.configure,
        handler=app_cli.handle,
    ),
    Command(
        name="demo",
        help=demo.HELP,
        configure=demo.configure,
        handler=demo.handle,
    ),
    # Further rows: one per subcommand, its code in its own module.
)


def build_parser() -> argparse.ArgumentParser:
    # No abbreviated options: "run --scenario X" would be taken for --scenario-timeout.
    parser = argparse.ArgumentParser(
        prog="python -m scenarios", allow_abbrev=False,
        description="Prove that single sign-on works: real-browser scenarios, a conformance "
        "check for any relying party, and a doctor for a real identity provider.",
    )
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        child = sub.add_parser(command.name, help=command.help, description=command.help,
                               allow_abbrev=False)
        command.configure(child)
        child.set_defaults(handler=command.handler, command_parser=child)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand. Ctrl-C or SIGTERM stops it once what it started has stopped (an app
    started by its profile's command included: :func:`~scenarios.app.process.interrupted_by`),
    with one line and :data:`EXIT_INTERRUPTED`; the signals that follow the first (a CI's
    SIGTERM after its SIGINT, a second Ctrl-C) are ignored until the reports are written."""
    try:
        args, unknown = build_parser().parse_known_args(argv)
        if unknown:  # the subcommand's usage error, with its usage (run --skip x), not the top's
            args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        handler: Callable[[argparse.Namespace], int] = args.handler
        with interrupted_by(signal.SIGTERM, signal.SIGINT):
            return handler(args)
    except KeyboardInterrupt:
        print("scenarios: interrupted", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout left (``... | head``); the handler's servers and app have been
        # stopped on the way out. Stop quietly, unless the broken pipe was another one.
        if not _stdout_is_broken():
            raise
        return EXIT_BROKEN_PIPE


def _stdout_is_broken() -> bool:
    """Whether stdout's reader has gone (its pipe or socket polls as an error or hang-up); if
    so, stdout now writes to the null device, so that further output and Python's own flush
    at exit do not fail (and print a traceback) once more."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # not a file (captured)
        return False
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        if not any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0)):
            return False
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    return True


if __name__ == "__main__":
    sys.exit(main())
