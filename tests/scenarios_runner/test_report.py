from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from scenarios.context import StepRecord
from scenarios.report import write_html, write_json, write_junit
from scenarios.results import Phases
from scenarios.runner import RunSummary, ScenarioResult, format_table


def _summary(tmp_path: Path) -> RunSummary:
    passed = ScenarioResult(
        id="auto-login.widget",
        title="Widget signs in",
        proves="no click needed",
        group="auto-login",
        status="passed",
        seconds=1.25,
        steps=(
            StepRecord(
                name="open", status="passed", seconds=0.5, screenshot="screenshots/a/01-open.png"
            ),
        ),
    )
    failed = ScenarioResult(
        id="failure.nonce",
        title="Nonce mismatch",
        proves="a replayed nonce is refused",
        group="failure",
        status="failed",
        seconds=2.0,
        message="AssertionError: expected <b>Reference</b>\nsecond line",
        details="Traceback ...",
        trace="traces/failure.nonce.zip",
    )
    crashed = ScenarioResult(
        id="failure.idp-down",
        title="IdP down",
        proves="x",
        group="failure",
        status="error",
        seconds=0.1,
        message="RuntimeError: boom",
    )
    return RunSummary(
        results=(passed, failed, crashed), seconds=3.5, workers=2, report_dir=tmp_path
    )


def test_junit_is_valid_xml_with_counts_and_failures(tmp_path: Path) -> None:
    path = write_junit(_summary(tmp_path), tmp_path / "out" / "junit.xml")
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == ["auto-login.widget", "failure.nonce", "failure.idp-down"]
    assert cases["auto-login.widget"].find("failure") is None
    assert cases["auto-login.widget"].get("classname") == "scenarios.auto-login"
    failure = cases["failure.nonce"].find("failure")
    assert failure is not None
    # the whole message, its line break kept as a character reference in the attribute
    assert failure.get("message") == "AssertionError: expected <b>Reference</b>\nsecond line"
    assert "<b>Reference</b>&#10;second line" in path.read_text(encoding="utf-8").replace(
        "&lt;", "<").replace("&gt;", ">")
    assert failure.text == "Traceback ..."
    assert cases["failure.idp-down"].find("error") is not None


def test_junit_stays_xml_whatever_characters_a_failure_holds(tmp_path: Path) -> None:
    """An app's error page quoted in a failure may hold an ANSI colour, a noncharacter or the
    lone surrogates of bytes that were not UTF-8: none may reach the XML, which every CI
    parser must read."""
    hostile = "Error \x1b[31mTokenError\x1b[0m \x01\x08 \ufffe \udcff end"
    result = replace(_summary(tmp_path).results[1], message=f"AssertionError: {hostile}",
                     details=f"Traceback\n{hostile}\x0b", title=f"title {hostile}",
                     steps=(StepRecord(name=f"step {hostile}", status="failed", seconds=0.1),))
    path = write_junit(replace(_summary(tmp_path), results=(result,), app=hostile),
                       tmp_path / "junit.xml")
    root = ET.parse(path).getroot()
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    escaped = "Error \\x1b[31mTokenError\\x1b[0m \\x01\\x08 \\ufffe \\udcff end"
    assert failure.get("message") == f"AssertionError: {escaped}"
    assert failure.text == f"Traceback\n{escaped}\\x0b"
    assert root.find("testsuite/testcase/system-out") is not None
    assert f"step {escaped}" in (root.findtext("testsuite/testcase/system-out") or "")
    assert f"title: title {escaped}" in (root.findtext("testsuite/testcase/system-out") or "")
    assert {p.get("value") for p in root.iter("property")} == {escaped}  # the suite's app


def test_html_lists_scenarios_links_screenshots_and_traces(tmp_path: Path) -> None:
    html = write_html(_summary(tmp_path), tmp_path).read_text(encoding="utf-8")
    for scenario_id in ("auto-login.widget", "failure.nonce", "failure.idp-down"):
        assert f'id="{scenario_id}"' in html
    assert 'src="screenshots/a/01-open.png"' in html
    assert 'href="traces/failure.nonce.zip"' in html
    assert "&lt;b&gt;Reference&lt;/b&gt;" in html
    assert "<b>Reference</b>" not in html
    assert "1 passed, 2 failed" in html


