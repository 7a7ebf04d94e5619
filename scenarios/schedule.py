"""The order workers take scenarios in: the longest first, by the previous run's times.

With several workers pulling from one queue, a long scenario taken last leaves the other
workers idle while it runs; taken first, the short ones fill in around it (the longest-
processing-time rule). The times come from the report directory's ``results.json`` of the
previous run; scenarios it does not know go first, in catalogue order, then the rest from the
longest down. Which scenarios run (``--only``, ``--shard``) never depends on this;
``--last-failed`` reads the same file (:mod:`scenarios.last_run`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from scenarios.last_run import previous_rows

__all__ = ["longest_first", "previous_durations"]

T = TypeVar("T")


def previous_durations(results_json: Path) -> dict[str, float]:
    """Seconds per scenario id in an earlier run's ``results.json`` ({} when unreadable)."""
    durations: dict[str, float] = {}
    for row in previous_rows(results_json) or ():
        if row.get("status") == "skipped":
            continue
        scenario_id, seconds = row.get("id"), row.get("seconds")
        rerun = row.get("rerun_seconds")  # a worker spends its traced rerun's time too
        if isinstance(scenario_id, str) and isinstance(seconds, int | float) and seconds > 0:
            durations[scenario_id] = float(seconds) + (
                float(rerun) if isinstance(rerun, int | float) and rerun > 0 else 0.0)
    return durations


def longest_first(items: Sequence[T], durations: Mapping[str, float],
                  key: Callable[[T], str]) -> list[T]:
    """``items`` reordered: those whose ``key`` (their id) ``durations`` does not know first,
    then the rest longest first; ties keep their order."""
    return sorted(items, key=lambda item: (key(item) in durations,
                                           -durations.get(key(item), 0.0)))
