"""An interrupted run's reports: the signals after the first (a CI's SIGTERM after its SIGINT, a
second Ctrl-C) do not stop them being written, and each file is replaced whole."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import scenarios.report as report
import scenarios.runner as runner
from scenarios.__main__ import EXIT_INTERRUPTED, main
from scenarios.app.process import interrupted_by
from scenarios.report_files import write_atomically
from scenarios.results import RunSummary
from scenarios.runner import RunOptions

SKIPPING = "scenarios_runner.test_run_outputs:skipping"


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt, as in ``python -m scenarios`` (a pytest-xdist worker
    ignores it)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def _signal_and_wait(signum: int) -> None:
    os.kill(os.getpid(), signum)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the handler runs between these bytecodes
        time.sleep(0.01)


@pytest.mark.parametrize("first", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.usefixtures("ctrl_c")
def test_a_second_signal_while_the_reports_are_written_is_ignored(
        first: signal.Signals, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "results.json").write_text('{"previous": "run"}', encoding="utf-8")
    (tmp_path / "j.xml").write_text("<previous/>", encoding="utf-8")

    def interrupted_run(options: RunOptions, *_: object) -> RunSummary:
        try:
            _signal_and_wait(first)
        except KeyboardInterrupt:
            raise runner.RunInterrupted(RunSummary(
                results=(), seconds=0.0, workers=1, report_dir=options.report_dir)) from None
        raise AssertionError("the first signal did not interrupt the run")

    real_json = report.write_json

    def write_json(summary: RunSummary, report_dir: Path) -> Path:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)
        return real_json(summary, report_dir)

    monkeypatch.setattr(runner, "_run", interrupted_run)
    monkeypatch.setattr(report, "write_json", write_json)
    before = signal.getsignal(signal.SIGTERM)
    code = main(["run", "--catalogue", SKIPPING, "--report", str(tmp_path),
                 "--junit", str(tmp_path / "j.xml")])

    assert code == EXIT_INTERRUPTED
    assert (tmp_path / "index.html").is_file()
    assert '"schema": 1' in (tmp_path / "results.json").read_text(encoding="utf-8")
    assert "<testsuite" in (tmp_path / "j.xml").read_text(encoding="utf-8")
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_report_stopped_half_way_leaves_the_last_one_whole(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    target.write_text("previous", encoding="utf-8")

    def half(path: Path) -> None:
        path.write_text("half of th", encoding="utf-8")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, half)
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_a_symlinked_report_file_is_replaced_not_written_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("precious", encoding="utf-8")
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "results.json").symlink_to(elsewhere)
    summary = RunSummary(results=(), seconds=0.0, workers=1, report_dir=tmp_path / "r")
    report.write_json(summary, tmp_path / "r")
    assert elsewhere.read_text(encoding="utf-8") == "precious"
    assert not (tmp_path / "r" / "results.json").is_symlink()


def test_json_and_junit_are_written_before_the_html(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped(*_: object, **__: object) -> Path:
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "write_html", stopped)
    summary = RunSummary(results=(), seconds=0.0, workers=1, report_dir=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        report.write_reports(summary, tmp_path / "j.xml")
    assert (tmp_path / "results.json").is_file() and (tmp_path / "j.xml").is_file()


def test_a_joined_block_leaves_its_outer_block_ignoring_later_signals() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with interrupted_by():
        with pytest.raises(KeyboardInterrupt), interrupted_by(join_outer=True):
            signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGTERM)  # the outer block's teardown goes on
    assert signal.getsignal(signal.SIGTERM) == before
