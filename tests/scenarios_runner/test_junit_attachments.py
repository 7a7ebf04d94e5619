"""The JUnit file as CI tools read it: a failed or errored scenario's screenshot and trace as
``[[ATTACHMENT|path]]`` lines of its ``system-out`` (GitLab, Jenkins junit-attachments), with
paths from the working directory the command ran in; no element the JUnit schema Jenkins'
xunit plugin validates against lacks (``properties`` in a ``testcase``); the suite's timestamp
is the run's start."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scenarios.conformance.judging import Verdict
from scenarios.conformance.junit import write_junit as write_conformance_junit
from scenarios.conformance.rows import ROWS, RowResult
from scenarios.context import StepRecord
from scenarios.report import write_junit
from scenarios.results import RunSummary, ScenarioResult

# What a testcase may hold in jenkinsci/xunit-plugin
# src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/junit-10.xsd.
TESTCASE_CHILDREN = {"skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure",
                     "flakyError", "system-out", "system-err"}


def _results() -> tuple[ScenarioResult, ...]:
    shot = "screenshots/{}/01-open.png"
    failed = ScenarioResult(
        id="failure.nonce", title="Nonce mismatch", proves="p", group="failure", status="failed",
        seconds=2.0, message="AssertionError: no", trace="rerun/traces/failure.nonce.zip",
        rerun="failed", worker=1,
        steps=(StepRecord(name="open", status="passed", seconds=0.1,
                          screenshot=shot.format("failure.nonce")),
               StepRecord(name="check", status="failed", seconds=0.1,
                          screenshot="screenshots/failure.nonce/02-check.png", error="no")))
    crashed = ScenarioResult(
        id="failure.crash", title="Crash", proves="p", group="failure", status="error",
        seconds=0.5, message="RuntimeError: boom",
        steps=(StepRecord(name="state at failure", status="failed", seconds=0.0,
                          screenshot="screenshots/failure.crash/zz-at-failure.png"),))
    passed = ScenarioResult(
        id="auto.ok", title="Fine", proves="p", group="auto", status="passed", seconds=1.0,
        trace="traces/auto.ok.zip",
        steps=(StepRecord(name="open", status="passed", seconds=0.1,
                          screenshot=shot.format("auto.ok")),))
    return failed, crashed, passed


def _system_out(path: Path) -> dict[str, list[str]]:
    return {str(case.get("name")): (case.findtext("system-out") or "").splitlines()
            for case in ET.parse(path).getroot().iter("testcase")}


def _attached(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("[[ATTACHMENT|")]


def test_failures_attach_their_screenshot_then_trace_from_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    summary = RunSummary(results=_results(), seconds=3.5, workers=1,
                         report_dir=(tmp_path / "reports").resolve())  # the runner resolves it
    out = _system_out(write_junit(summary, tmp_path / "out" / "junit.xml"))
    assert _attached(out["failure.nonce"]) == [
        "[[ATTACHMENT|reports/screenshots/failure.nonce/02-check.png]]",
        "[[ATTACHMENT|reports/rerun/traces/failure.nonce.zip]]"]
    assert out["failure.nonce"][-2:] == _attached(out["failure.nonce"])  # each a line, last
    assert "trace: reports/rerun/traces/failure.nonce.zip" in out["failure.nonce"]
    assert _attached(out["failure.crash"]) == [
        "[[ATTACHMENT|reports/screenshots/failure.crash/zz-at-failure.png]]"]
    assert _attached(out["auto.ok"]) == []


def test_a_report_directory_outside_the_working_directory_is_attached_by_absolute_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "job").mkdir()
    monkeypatch.chdir(tmp_path / "job")
    report = tmp_path / "elsewhere"
    summary = RunSummary(results=_results()[:1], seconds=1.0, workers=1, report_dir=report)
    out = _system_out(write_junit(summary, tmp_path / "junit.xml"))
    assert _attached(out["failure.nonce"]) == [
        f"[[ATTACHMENT|{report}/screenshots/failure.nonce/02-check.png]]",
        f"[[ATTACHMENT|{report}/rerun/traces/failure.nonce.zip]]"]


def test_testcases_hold_only_what_the_junit_schema_allows(tmp_path: Path) -> None:
    summary = RunSummary(results=_results(), seconds=3.5, workers=1, report_dir=tmp_path,
                         app="helpdesk")
    rows = [RowResult(row=ROWS[0], verdict=Verdict(result="FAIL", did="signed in",
                                                   reason="accepted it"), seconds=1)]
    for path in (write_junit(summary, tmp_path / "j.xml"),
                 write_conformance_junit(rows, tmp_path / "c.xml")):
        root = ET.parse(path).getroot()
        for case in root.iter("testcase"):
            assert {child.tag for child in case} <= TESTCASE_CHILDREN, path.name
    out = _system_out(tmp_path / "j.xml")["failure.nonce"]
    assert out[:5] == ["title: Nonce mismatch", "proves: p", "worker: 1",
                       f"trace: {tmp_path}/rerun/traces/failure.nonce.zip", "rerun: failed"]
    suite_properties = ET.parse(tmp_path / "j.xml").getroot().findall("testsuite/properties")
    assert len(suite_properties) == 1  # the suite's own (the app) stay properties
    conformance = _system_out(tmp_path / "c.xml")[ROWS[0].id]
    assert f"expect: {ROWS[0].expect}" in conformance and "RP did: signed in" in conformance


def test_the_suite_timestamp_is_the_runs_start(tmp_path: Path) -> None:
    summary = RunSummary(results=_results(), seconds=3600.0, workers=1, report_dir=tmp_path)
    suite = ET.parse(write_junit(summary, tmp_path / "j.xml")).getroot().find("testsuite")
    assert suite is not None
    stamp = datetime.fromisoformat(str(suite.get("timestamp")))
    assert stamp == summary.started.replace(microsecond=0)
    assert abs(stamp - (datetime.now(UTC) - timedelta(hours=1))) < timedelta(minutes=1)
