"""``--max-failures N`` and ``-x``: once N scenarios have failed or been in error, the ones left
are skipped with the reason; the count is shared by the run's worker processes."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from scenarios.__main__ import build_parser, main
from scenarios.max_failures import FailureCount, skip_reason
from scenarios.results import ScenarioResult, Status

TOY = "scenarios_runner.toy_catalogue:registry"


def _result(status: Status) -> ScenarioResult:
    return ScenarioResult(id="x.y", title="t", proves="p", group="g", status=status, seconds=1)


def test_failures_and_errors_count_passes_and_skips_do_not() -> None:
    count = FailureCount(2)
    for status in ("passed", "skipped", "failed"):
        count.note(_result(status))  # type: ignore[arg-type]
    assert (count.count, count.reached()) == (1, False)
    count.note(_result("error"))
    assert (count.count, count.reached()) == (2, True)
    unlimited = FailureCount(None)
    unlimited.note(_result("failed"))
    assert not unlimited.reached()


def test_a_failure_in_one_worker_process_is_seen_by_the_others() -> None:
    """The worker is handed the count's own method, not a function of this module: a spawned
    process imports the module its target comes from, and this one's imports the command
    line's (about 0.5 s of CPU more)."""
    spawn = multiprocessing.get_context("spawn")
    count = FailureCount.shared(1, spawn)
    assert not count.reached()
    worker = spawn.Process(target=count.note, args=(_result("failed"),))
    worker.start()
    worker.join(60)
    assert worker.exitcode == 0
    assert count.reached() and count.count == 1


@pytest.mark.parametrize(("given", "limit"), [([], None), (["-x"], 1),
                                              (["--max-failures", "3"], 3)])
def test_the_options(given: list[str], limit: int | None) -> None:
    assert build_parser().parse_args(["run", *given]).max_failures == limit


@pytest.mark.parametrize("bad", [["--max-failures", "0"], ["--max-failures", "two"],
                                 ["--max-failures", "-1"], ["-x", "--max-failures", "2"]])
def test_bad_options_are_usage_errors(bad: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["run", *bad])
    assert exited.value.code == 2


@pytest.mark.browser
def test_x_skips_what_is_left_after_the_first_failure(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--catalogue", TOY, "--report", str(tmp_path), "--trace", "off",
                 "--workers", "1", "-x",
                 "--only", "toy.pass.heading,toy.fail.assertion,toy.error.crash"])
    captured = capsys.readouterr()
    assert code == 1, captured.out + captured.err
    rows = {row["id"]: (row["status"], row["message"]) for row in json.loads(
        (tmp_path / "results.json").read_text(encoding="utf-8"))["results"]}
    assert rows["toy.pass.heading"][0] == "passed"
    assert rows["toy.fail.assertion"][0] == "failed"
    assert rows["toy.error.crash"] == ("skipped", skip_reason(1))
    assert skip_reason(1) == "not run: 1 scenario had failed (--max-failures 1)"
