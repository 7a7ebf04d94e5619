"""``run --idp CONFIG``: read the ``--idp`` file, check the provider once by starting the
relying party with its connection, then run the scenarios of :mod:`scenarios.real_idp_scenarios`
in one worker and write the reports, with the scenarios that need the mock listed as skipped
and what the run noted (:mod:`scenarios.real_idp_notes`) under the results.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from dataclasses import replace
from pathlib import Path

from mock_idp.testing import bind_socket
from scenarios import WorkerInfo
from scenarios.drivers import CodeSteps, EntraDriver
from scenarios.github import say
from scenarios.real_idp import (
    IdpConfigError,
    RealIdpConfig,
    RealIdpStack,
    load_idp_config,
    rp_port_taken,
)
from scenarios.real_idp_notes import run_notes
from scenarios.real_idp_scenarios import SKIP_REASON, build_registry

__all__ = ["CODE_STEPS_FILE", "EXIT_NOTHING_RAN", "EXIT_USAGE", "run_with_idp"]

EXIT_USAGE = 2
EXIT_NOTHING_RAN = 5
"""Every selected scenario needs the mock provider (a shard with none to run exits 0)."""
CODE_STEPS_FILE = ".authenticator-code-steps"
"""In the report directory: the last time step whose authenticator code the run typed."""


def run_with_idp(args: argparse.Namespace, *, sock: object | None = None) -> int:
    """``run --idp CONFIG``: the handler's branch for a real provider (one worker)."""
    try:
        config = load_idp_config(Path(args.idp))
    except IdpConfigError as exc:
        for line in str(exc).splitlines():
            say(f"scenarios: --idp {args.idp}: {line}", sys.stderr)
        return EXIT_USAGE
    if isinstance(config.driver, EntraDriver) and config.driver.totp_secret is not None:
        # the run's sign-ins (in any worker) share the steps whose codes were typed
        steps = CodeSteps(args.report.resolve() / CODE_STEPS_FILE)
        config = replace(config, driver=replace(config.driver, code_steps=steps))
    with contextlib.ExitStack() as running:
        return _run_selected(args, config, sock, running)


def _run_selected(args: argparse.Namespace, config: RealIdpConfig, sock: object | None,
                  running: contextlib.ExitStack) -> int:
    """The selected scenarios; the provider is checked once, by starting the RP that will run
    them with its connection, before any browser starts (``running`` stops that RP)."""
    from scenarios.options import scenario_limit
    from scenarios.real_idp import real_idp_stack
    from scenarios.registry import CatalogueError, SelectionError, load_catalogue
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

    stack: RealIdpStack | None = None
    try:
        catalogue = load_catalogue(args.catalogue)
        registry = build_registry(config, catalogue=catalogue)
        selected = registry.select(args.only)
    except CatalogueError as exc:
        say(f"scenarios: --catalogue {args.catalogue}: {exc}", sys.stderr)
        return EXIT_USAGE
    except SelectionError as exc:
        say(f"scenarios: {exc}", sys.stderr)
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
            say(f"{item.id}\t{item.title}\n\tproves: {item.proves}")
        for item, reason in skipped:
            say(f"{item.id}\tSKIP: {reason}")
        return 0
    if (problem := output_problem(report=args.report, junit=args.junit)) is not None:
        say(f"scenarios: {problem}", sys.stderr)
        return EXIT_USAGE
    if runnable and sock is None and (taken := _port_taken(config)) is not None:
        say(f"scenarios: --idp {args.idp}: {taken}", sys.stderr)
        return EXIT_USAGE
    if runnable:
        try:
            stack = running.enter_context(real_idp_stack(
                config, sock=sock, browser_timeout=args.timeout))  # type: ignore[arg-type]
        except IdpConfigError as exc:
            say(f"scenarios: --idp {args.idp}: {exc}", sys.stderr)
            return EXIT_USAGE
        registry = build_registry(config, catalogue=catalogue, browser_timeout=args.timeout,
                                  started=stack)
    if any(reason == SKIP_REASON for _, reason in skipped):
        say(f"skipped against a real provider ({SKIP_REASON}):")
    for item, reason in skipped:
        say(f"SKIP  {item.id}" + ("" if reason == SKIP_REASON else f"  ({reason})"))
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
        say(f"provider {config.discovery_url}, client id {config.client_id}")
        if args.trace != "off":
            say("note: Playwright traces are off against a real provider (they would record "
                  "the typed password); screenshots mask password fields")
        if getattr(args, "workers_given", False) and args.workers > 1:
            say(f"note: --workers {args.workers} is not used against a real provider: its "
                  "scenarios run one at a time, in one worker (one account signs in)")
        options = RunOptions(
            catalogue=args.catalogue, only=tuple(s.id for s in runnable), headed=args.headed,
            workers=1, report_dir=args.report, trace="off",
            ws_endpoint=args.browser_ws_endpoint, timeout_ms=args.timeout * 1000,
            scenario_timeout=scenario_limit(args.scenario_timeout, args.timeout),
            max_failures=args.max_failures,
        )
        try:
            summary = replace(run(options, registry=registry), shard=shard,
                              provider=config.discovery_url, client_id=config.client_id,
                              notes=run_notes(stack))
        except RunInterrupted as stopped:
            write(replace(stopped.summary, shard=shard, provider=config.discovery_url,
                          client_id=config.client_id, notes=run_notes(stack)))
            raise
    else:
        # nothing to run: the reports still list the skipped scenarios (a CI shard uploads
        # them like any other)
        summary = RunSummary(results=(), seconds=0.0, workers=0, provider=config.discovery_url,
                             client_id=config.client_id,
                             report_dir=args.report.resolve(), shard=shard)
        summary.report_dir.mkdir(parents=True, exist_ok=True)
        where = f"shard {shard}: " if shard is not None else ""
        say(f"scenarios: {where}" + ("every selected scenario needs the mock provider"
                                       if skipped else "no scenario selected"),
            sys.stderr)
    say()
    say(format_table(summary))
    if getattr(args, "explain", False) and summary.failures:
        say()
        say(format_explanations(summary))
    if skipped:
        say(_skipped_line([reason for _, reason in skipped]))
    write(summary)
    if not runnable:
        # a shard with nothing to run is part of a whole that runs something, or that holds
        # nothing at all; alone, it is an error
        return 0 if shard is not None and (runs_anywhere or not selected) else EXIT_NOTHING_RAN
    return summary.exit_code


def _skipped_line(reasons: list[str]) -> str:
    """The count under the results: how many skipped scenarios need the mock provider, and
    how many were skipped for another reason (listed with it above the results)."""
    mock = reasons.count(SKIP_REASON)
    other = len(reasons) - mock
    if not other:
        return f"{mock} skipped (need the mock provider)"
    why = "for the reason listed above" if other == 1 else "for the reasons listed above"
    if not mock:
        return f"{other} skipped ({why})"
    return f"{len(reasons)} skipped ({mock} need the mock provider, {other} {why})"


def _port_taken(config: RealIdpConfig) -> str | None:
    """Why the RP cannot have its fixed ``[rp] port``, or ``None`` (a free one: it is taken
    when the RP starts)."""
    if not config.rp_port:
        return None
    try:
        bind_socket(config.rp_host, config.rp_port).close()
    except OSError as exc:
        return rp_port_taken(config, exc)
    return None
