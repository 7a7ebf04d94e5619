from __future__ import annotations

import json
from pathlib import Path

from scenarios.schedule import longest_first, previous_durations


def test_the_longest_scenarios_go_first_and_unknown_ones_before_them() -> None:
    ids = ["a", "b", "c", "new", "d"]
    durations = {"a": 1.0, "b": 3.0, "c": 2.0, "d": 1.0}
    assert longest_first(ids, durations, key=str) == ["new", "b", "c", "a", "d"]


def test_no_previous_run_keeps_the_catalogue_order() -> None:
    ids = ["a", "b", "c"]
    assert longest_first(ids, {}, key=str) == ids


def test_durations_come_from_the_previous_results(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"results": [
        {"id": "a", "status": "passed", "seconds": 2.5},
        {"id": "b", "status": "skipped", "seconds": 0.0},
        {"id": "c", "status": "failed", "seconds": 1},
        {"id": 3, "status": "passed", "seconds": 1.0},
        {"id": "d", "status": "passed", "seconds": "slow"},
    ]}), encoding="utf-8")
    assert previous_durations(results) == {"a": 2.5, "c": 1.0}


def test_an_unreadable_previous_run_is_ignored(tmp_path: Path) -> None:
    assert previous_durations(tmp_path / "missing.json") == {}
    broken = tmp_path / "results.json"
    broken.write_text("{not json", encoding="utf-8")
    assert previous_durations(broken) == {}
    broken.write_text(json.dumps({"results": "nope"}), encoding="utf-8")
    assert previous_durations(broken) == {}


def test_a_failure_s_duration_counts_its_traced_rerun(tmp_path: Path) -> None:
    """A scenario's ``seconds`` are its first run's; the worker spent its rerun's too."""
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"results": [
        {"id": "a", "status": "failed", "seconds": 2.5, "rerun_seconds": 3.0},
        {"id": "b", "status": "passed", "seconds": 1.0, "rerun_seconds": None},
    ]}), encoding="utf-8")
    assert previous_durations(results) == {"a": 5.5, "b": 1.0}
