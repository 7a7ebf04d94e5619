"""Inside GitHub Actions a run annotates each scenario that did not pass and adds its counts and
failures to the job's summary; outside, it prints and writes nothing of the kind."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from scenarios.conformance.github import step_summary as conformance_summary
from scenarios.conformance.rows import Row, RowResult, Verdict
from scenarios.context import StepRecord
from scenarios.github import MAX_ANNOTATIONS, report_to_github, step_summary, workflow_commands
from scenarios.report import write_reports
from scenarios.results import RunSummary, ScenarioResult, Status
from scenarios.shard import Shard


def _result(scenario_id: str, status: Status, message: str | None = None,
            steps: tuple[StepRecord, ...] = ()) -> ScenarioResult:
    return ScenarioResult(id=scenario_id, title=f"title of {scenario_id}", proves="p",
                          group="g", status=status, seconds=1.5, message=message, steps=steps)


def _summary(tmp_path: Path, *results: ScenarioResult) -> RunSummary:
    return RunSummary(results=results, seconds=9.25, workers=2, report_dir=tmp_path,
                      shard=Shard(2, 3), app="Contoso, 100% | SSO")


FAILED_STEP = StepRecord(name="sign in", status="failed", seconds=1.0, error="x")


def test_each_failure_is_an_error_annotation_escaped_as_github_reads_it(tmp_path: Path) -> None:
    summary = _summary(
        tmp_path, _result("auto-login.first", "passed"),
        _result("failure.page", "failed", "100% of:\nthe page, shown\r\nlate",
                (StepRecord(name="open", status="passed", seconds=0.1), FAILED_STEP)),
        _result("lifecycle.x", "error", None), _result("skip.me", "skipped", "no"))
    assert workflow_commands(summary) == [
        "::error title=failure.page FAIL::title of failure.page: step 'sign in': "
        "100%25 of:%0Athe page, shown%0D%0Alate",
        "::error title=lifecycle.x ERROR::title of lifecycle.x: ERROR",
    ]


def test_a_failure_that_did_not_come_back_says_so(tmp_path: Path) -> None:
    """--trace rerun-on-failure ran it again, traced, and it passed: a flaky scenario."""
    flaky = replace(_result("a.flaky", "failed", "x" * 2000), rerun="passed")
    line = workflow_commands(_summary(tmp_path, flaky))[0]
    assert line.endswith("x (a second, traced run passed: the failure did not come back)")
    assert "did not come back" in step_summary(_summary(tmp_path, flaky))
    again = replace(flaky, rerun="failed")
    assert "come back" not in workflow_commands(_summary(tmp_path, again))[0]


def test_a_title_is_escaped_as_a_property(tmp_path: Path) -> None:
    line = workflow_commands(_summary(tmp_path, _result("a:b,c", "failed", "m")))[0]
    assert line.startswith("::error title=a%3Ab%2Cc FAIL::")


def test_past_ten_one_notice_says_how_many_more(tmp_path: Path) -> None:
    failures = [_result(f"f.{n:02}", "failed", "m") for n in range(13)]
    lines = workflow_commands(_summary(tmp_path, *failures))
    assert len(lines) == MAX_ANNOTATIONS + 1
    assert lines[-1].startswith("::notice title=sso-harness::3 more scenarios did not pass")


def test_the_step_summary_counts_and_tabulates_the_failures(tmp_path: Path) -> None:
    text = step_summary(_summary(tmp_path, _result("a.ok", "passed"),
                                 _result("b.bad", "failed", "one | two\n\nthree\n4\n5"),
                                 _result("c.skip", "skipped", "no")))
    assert text.splitlines() == [
        "### sso-harness scenarios shard 2/3 against Contoso, 100% \\| SSO", "",
        "1 passed, 1 failed, 1 skipped in 9.2 s", "",
        "| scenario | result | seconds | what went wrong |", "|---|---|---:|---|",
        "| `b.bad` | FAIL | 1.50 | one \\| two<br>three<br>4 |", "",
    ]
    assert "|" not in step_summary(_summary(tmp_path, _result("a.ok", "passed"))).split("\n")[2]


PAGE = ("Error <img src=x onerror=alert(1)> </td></table><h1>HUGE</h1> & more\n"
        "<script>x()</script>")


def test_a_run_s_notes_are_warnings_and_end_the_step_summary(tmp_path: Path) -> None:
    note = "the relying party holds no e-mail address for alice: add <email>, 100%"
    summary = replace(_summary(tmp_path, _result("a.ok", "passed")), notes=(note,))
    assert workflow_commands(summary) == [
        "::warning title=sso-harness note::the relying party holds no e-mail address for "
        "alice: add <email>, 100%25"]
    assert step_summary(summary).endswith(
        "\nNote: the relying party holds no e-mail address for alice: add &lt;email&gt;, "
        "100%\n\n")
    assert "Note:" not in step_summary(replace(summary, notes=()))


def test_the_step_summary_shows_a_pages_html_as_text(tmp_path: Path) -> None:
    """GitHub renders the HTML a summary holds: what a page or an app says is escaped in every
    cell and in the heading, for run and conformance alike."""
    summary = replace(_summary(tmp_path, _result("b.bad", "failed", PAGE)), app="<b>app</b>")
    row = Row(id="rp-id_token-aud", kind="login", fault="aud", expect="REJECT", what="w")
    conformance = conformance_summary(
        [RowResult(row=row, verdict=Verdict(result="FAIL", did=PAGE, reason=PAGE),
                   seconds=1.0)], rp="http://rp.test/<b>x</b>", seconds=1.0)
    for text in (step_summary(summary), conformance):
        assert "<img" not in text and "</td>" not in text and "<script" not in text, text
        assert "<b>" not in text and "&lt;b&gt;" in text, text
        assert "&lt;img src=x onerror=alert(1)&gt; &lt;/td&gt;&lt;/table&gt;" in text, text
        assert "&amp; more<br>&lt;script&gt;" in text, text


def test_the_step_summary_of_an_interrupted_run_says_so(tmp_path: Path) -> None:
    summary = replace(_summary(tmp_path, _result("a.ok", "passed"),
                               _result("b.left", "skipped", "not run: the run was interrupted")),
                      interrupted=True)
    lines = step_summary(summary).splitlines()
    assert lines[0] == (
        "### sso-harness scenarios shard 2/3 against Contoso, 100% \\| SSO interrupted")
    assert lines[2] == ("1 passed, 0 failed, 1 skipped in 9.2 s (interrupted: the skipped "
                        "scenarios include those it did not run)")


def test_reports_inside_github_actions_annotate_and_append_the_summary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    job_summary = tmp_path / "summary.md"
    job_summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(job_summary))
    summary = _summary(tmp_path, _result("b.bad", "failed", "broken"))
    write_reports(summary, None)
    captured = capsys.readouterr()
    assert "::error title=b.bad FAIL::title of b.bad: broken" in captured.err.splitlines()
    assert "::" not in captured.out  # stderr: GitHub reads it too, and stdout stays the output
    text = job_summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### sso-harness scenarios shard 2/3")
    assert "| `b.bad` | FAIL |" in text

    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "no-such-dir" / "s.md"))
    report_to_github(summary)
    assert "could not write the job summary" in capsys.readouterr().err


def test_outside_github_actions_nothing_is_said(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job_summary = tmp_path / "summary.md"
    summary = _summary(tmp_path, _result("b.bad", "failed", "broken"))
    for environ in ({}, {"GITHUB_ACTIONS": "false", "GITHUB_STEP_SUMMARY": str(job_summary)}):
        report_to_github(summary, environ)
    captured = capsys.readouterr()
    assert "::" not in captured.out + captured.err
    assert not job_summary.exists()
