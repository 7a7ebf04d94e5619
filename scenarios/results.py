"""What a run produces: each scenario's :class:`ScenarioResult`, the :class:`RunSummary`, and
the final table printed after a run (the reports are in :mod:`scenarios.report`)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from scenarios.context import StepRecord
from scenarios.protocol_view import Exchange, explanation, text_of
from scenarios.shard import Shard

__all__ = [
    "LABELS",
    "PHASE_NAMES",
    "Phases",
    "RunSummary",
    "ScenarioResult",
    "Status",
    "format_explanations",
    "format_table",
    "phase_totals",
]

Status = Literal["passed", "failed", "error", "skipped"]
LABELS: dict[Status, str] = {"passed": "PASS", "failed": "FAIL", "error": "ERROR",
                             "skipped": "SKIP"}


@dataclass(frozen=True, kw_only=True)
class Phases:
    """Where one scenario's wall time went, in seconds; the phases add up to its ``seconds``."""

    stack_start: float = 0.0
    """The catalogue's per-scenario set-up (``around_scenario``: servers, app, configure)."""
    context: float = 0.0
    """A browser context and its page: a new pair, or the last scenario's, cleaned."""
    steps: float = 0.0
    """The scenario's own steps (``ctx.step``), without their screenshots."""
    screenshots: float = 0.0
    """A screenshot after each step (and one at a failure)."""
    trace: float = 0.0
    """Starting the Playwright trace, and stopping (and, when kept, saving) it."""
    protocol: float = 0.0
    """Collecting the protocol view (the browser's documents, the provider's and the app's
    request logs) after the steps."""
    teardown: float = 0.0
    """Leaving ``around_scenario`` (servers stop or reset) and closing the contexts."""
    other: float = 0.0
    """The rest: the scenario's code between its steps, and the runner's bookkeeping."""

    @property
    def overhead(self) -> float:
        """Wall time outside the steps."""
        return self.total - self.steps

    @property
    def total(self) -> float:
        return (self.stack_start + self.context + self.steps + self.screenshots + self.trace
                + self.protocol + self.teardown + self.other)


PHASE_NAMES = ("stack_start", "context", "steps", "screenshots", "trace", "protocol", "teardown",
               "other")