def test_json_holds_every_result(tmp_path: Path) -> None:
    data = json.loads(write_json(_summary(tmp_path), tmp_path).read_text(encoding="utf-8"))
    assert list(data)[:1] == ["schema"] and data["schema"] == 1
    assert data["shard"] is None and data["interrupted"] is False
    assert [r["status"] for r in data["results"]] == ["passed", "failed", "error"]
    assert data["results"][0]["steps"][0]["screenshot"] == "screenshots/a/01-open.png"


NOTE = "the relying party holds no e-mail address for <alice@contoso.example>"


def test_a_run_s_notes_are_under_the_total_and_in_every_report(tmp_path: Path) -> None:
    """What a run noted (``run --idp``: an app that holds no address for its user) is told
    beside the results, though no scenario failed; a run without notes says none."""
    plain = _summary(tmp_path)
    assert "note:" not in format_table(plain)
    assert json.loads(write_json(plain, tmp_path).read_text(encoding="utf-8"))["notes"] == []
    summary = replace(plain, notes=(NOTE,))
    assert format_table(summary).splitlines()[-1] == f"note: {NOTE}"
    assert json.loads(write_json(summary, tmp_path).read_text(encoding="utf-8"))["notes"] == [
        NOTE]
    suite = ET.parse(write_junit(summary, tmp_path / "j.xml")).getroot().find("testsuite")
    assert suite is not None
    assert [(p.get("name"), p.get("value")) for p in suite.iter("property")
            if p.get("name") == "note"] == [("note", NOTE)]
    html = write_html(summary, tmp_path).read_text(encoding="utf-8")
    assert ('<p class="note">Note: the relying party holds no e-mail address for '
            "&lt;alice@contoso.example&gt;.</p>") in html


def test_table_and_exit_code(tmp_path: Path) -> None:
    summary = _summary(tmp_path)
    table = format_table(summary)
    assert "failure.nonce" in table and "FAIL" in table and "ERROR" in table
    assert "1 passed, 2 failed" in table
    assert summary.exit_code == 1
    only_passed = RunSummary(results=summary.results[:1], seconds=1, workers=1, report_dir=tmp_path)
    assert only_passed.exit_code == 0


def test_skipped_scenarios_and_the_app_name_in_every_report(tmp_path: Path) -> None:
    base = _summary(tmp_path)
    skipped = ScenarioResult(id="partner.launch", title="Launch", proves="p", group="partner",
                             status="skipped", seconds=0.0,
                             message="the profile lacks partner ([partner] ...)")
    summary = RunSummary(results=(*base.results[:1], skipped), seconds=1.0, workers=1,
                         report_dir=tmp_path, app="helpdesk")
    suite = ET.parse(write_junit(summary, tmp_path / "j.xml")).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("name"), suite.get("skipped"), suite.get("failures")) == (
        "sso-harness scenarios: helpdesk", "1", "0")
    case = [c for c in suite.iter("testcase") if c.get("name") == "partner.launch"][0]
    node = case.find("skipped")
    assert node is not None and node.get("message", "").startswith("the profile lacks partner")
    html = write_html(summary, tmp_path).read_text(encoding="utf-8")
    assert "SSO scenarios against helpdesk" in html and "1 skipped" in html
    # the page's title counts as its body and the console do
    assert "<title>SSO scenarios against helpdesk: 1 passed, 0 failed, 1 skipped</title>" in html
    # the xunit schema (junit-10.xsd) allows no skipped count on testsuites: the suite has it
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert set(root.attrib) <= {"name", "time", "tests", "failures", "errors"}
    assert "skipped: the profile lacks partner" in html
    assert json.loads(write_json(summary, tmp_path).read_text(encoding="utf-8"))["app"] == (
        "helpdesk")
    table = format_table(summary)
    assert "partner.launch" in table and "SKIP" in table
    assert "    the profile lacks partner" in table
    assert "1 passed, 0 failed, 1 skipped against helpdesk" in table
    assert summary.exit_code == 0


