"""The relying-party conformance catalogue, its judging and its report, in one import.

The rows are in :mod:`scenarios.conformance.catalogue`, the judging in
:mod:`scenarios.conformance.judging`; this module adds the results: :func:`format_table` and
:func:`to_json`. Everything here is pure; the browser work lives in
:mod:`scenarios.conformance.runner`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scenarios.conformance.catalogue import (
    BACKCHANNEL_ROWS,
    LOGIN_ROWS,
    ROWS,
    Expect,
    Result,
    Row,
    SelectionError,
    select_rows,
)
from scenarios.conformance.judging import (
    BackchannelObservation,
    LoginObservation,
    Verdict,
    judge,
    judge_backchannel,
    judge_login,
)
from scenarios.protocol_view import Exchange, text_of
from scenarios.shard import Shard

__all__ = [
    "BACKCHANNEL_ROWS",
    "LOGIN_ROWS",
    "RESULTS_SCHEMA",
    "ROWS",
    "BackchannelObservation",
    "Expect",
    "LoginObservation",
    "Result",
    "Row",
    "RowResult",
    "SelectionError",
    "Verdict",
    "format_progress",
    "format_table",
    "judge",
    "judge_backchannel",
    "judge_login",
    "nothing_tested",
    "passed",
    "select_rows",
    "summary_counts",
    "summary_line",
    "list_json",
    "to_json",
]


RESULTS_SCHEMA = 1
"""The version of :func:`to_json`'s shape (``results.json``, ``--json``): raised when a member
changes meaning or goes; a new member does not raise it."""


@dataclass(frozen=True, kw_only=True)
class RowResult:
    row: Row
    verdict: Verdict
    seconds: float
    protocol: Exchange | None = None
    """The row's exchange between browser, RP and provider (:mod:`scenarios.protocol_view`)."""
    app_log: str | None = None
    """Where what the app printed during the failed row was kept, relative to the report
    directory (``None``: nowhere, or it printed nothing)."""

    @property
    def did_cell(self) -> str:
        """The row's "RP DID" cell: what the RP did, or, for a row not tested (``SKIP``), why
        (the verdict's reason: ``not tested: …``, ``not run: …``). A logout-token row that was
        not tested holds what the RP answered (``HTTP 400; session kept``) or ``not asked``,
        which beside ``EXPECTED HTTP 400`` reads as a result; the reason says why it is
        none."""
        if self.verdict.result == "SKIP" and self.verdict.reason:
            return self.verdict.reason
        return self.verdict.did

    @property
    def protocol_text(self) -> str | None:
        """The exchange as a text sequence diagram."""
        return text_of(self.protocol, f"{self.row.id}: {self.row.what}")


_COUNTED = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped", "INFO": "informational"}


def summary_counts(results: Sequence[RowResult]) -> dict[str, int]:
    counts = dict.fromkeys(_COUNTED.values(), 0)
    for result in results:
        counts[_COUNTED[result.verdict.result]] += 1
    return counts


def nothing_tested(results: Sequence[RowResult]) -> bool:
    """Whether rows ran and every one was not tested (``SKIP``): no failure, and no success
    either (``run`` says the same of a run whose every scenario was skipped)."""
    return bool(results) and all(r.verdict.result == "SKIP" for r in results)


def passed(results: Sequence[RowResult], *, others_run: bool = False) -> bool:
    """Whether the run succeeded (exit status 0): no row failed and, unless no row was
    selected (an empty shard) or ``others_run`` (a shard, while the other shards hold rows to
    test: ``run``'s rule for a shard whose scenarios are all skipped), some row was tested."""
    return summary_counts(results)["failed"] == 0 and (others_run
                                                        or not nothing_tested(results))


def summary_line(results: Sequence[RowResult]) -> str:
    counts = summary_counts(results)
    return (f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} not "
            f"tested, {counts['informational']} informational")


CELL = 100
"""Characters of a not-tested row's reason its table cell holds; the line under the table
gives it whole."""


def _cell(result: RowResult) -> str:
    """:attr:`RowResult.did_cell`, a reason cut to :data:`CELL` characters (what an RP did is
    short already)."""
    cell = result.did_cell
    if result.verdict.result != "SKIP" or len(cell) <= CELL:
        return cell
    return cell[:CELL - 1].rstrip() + "…"


def format_table(results: Sequence[RowResult]) -> str:
    """The table: row id, expected, what the RP did (a row not tested: why), result; then one
    line per failure, informational row, note and row not tested whose reason its cell cut."""
    header = ("ROW", "EXPECTED", "RP DID", "RESULT")
    body = [(r.row.id, r.row.expect, _cell(r), r.verdict.result) for r in results]
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(line))
             for line in (header, *body)]
    lines.append("")
    for r in results:  # a reason the row's cell holds whole is not said again
        if r.verdict.result != "PASS" and _cell(r) != r.verdict.reason:
            lines.append(f"{r.verdict.result} {r.row.id}: {r.verdict.reason}")
    for r in results:
        if r.verdict.result == "PASS" and r.verdict.note:
            lines.append(f"note {r.row.id}: {r.verdict.note}")
    lines.append(summary_line(results))
    return "\n".join(lines)


def to_json(results: Sequence[RowResult], *, rp: str, provider: str, client_id: str,
            shard: Shard | None = None, others_run: bool = False,
            interrupted: bool = False) -> dict[str, Any]:
    """The results for CI: one object per row plus the counts and ``ok``; ``schema`` is the
    version of this shape (:data:`RESULTS_SCHEMA`), ``shard`` the part of the rows run
    (``"2/4"``; ``null``: all of them); ``interrupted``: the run was stopped before its last row
    (those it did not finish are not tested); ``ok`` is :func:`passed` (``others_run`` as it
    says)."""
    counts = summary_counts(results)
    return {
        "schema": RESULTS_SCHEMA,
        "rp": rp,
        "provider": provider,
        "client_id": client_id,
        "shard": str(shard) if shard else None,
        "interrupted": interrupted,
        "rows": [{"id": r.row.id, "kind": r.row.kind, "fault": r.row.fault,
                  "expect": r.row.expect, "result": r.verdict.result, "did": r.verdict.did,
                  "reason": r.verdict.reason, "note": r.verdict.note,
                  "seconds": round(r.seconds, 2), "protocol_text": r.protocol_text,
                  "app_log": r.app_log}
                 for r in results],
        **counts,
        "ok": passed(results, others_run=others_run),
    }


def list_json(rows: Sequence[Row], *, shard: Shard | None = None) -> dict[str, Any]:
    """``--list --json``: the rows a run would run, in :func:`to_json`'s shape without the
    results (``schema``, ``shard``, and per row ``id``, ``kind``, ``fault``, ``expect``), plus
    what each row stages (``what``)."""
    return {
        "schema": RESULTS_SCHEMA,
        "shard": str(shard) if shard else None,
        "rows": [{"id": row.id, "kind": row.kind, "fault": row.fault, "expect": row.expect,
                  "what": row.what} for row in rows],
    }


def format_progress(result: RowResult) -> str:
    return f"{result.verdict.result:<4}  {result.row.id}  {result.seconds:.2f}s"
