"""``run --last-failed``: the scenarios the last run in the report directory reported as failed
or in error, and only those; the whole selection when there is nothing to narrow it to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.__main__ import main
from scenarios.app_down import skip_reason as app_down_reason
from scenarios.last_run import last_failed_selection, previous_failed_rows, previous_failures
from scenarios.max_failures import skip_reason
from scenarios.report import write_json
from scenarios.results import RunSummary, ScenarioResult, Status

TOY = "scenarios_runner.toy_catalogue:registry"
MOSTLY_SKIPPING = "scenarios_runner.test_run_outputs:mostly_skipping"


def _last_run(report: Path, statuses: dict[str, Status]) -> None:
    """Write ``results.json`` as a run with these results would have."""
    results = tuple(ScenarioResult(id=scenario_id, title="t", proves="p", group="g",
                                   status=status, seconds=1.0)
                    for scenario_id, status in statuses.items())
    report.mkdir(parents=True, exist_ok=True)
    write_json(RunSummary(results=results, seconds=1.0, workers=1, report_dir=report), report)


def _listed(out: str) -> list[str]:
    return [line.split("\t")[0] for line in out.splitlines() if line and line[0] != "\t"]


def test_the_failures_are_what_failed_or_errored(tmp_path: Path) -> None:
    _last_run(tmp_path, {"a": "passed", "b": "failed", "c": "error", "d": "skipped"})
    assert previous_failures(tmp_path / "results.json") == {"b", "c"}


@pytest.mark.parametrize("text", [None, "", "{", "[]", '{"results": 3}', '{"results": [1]}',
                                  '{"results": [{"status": "failed"}]}'])
def test_a_missing_or_foreign_file_narrows_nothing(tmp_path: Path, text: str | None) -> None:
    results = tmp_path / "results.json"
    if text is not None:
        results.write_text(text, encoding="utf-8")
    said: list[str] = []
    picked, narrowed = last_failed_selection(["a", "b"], str, results, said.append)
    assert (picked, narrowed) == (["a", "b"], None)
    assert len(said) == 1 and "running the whole selection" in said[0]


def test_list_shows_only_the_last_failures(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _last_run(tmp_path, {"toy.pass.heading": "passed", "toy.fail.assertion": "failed",
                         "toy.error.crash": "error", "toy.pass.form": "passed"})
    assert main(["run", "--catalogue", TOY, "--report", str(tmp_path), "--list",
                 "--last-failed"]) == 0
    captured = capsys.readouterr()
    assert _listed(captured.out) == ["toy.fail.assertion", "toy.error.crash"]
    assert "running the 2 of" in captured.err

    # narrowed after --only; nothing of it failed: the whole of it runs
    assert main(["run", "--catalogue", TOY, "--report", str(tmp_path), "--list",
                 "--last-failed", "--only", "toy.pass.*"]) == 0
    captured = capsys.readouterr()
    assert _listed(captured.out) == ["toy.pass.heading", "toy.pass.form"]
    assert "none of the selection failed in the last run" in captured.err


def test_a_shard_reruns_its_own_failures(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """After --shard: the last run's failures of other shards stay theirs."""
    failures: dict[str, Status] = {f"few.{n}": "failed" for n in range(1, 7)}
    _last_run(tmp_path, failures)
    seen: list[str] = []
    for index in (1, 2):
        assert main(["run", "--catalogue", MOSTLY_SKIPPING, "--report", str(tmp_path),
                     "--list", "--last-failed", "--shard", f"{index}/2"]) == 0
        mine = _listed(capsys.readouterr().out)
        assert len(mine) == 3
        seen += mine
    assert sorted(seen) == sorted(failures)


@pytest.mark.browser
def test_the_run_reruns_only_the_last_failures(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The runner narrows the run itself (what --list shows, it runs): the one scenario the
    last run failed runs, now passes, and the new results hold it alone."""
    report = tmp_path / "report"
    _last_run(report, {"toy.pass.heading": "failed", "toy.pass.form": "passed"})
    code = main(["run", "--catalogue", TOY, "--report", str(report), "--trace", "off",
                 "--last-failed"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    rows = json.loads((report / "results.json").read_text(encoding="utf-8"))["results"]
    assert [(row["id"], row["status"]) for row in rows] == [("toy.pass.heading", "passed")]


def test_what_the_last_run_did_not_run_is_pending_as_a_failure(tmp_path: Path) -> None:
    """After -x, or once the app could not be started, the scenarios skipped "not run" have
    not passed: a rerun of the failure alone would pass without them. A scenario the profile
    skips (a reason of its own) is not pending."""
    results = (
        ScenarioResult(id="a", title="t", proves="p", group="g", status="failed", seconds=1.0),
        ScenarioResult(id="b", title="t", proves="p", group="g", status="skipped", seconds=0.0,
                       message=skip_reason(1)),
        ScenarioResult(id="c", title="t", proves="p", group="g", status="skipped", seconds=0.0,
                       message=app_down_reason("a")),
        ScenarioResult(id="d", title="t", proves="p", group="g", status="skipped", seconds=0.0,
                       message="the profile lacks v1-endpoints"),
        ScenarioResult(id="e", title="t", proves="p", group="g", status="passed", seconds=1.0))
    write_json(RunSummary(results=results, seconds=1.0, workers=1, report_dir=tmp_path),
               tmp_path)
    assert previous_failures(tmp_path / "results.json") == {"a", "b", "c"}


def test_a_conformance_row_not_run_is_pending_but_not_one_not_tested(tmp_path: Path) -> None:
    rows = [{"id": "r1", "result": "FAIL", "did": "signed in"},
            {"id": "r2", "result": "SKIP", "did": "not run", "reason": skip_reason(1, "row")},
            {"id": "r3", "result": "SKIP", "did": "signed in", "reason": "not tested: no keys"},
            {"id": "r4", "result": "PASS", "did": "not signed in"}]
    (tmp_path / "results.json").write_text(json.dumps({"rows": rows}), encoding="utf-8")
    assert previous_failed_rows(tmp_path / "results.json") == {"r1", "r2"}