def test_phases_in_the_json_and_the_page(tmp_path: Path) -> None:
    phases = Phases(stack_start=0.2, context=0.1, steps=1.0, screenshots=0.3, trace=0.05,
                    teardown=0.15, other=0.2)
    timed = [ScenarioResult(id=f"a.{n}", title="t", proves="p", group="a", status="passed",
                            seconds=phases.total, phases=phases) for n in range(3)]
    summary = RunSummary(results=(*timed, _summary(tmp_path).results[2]), seconds=6.0,
                         workers=1, report_dir=tmp_path)
    data = json.loads(write_json(summary, tmp_path).read_text(encoding="utf-8"))
    assert data["phases"]["steps"] == pytest.approx(3.0)
    assert data["phases"]["overhead_median"] == pytest.approx(1.0)
    assert data["results"][0]["phases"]["stack_start"] == 0.2
    assert data["results"][3]["phases"] is None  # never ran
    html = write_html(summary, tmp_path).read_text(encoding="utf-8")
    assert "stack start 0.20s · context 0.10s · steps 1.00s · screenshots 0.30s" in html
    assert "median time outside the steps per scenario 1.00s" in html


def test_a_skipped_scenario_names_no_worker_and_a_failure_links_the_apps_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path.parent)
    failed = replace(_summary(tmp_path).results[1], worker=1,
                     app_log="logs/app-failure.nonce.log")
    skipped = ScenarioResult(id="partner.launch", title="Launch", proves="p", group="partner",
                             status="skipped", seconds=0.0, worker=-1,
                             message="the profile lacks partner ([partner] ...)")
    summary = RunSummary(results=(failed, skipped), seconds=1.0, workers=2,
                         report_dir=tmp_path)
    html = write_html(summary, tmp_path).read_text(encoding="utf-8")
    assert "worker 1" in html and "worker -1" not in html
    assert '<a href="logs/app-failure.nonce.log">' in html
    suite = ET.parse(write_junit(summary, tmp_path / "j.xml")).getroot().find("testsuite")
    assert suite is not None
    out = {case.get("name"): (case.findtext("system-out") or "").splitlines()
           for case in suite.iter("testcase")}
    assert "worker: 1" in out["failure.nonce"]
    assert f"app_log: {tmp_path.name}/logs/app-failure.nonce.log" in out["failure.nonce"]
    assert f"[[ATTACHMENT|{tmp_path.name}/logs/app-failure.nonce.log]]" in out["failure.nonce"]
    assert not any(line.startswith("worker") for line in out["partner.launch"])
    data = json.loads(write_json(summary, tmp_path).read_text(encoding="utf-8"))
    assert data["results"][0]["app_log"] == "logs/app-failure.nonce.log"


def test_a_step_a_skip_stopped_is_shown_not_exercised_not_ok(tmp_path: Path) -> None:
    """The step during which the scenario found it was not exercised proved nothing: its
    picture may show the user signed in, but no report says "ok" of it."""
    reason = "not exercised: the app never asked UserInfo"
    skipped = ScenarioResult(
        id="failure.userinfo-sub-mismatch", title="t", proves="p", group="failure",
        status="skipped", seconds=2.9, message=reason,
        steps=(StepRecord(name="sign in", status="passed", seconds=1.0),
               StepRecord(name="the failure page appears", status="skipped", seconds=1.5,
                          screenshot="screenshots/f/02-the-failure-page.png", error=reason)))
    summary = RunSummary(results=(skipped,), seconds=3.0, workers=1, report_dir=tmp_path)
    html = write_html(summary, tmp_path).read_text(encoding="utf-8")
    assert '<span class="badge skipped">not exercised</span> the failure page appears' in html
    assert '<span class="badge passed">ok</span> sign in' in html
    data = json.loads(write_json(summary, tmp_path).read_text(encoding="utf-8"))
    assert [s["status"] for s in data["results"][0]["steps"]] == ["passed", "skipped"]
    case = ET.parse(write_junit(summary, tmp_path / "j.xml")).getroot().find(".//testcase")
    assert case is not None
    assert "[skipped] the failure page appears (1.50s)" in (case.findtext("system-out") or "")
