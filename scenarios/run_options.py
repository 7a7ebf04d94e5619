"""What a run is asked to do: :class:`RunOptions`, given to the runner and to each of its
worker processes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scenarios.modes import ScreenshotMode, TraceMode
from scenarios.options import DEFAULT_SCENARIO_TIMEOUT
from scenarios.shard import Shard

__all__ = ["DEFAULT_CATALOGUE", "RERUN_DIR", "RunOptions"]

DEFAULT_CATALOGUE = "scenarios.catalogue"
RERUN_DIR = "rerun"
"""Where the traced second run of a failed scenario (``--trace rerun-on-failure``) keeps its
trace and its failure's picture, inside the report directory."""


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """Everything a run (and each of its worker processes) needs to know."""

    catalogue: str = DEFAULT_CATALOGUE
    """``module`` or ``module:registry_attribute`` holding the scenarios (see load_catalogue)."""
    only: tuple[str, ...] = ()
    headed: bool = False
    workers: int = 1
    report_dir: Path = Path("reports/scenarios")
    trace: TraceMode = "retain-on-failure"
    """``retain-on-failure``: every scenario is traced and a failure's trace kept;
    ``rerun-on-failure``: nothing is traced, and a scenario that did not pass runs once more,
    traced with the screencast (its result stays the first run's); ``on``: every trace is
    kept, with the screencast; ``off``."""
    screenshots: ScreenshotMode = "steps"
    """``steps``: at the end of each step that changed its page; ``failure``: only of a
    failure (no step pays for one)."""
    ws_endpoint: str | None = None
    timeout_ms: float = 10_000
    """Default timeout of every Playwright action and expectation."""
    shard: Shard | None = None
    """Run only this part of the selection (see :mod:`scenarios.shard`)."""
    app: str | None = None
    """The app profile (path or shipped name) the scenarios run against; ``None``: the
    catalogue's default app."""
    app_name: str | None = None
    """The app's name, for the reports."""
    scenario_timeout: float | None = DEFAULT_SCENARIO_TIMEOUT
    """Seconds a scenario may run in a worker process before the worker is stopped and the
    scenario fails (``None``: no limit)."""
    max_failures: int | None = None
    """Skip the scenarios left once this many have failed (``--max-failures``)."""
    last_failed: frozenset[str] | None = None
    """Run only the scenarios of the selection (after ``shard``) with these ids: those that
    did not pass in the last run (``--last-failed``, :mod:`scenarios.last_run`)."""
