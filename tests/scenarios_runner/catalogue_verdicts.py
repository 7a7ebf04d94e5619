"""Run some catalogue scenarios against an app and read their verdicts, for the modules that
check what the catalogue says of apps with one defect each."""

from __future__ import annotations

import io
from pathlib import Path

from scenarios.runner import RunOptions, run


def verdicts(profile: Path, only: tuple[str, ...], report: Path, *, timeout_ms: int = 10_000
             ) -> dict[str, tuple[str, str]]:
    """Each scenario's status and message, by id, from a one-worker run of ``only``."""
    summary = run(RunOptions(app=str(profile), only=only, report_dir=report, workers=1,
                             trace="off", screenshots="failure", timeout_ms=timeout_ms),
                  out=io.StringIO())
    return {r.id: (r.status, r.message or "") for r in summary.results}
