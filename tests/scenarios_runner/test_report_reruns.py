"""The traced second run of a failure (``--trace rerun-on-failure``) in the reports: its time
apart from the scenario's (the first run's), its app log and pictures named and linked."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scenarios.context import StepRecord
from scenarios.report import write_html, write_json, write_junit
from scenarios.results import Phases, RunSummary, ScenarioResult, format_table
from scenarios.worker import _with_rerun
from scenarios.worker_pool import Progress

FIRST = ScenarioResult(
    id="failure.expired-secret", title="t", proves="p", group="failure", status="failed",
    seconds=2.55, message="AssertionError: no contact",
    app_log="logs/app-failure.expired-secret.log",
    phases=Phases(stack_start=1.0, steps=1.2, other=0.35),
    steps=(StepRecord(name="sign in", status="failed", seconds=1.2,
                      screenshot="screenshots/failure.expired-secret/01-sign-in.png"),))
SECOND = ScenarioResult(
    id=FIRST.id, title="t", proves="p", group="failure", status="failed", seconds=2.85,
    message="AssertionError: no contact", trace="traces/failure.expired-secret.zip",
    app_log="logs/app-failure.expired-secret.log",
    steps=(StepRecord(name="sign in", status="failed", seconds=1.3,
                      screenshot="screenshots/failure.expired-secret/01-sign-in.png"),
           StepRecord(name="state at failure", status="failed", seconds=0.0,
                      screenshot="screenshots/failure.expired-secret/zz-at-failure.png")))


def test_the_result_keeps_the_first_run_s_time_and_names_the_second_run_s_files() -> None:
    result = _with_rerun(FIRST, SECOND)
    assert (result.seconds, result.phases) == (FIRST.seconds, FIRST.phases)
    assert (result.rerun, result.rerun_seconds) == ("failed", 2.85)
    assert result.trace == "rerun/traces/failure.expired-secret.zip"
    assert result.app_log == "logs/app-failure.expired-secret.log"
    assert result.rerun_app_log == "rerun/logs/app-failure.expired-secret.log"
    assert result.rerun_screenshots == (
        "rerun/screenshots/failure.expired-secret/01-sign-in.png",
        "rerun/screenshots/failure.expired-secret/zz-at-failure.png")


def test_every_report_shows_the_rerun_apart(tmp_path: Path) -> None:
    result = _with_rerun(FIRST, SECOND)
    summary = RunSummary(results=(result,), seconds=5.6, workers=1, report_dir=tmp_path)
    data = json.loads(write_json(summary, tmp_path).read_text(encoding="utf-8"))
    row = data["results"][0]
    assert (row["seconds"], row["rerun_seconds"]) == (2.55, 2.85)
    assert row["rerun_app_log"] == "rerun/logs/app-failure.expired-secret.log"
    assert row["rerun_screenshots"] == list(result.rerun_screenshots)
    assert data["phases"]["reruns"] == pytest.approx(2.85)
    html = write_html(summary, tmp_path).read_text(encoding="utf-8")
    for path in (result.rerun_app_log, *result.rerun_screenshots):
        assert f'href="{path}"' in html
    assert "2.55s (the first run; its traced rerun 2.85s more)" in html
    assert "traced reruns of failures 2.9s, not in the times of the scenarios" in html
    assert "failure.expired-secret  FAIL       2.55  (rerun 2.85)" in format_table(summary)
    out = io.StringIO()
    Progress(out=out, show_worker=False).finished(result)
    assert out.getvalue().splitlines()[0] == (
        "FAIL  failure.expired-secret  2.55s (traced rerun FAIL 2.85s)")
    case = ET.parse(write_junit(summary, tmp_path / "j.xml")).getroot().find(".//testcase")
    assert case is not None and case.get("time") == "2.550"
    lines = (case.findtext("system-out") or "").splitlines()
    assert "rerun_seconds: 2.85" in lines
    assert f"rerun_app_log: {tmp_path}/rerun/logs/app-failure.expired-secret.log" in lines
