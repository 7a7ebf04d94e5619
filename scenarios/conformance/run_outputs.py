"""What a conformance run leaves when it ends: the table (or ``--json``'s document), the
explanations, the report (``index.html``, ``results.json``), the JUnit file, the logs' place and
what it tells GitHub; the same, of the rows done so far, when Ctrl-C or SIGTERM stopped it."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from scenarios import app_logs
from scenarios.conformance.github import report_to_github
from scenarios.conformance.junit import write_junit
from scenarios.conformance.report import format_explanations, write_report
from scenarios.conformance.rows import (
    Row,
    RowResult,
    Verdict,
    format_table,
    summary_counts,
    to_json,
)
from scenarios.github import say
from scenarios.last_run import INTERRUPTED

__all__ = ["NOT_RUN", "RunTarget", "not_run", "say_logs", "write_outputs"]

NOT_RUN = INTERRUPTED
"""Why a row an interrupted run did not finish was not tested (``run`` says the same of its
scenarios)."""


@dataclass(frozen=True)
class RunTarget:
    """What the outputs name: the RP (its URL), the provider, the client, the app's profile
    name, and whether other shards have rows to test."""

    rp: str
    provider: str
    client_id: str
    app: str | None = None
    others_run: bool = False


def not_run(row: Row) -> RowResult:
    """``row``, which an interrupted run did not finish: not tested, saying so."""
    return RowResult(row=row, verdict=Verdict(result="SKIP", did="not run", reason=NOT_RUN),
                     seconds=0.0)


def say_logs(report_dir: Path) -> None:
    if (logs := app_logs.written(report_dir)) is not None:
        say(f"logs:   {logs}", sys.stderr)


def write_outputs(args: argparse.Namespace, results: Sequence[RowResult], target: RunTarget, *,
                  report_dir: Path, started: datetime, interrupted: bool = False) -> None:
    """Print the table (or the JSON document) and the explanations, write the report and the
    JUnit file, say where the logs are, and tell GitHub. ``interrupted``: the run was stopped,
    ``results`` hold the rows done and the others :func:`not_run`; nothing is printed on stdout
    (the command ends with one line saying it was interrupted), the files and GitHub's summary
    are written as for a whole run, the summary saying it was interrupted."""
    if not interrupted:
        if args.json:
            say(json.dumps(to_json(results, rp=target.rp, provider=target.provider,
                                   client_id=target.client_id, shard=args.shard,
                                   others_run=target.others_run), indent=2), json=True)
        else:
            print()
            say(format_table(results))
        if args.explain and summary_counts(results)["failed"]:
            say(f"\n{format_explanations(results)}", sys.stderr if args.json else sys.stdout)
    if args.report is not None:
        page = write_report(results, args.report, rp=target.rp, provider=target.provider,
                            client_id=target.client_id, shard=args.shard,
                            others_run=target.others_run, app=target.app,
                            interrupted=interrupted)
        say(f"report: {page}", sys.stderr)
    if args.junit is not None:
        junit = write_junit(results, args.junit, shard=args.shard, timestamp=started,
                            report_dir=report_dir)
        say(f"junit:  {junit}", sys.stderr)
    say_logs(report_dir)
    report_to_github(results, rp=target.app or target.rp, shard=args.shard,
                     report=args.report, seconds=(datetime.now(UTC) - started).total_seconds(),
                     interrupted=interrupted)
