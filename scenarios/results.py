"""What a run produces: each scenario's :class:`ScenarioResult`, the :class:`RunSummary`, and
the final table printed after a run (the reports are in :mod:`scenarios.report`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scenarios.context import StepRecord
from scenarios.shard import Shard

__all__ = ["LABELS", "RunSummary", "ScenarioResult", "Status", "format_table"]

Status = Literal["passed", "failed", "error"]
LABELS: dict[Status, str] = {"passed": "PASS", "failed": "FAIL", "error": "ERROR"}


@dataclass(frozen=True, kw_only=True)
class ScenarioResult:
    id: str
    title: str
    proves: str
    group: str
    status: Status
    seconds: float
    message: str | None = None
    details: str | None = None
    steps: tuple[StepRecord, ...] = ()
    trace: str | None = None
    """Trace zip relative to the report directory (``playwright show-trace`` opens it)."""
    worker: int = 0
    pid: int = 0

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    results: tuple[ScenarioResult, ...]
    seconds: float
    workers: int
    report_dir: Path
    shard: Shard | None = None
    """The part of the selection this run took (``None``: all of it)."""

    @property
    def failures(self) -> tuple[ScenarioResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def exit_code(self) -> int:
        return 1 if self.failures or not self.results else 0


def format_table(summary: RunSummary) -> str:
    """The final table: id, result, seconds; then a one-line total."""
    width = max([len("scenario"), *(len(r.id) for r in summary.results)])
    lines = [f"{'scenario':<{width}}  result  seconds", f"{'-' * width}  ------  -------"]
    for r in summary.results:
        lines.append(f"{r.id:<{width}}  {LABELS[r.status]:<6}  {r.seconds:7.2f}")
    passed = sum(r.passed for r in summary.results)
    failed = len(summary.results) - passed
    lines.append("")
    lines.append(
        f"{passed} passed, {failed} failed in {summary.seconds:.1f}s "
        f"({summary.workers} worker{'s' if summary.workers != 1 else ''})"
        + (f", shard {summary.shard}" if summary.shard else "")
    )
    return "\n".join(lines)
