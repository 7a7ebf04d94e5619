"""What the last run left in a report directory's ``results.json``: its rows, for the order the
workers take scenarios in (:mod:`scenarios.schedule`), and the scenarios that did not pass, for
``run --last-failed`` (and the rows that failed, for ``conformance --last-failed``).

``--last-failed`` narrows the selection (after ``--only`` and ``--shard``, so a CI machine
reruns the failures of its own shard) to the scenarios the last run reported as failed or in
error (the rows it gave as FAIL, for ``conformance``), and those it did not run (skipped "not
run: ...": after ``--max-failures`` or ``-x``, once the app could not be started, when the run
was interrupted), which are as pending as a failure: a rerun of the failure alone would pass
without them. When the last run left no readable results, or none of the selection failed in
it, the whole selection runs, as pytest's ``--last-failed`` does: a rerun never passes by
running nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["INTERRUPTED", "last_failed_selection", "previous_failed_rows", "previous_failures",
           "previous_rows"]

T = TypeVar("T")
NOT_PASSED = ("failed", "error")
NOT_RUN = "not run"
"""How the message of a scenario the run did not run starts (a conformance row's ``did``): not
skipped for a reason of its own (the profile's), but for the run's (``-x``, an app that did not
start, an interrupt)."""
INTERRUPTED = f"{NOT_RUN}: the run was interrupted"
"""The reason given for each scenario (or conformance row) an interrupted run did not finish."""


def previous_rows(results_json: Path, key: str = "results") -> list[dict[str, Any]] | None:
    """The result rows (under ``key``) of an earlier run's ``results.json``; ``None`` when it
    is missing or not a file the harness wrote."""
    try:
        rows = json.loads(results_json.read_text(encoding="utf-8"))[key]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(rows, list):
        return None
    return [row for row in rows if isinstance(row, dict)]


def _scenario_not_run(row: dict[str, Any]) -> bool:
    return row.get("status") == "skipped" and str(row.get("message") or "").startswith(NOT_RUN)


def _row_not_run(row: dict[str, Any]) -> bool:
    return row.get("result") == "SKIP" and row.get("did") == NOT_RUN


def previous_failures(results_json: Path, *, key: str = "results", status: str = "status",
                      not_passed: Sequence[str] = NOT_PASSED,
                      not_run: Callable[[dict[str, Any]], bool] = _scenario_not_run,
                      ) -> frozenset[str] | None:
    """The ids an earlier run reported as failed or in error (rows under ``key`` whose
    ``status`` is one of ``not_passed``) or did not run (``not_run``); ``None`` when it left
    no readable results."""
    rows = previous_rows(results_json, key)
    if rows is None:
        return None
    return frozenset(row["id"] for row in rows
                     if (row.get(status) in not_passed or not_run(row))
                     and isinstance(row.get("id"), str))


def previous_failed_rows(results_json: Path) -> frozenset[str] | None:
    """The conformance rows an earlier ``conformance --report`` gave as FAIL, or did not run
    (``SKIP`` with ``did`` "not run")."""
    return previous_failures(results_json, key="rows", status="result", not_passed=("FAIL",),
                             not_run=_row_not_run)


def last_failed_selection(
        selected: Sequence[T], key: Callable[[T], str], results_json: Path,
        say: Callable[[str], None], *,
        read: Callable[[Path], frozenset[str] | None] = previous_failures,
        noun: str = "scenarios") -> tuple[list[T], frozenset[str] | None]:
    """``selected`` narrowed to what failed in the run that wrote ``results_json`` (as ``read``
    finds it), and the ids to narrow the run to (``None``: all of ``selected``, after ``say``
    has told why)."""
    failed = read(results_json)
    if failed is None:
        say(f"--last-failed: no results of a last run in {results_json}: running the whole "
            "selection")
        return list(selected), None
    narrowed = [item for item in selected if key(item) in failed]
    if not narrowed:
        say(f"--last-failed: none of the selection failed in the last run ({results_json}): "
            "running the whole selection")
        return list(selected), None
    say(f"--last-failed: running the {len(narrowed)} of {len(selected)} selected {noun} "
        f"that failed or were not run in the last run")
    return narrowed, failed