def phase_totals(results: Iterable[ScenarioResult]) -> dict[str, float]:
    """Each phase summed over the scenarios that ran (their first runs), plus
    ``overhead_median``: the median of their wall time outside the steps, and ``reruns``: the
    time of the traced second runs of those that did not pass."""
    results = list(results)
    timed = [r.phases for r in results if r.phases is not None]
    totals = {name: sum(getattr(p, name) for p in timed) for name in PHASE_NAMES}
    totals["overhead_median"] = statistics.median(p.overhead for p in timed) if timed else 0.0
    totals["reruns"] = sum(r.rerun_seconds or 0.0 for r in results)
    return totals


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
    rerun: Status | None = None
    """How the traced second run of a scenario that did not pass ended (``--trace
    rerun-on-failure``; ``None``: there was none). The trace is that run's."""
    rerun_seconds: float | None = None
    """The second run's wall time (``seconds`` and ``phases`` are the first run's alone)."""
    rerun_app_log: str | None = None
    """What the app printed during the second run, relative to the report directory."""
    rerun_screenshots: tuple[str, ...] = ()
    """The second run's pictures (of its failure), relative to the report directory."""
    worker: int = 0
    pid: int = 0
    phases: Phases | None = None
    """Where the time went (``None``: the scenario never ran)."""
    protocol: Exchange | None = None
    """The exchange between browser, app and provider (:mod:`scenarios.protocol_view`)."""
    app_log: str | None = None
    """What the app under test printed while the scenario ran (an app the profile starts as a
    command), masked, relative to the report directory: kept for a scenario that did not
    pass (:mod:`scenarios.app_logs`)."""
    app_not_started: bool = False
    """The app under test could not be started for this scenario: it is not run again, and,
    when that is an error, the scenarios left in the run are skipped
    (:mod:`scenarios.app_down`); a failure is the app refusing settings only this scenario
    gives it (:class:`~scenarios.app.process.AppRefusedSettings`)."""
    addressless: tuple[str, ...] = ()
    """The people the app was found signed in as holding no e-mail address for, its name
    telling who (what ``run --app`` notes: :mod:`scenarios.app_notes`)."""

    @property
    def protocol_text(self) -> str | None:
        """The exchange as a text sequence diagram."""
        return text_of(self.protocol, f"{self.id}: {self.title}")

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def skipped(self) -> bool:
        return self.status == "skipped"


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    results: tuple[ScenarioResult, ...]
    seconds: float
    workers: int
    report_dir: Path
    shard: Shard | None = None
    """The part of the selection this run took (``None``: all of it)."""
    others_run: bool = False
    """With a shard: scenarios of the whole selection run in other shards, so this one passes
    when every scenario it holds is skipped (the profile's skips are dealt out last)."""
    app: str | None = None
    """The name of the app the scenarios ran against."""
    provider: str | None = None
    """``run --idp``: the provider's discovery URL (the mock's runs: ``None``)."""
    client_id: str | None = None
    """``run --idp``: the client the relying party signed in as."""
    made: datetime = field(default_factory=lambda: datetime.now(UTC), compare=False)
    """When this summary was made: as the run ended (or was interrupted)."""
    interrupted: bool = False
    """Ctrl-C or SIGTERM stopped the run: the scenarios it had not finished are skipped."""
    notes: tuple[str, ...] = ()
    """What the run found that fails no scenario, yet the reader should act on (an app that
    holds no e-mail address for its user: ``run --idp``, :mod:`scenarios.real_idp_notes`;
    ``run --app``, :mod:`scenarios.app_notes`); under the total line, in the reports and in
    the job summary."""

    @property
    def against(self) -> str | None:
        """What the scenarios ran against, for the reports' titles: the app's name, or with
        ``run --idp`` the provider, by its discovery URL without the well-known suffix
        (``provider https://login.microsoftonline.com/{tenant}/v2.0``)."""
        if self.app:
            return self.app
        if self.provider:
            return "provider " + self.provider.removesuffix("/.well-known/openid-configuration")
        return None

    @property
    def started(self) -> datetime:
        """When the run began: ``seconds`` before its summary was made."""
        return self.made - timedelta(seconds=self.seconds)

    @property
    def failures(self) -> tuple[ScenarioResult, ...]:
        return tuple(r for r in self.results if not r.passed and not r.skipped)

    @property
    def skipped(self) -> tuple[ScenarioResult, ...]:
        return tuple(r for r in self.results if r.skipped)

    @property
    def exit_code(self) -> int:
        """1 when a scenario failed, or when none ran (nothing selected, everything skipped)
        and, for a shard, none runs in the other shards either."""
        ran = len(self.results) - len(self.skipped)
        return 1 if self.failures or not (ran or self.others_run) else 0


def format_table(summary: RunSummary) -> str:
    """The final table: id, result, seconds (the first run's; a traced rerun's beside them,
    a skipped scenario's reason below); then a one-line total naming the app, and the run's
    notes, each on a line of its own."""
    width = max([len("scenario"), *(len(r.id) for r in summary.results)])
    lines = [f"{'scenario':<{width}}  result  seconds", f"{'-' * width}  ------  -------"]
    for r in summary.results:
        lines.append(f"{r.id:<{width}}  {LABELS[r.status]:<6}  {r.seconds:7.2f}"
                     + (f"  (rerun {r.rerun_seconds:.2f})" if r.rerun_seconds is not None
                        else ""))
        if r.skipped and r.message:
            lines.append(f"    {r.message}")
    passed = sum(r.passed for r in summary.results)
    skipped = len(summary.skipped)
    failed = len(summary.results) - passed - skipped
    lines.append("")
    lines.append(
        f"{passed} passed, {failed} failed"
        + (f", {skipped} skipped" if skipped else "")
        + (f" against {summary.app}" if summary.app else "")
        + (f" (provider {summary.provider}, client id {summary.client_id})"
           if summary.provider else "")
        + f" in {summary.seconds:.1f}s "
        f"({summary.workers} worker{'s' if summary.workers != 1 else ''})"
        + (f", shard {summary.shard}" if summary.shard else "")
    )
    lines += [f"note: {note}" for note in summary.notes]
    return "\n".join(lines)


def format_explanations(summary: RunSummary) -> str:
    """The exchange of each scenario that did not pass, as text diagrams (``--explain``)."""
    return "\n\n".join(
        explanation(r.protocol_text, f"{r.id}: {r.title}", f"{LABELS[r.status]}: {r.message or ''}")
        for r in summary.failures)
