"""A conformance run inside GitHub Actions: an error annotation for each row that failed, and
the counts and a table of the failed rows in the job's summary, as ``run`` gives for
scenarios (:mod:`scenarios.github`); under the table, a collapsed list of the rows not tested,
one line each with why (what the text table and the HTML report hold in their RP DID cell)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from scenarios.conformance.rows import RowResult, summary_line
from scenarios.github import (
    MAX_MESSAGE,
    NotPassed,
    cell,
    error_commands,
    summary_table,
    tell_github,
)
from scenarios.shard import Shard

__all__ = ["report_to_github", "step_summary", "workflow_commands"]


def _failed(results: Sequence[RowResult]) -> list[RowResult]:
    return [r for r in results if r.verdict.result == "FAIL"]


def _not_tested(results: Sequence[RowResult]) -> str:
    """A collapsed ``<details>`` list of the rows not tested, one line each: the row and why
    (its reason cut to :data:`MAX_MESSAGE`); nothing when every row was tested."""
    skipped = [r for r in results if r.verdict.result == "SKIP"]
    if not skipped:
        return ""
    lines = [f"<details><summary>{len(skipped)} not tested, and why</summary>", ""]
    lines += [f"- `{r.row.id}`: {cell(r.did_cell[:MAX_MESSAGE])}" for r in skipped]
    return "\n".join([*lines, "", "</details>", "", ""])


def workflow_commands(results: Sequence[RowResult], report: Path | None = None) -> list[str]:
    """An error for each row that failed (at most 10, then a notice of how many more)."""
    where = f"see {report / 'index.html'}" if report is not None else "see the table above"
    return error_commands(
        [NotPassed(f"{r.row.id} FAIL", f"{r.row.what}: {r.verdict.reason} "
                   f"(expected {r.row.expect}; the RP did: {r.verdict.did})"[:MAX_MESSAGE])
         for r in _failed(results)],
        more=f"more conformance rows failed: {where}")


def step_summary(results: Sequence[RowResult], *, rp: str, shard: Shard | None = None,
                 seconds: float, interrupted: bool = False) -> str:
    """The Markdown appended to the job's summary page: the counts, the failed rows' table and
    the rows not tested with why; ``interrupted``: Ctrl-C or SIGTERM stopped the run, and the
    rows not tested include those it did not run."""
    where = f" shard {shard}" if shard else ""
    stopped = (" (interrupted: the rows not tested include those it did not run)"
               if interrupted else "")
    return summary_table(
        f"sso-harness conformance{where} against {rp}{' interrupted' if interrupted else ''}",
        f"{summary_line(results)} in {seconds:.1f} s{stopped}",
        ("row", "expected", "the RP did", "why it failed"),
        [(f"`{r.row.id}`", r.row.expect, r.verdict.did[:MAX_MESSAGE],
          r.verdict.reason[:MAX_MESSAGE])
         for r in _failed(results)]) + _not_tested(results)


def report_to_github(results: Sequence[RowResult], *, rp: str, shard: Shard | None = None,
                     report: Path | None = None, seconds: float, interrupted: bool = False,
                     environ: Mapping[str, str] | None = None) -> None:
    """Inside GitHub Actions, print the annotations and append the step summary."""
    tell_github(workflow_commands(results, report),
                step_summary(results, rp=rp, shard=shard, seconds=seconds,
                             interrupted=interrupted), environ)
