"""``conformance --junit``: the rows as JUnit XML, in the shape the scenario runner writes
(:mod:`scenarios.junit`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from scenarios.conformance.rows import RowResult
from scenarios.junit import JUnitCase, Outcome, write_junit_xml
from scenarios.shard import Shard

__all__ = ["write_junit"]


def write_junit(results: Sequence[RowResult], path: Path, *, shard: Shard | None = None,
                timestamp: datetime | None = None, report_dir: Path | None = None) -> Path:
    """The rows as JUnit XML: a testcase per row (classname ``conformance.<kind>``); a FAIL
    is a failure, a SKIP (not tested) skipped, an INFO (the spec allows either) passed, each
    with the verdict's reason (a passed case's as an ``INFO: ...`` line of its ``system-out``,
    JUnit giving a passed case no message) and, from ``report_dir``, what the app printed
    during it.
    ``timestamp``: when the run started (default: now)."""
    outcomes: dict[str, Outcome] = {"PASS": "passed", "INFO": "passed", "FAIL": "failed",
                                    "SKIP": "skipped"}

    def said(r: RowResult) -> str:
        """The reason of a row JUnit counts as passed (an INFO row's), which a passed
        testcase has no ``message`` for: a line of its ``system-out``."""
        if outcomes[r.verdict.result] != "passed" or not r.verdict.reason:
            return ""
        return f"\n{r.verdict.result}: {r.verdict.reason}"

    def printed(r: RowResult) -> list[tuple[str, str]]:
        if r.app_log is None or report_dir is None:
            return []
        return [("app_log", (report_dir / r.app_log).as_posix())]

    cases = [
        JUnitCase(classname=f"conformance.{r.row.kind}", name=r.row.id, seconds=r.seconds,
                  outcome=outcomes[r.verdict.result], message=r.verdict.reason or None,
                  properties=[("expect", r.row.expect), ("fault", r.row.fault or "-"),
                              ("what", r.row.what), *printed(r)],
                  output=f"RP did: {r.verdict.did}" + said(r)
                  + (f"\nnote: {r.verdict.note}" if r.verdict.note else ""))
        for r in results
    ]
    suite = "sso-harness conformance" + (f" shard {shard}" if shard else "")
    return write_junit_xml(path, suite=suite, cases=cases,
                           seconds=sum(r.seconds for r in results), timestamp=timestamp)
