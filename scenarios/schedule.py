"""The order workers take scenarios in: the longest first, by the previous run's times.

With several workers pulling from one queue, a long scenario taken last leaves the other
workers idle while it runs; taken first, the short ones fill in around it (the longest-
processing-time rule). The times come from the report directory's ``results.json`` of the
previous run; scenarios it does not know go first, in catalogue order, then the rest from the
longest down. Which scenarios run (``--only``, ``--shard``) never depends on this.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypeVar

__all__ = ["longest_first", "previous_durations"]

T = TypeVar("T")


def previous_durations(results_json: Path) -> dict[str, float]:
    """Seconds per scenario id in an earlier run's ``results.json`` ({} when unreadable)."""
    try:
        data = json.loads(results_json.read_text(encoding="utf-8"))
        rows = data["results"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    durations: dict[str, float] = {}
    for row in rows if isinstance(rows, list) else ():
        if not isinstance(row, dict) or row.get("status") == "skipped":
            continue
        scenario_id, seconds = row.get("id"), row.get("seconds")
        if isinstance(scenario_id, str) and isinstance(seconds, int | float) and seconds > 0:
            durations[scenario_id] = float(seconds)
    return durations


def longest_first(items: Sequence[T], ids: Sequence[str], durations: Mapping[str, float]
                  ) -> list[T]:
    """``items`` (whose ids are ``ids``, in the same order) reordered: unknown ones first,
    then by ``durations``, longest first; ties keep their order."""
    order = sorted(range(len(items)),
                   key=lambda i: (ids[i] in durations, -durations.get(ids[i], 0.0)))
    return [items[i] for i in order]
