"""What a CI job needs from ``conformance``, as from ``run``: ``--max-failures`` / ``-x`` to stop
early, ``--last-failed`` to rerun the rows that failed, and GitHub Actions annotations and a job
summary for the rows that failed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from relying_party.oidc import id_token, id_token_checks
from scenarios.__main__ import build_parser, main
from scenarios.conformance.github import report_to_github, step_summary, workflow_commands
from scenarios.conformance.judging import Verdict
from scenarios.conformance.rows import ROWS, RowResult
from scenarios.github import MAX_ANNOTATIONS, MAX_MESSAGE
from scenarios.live import LiveStack, live_stack
from scenarios.shard import Shard

ROW = {row.id: row for row in ROWS}


def _result(row_id: str, result: str, reason: str = "", did: str = "signed in") -> RowResult:
    return RowResult(row=ROW[row_id], verdict=Verdict(result=result, did=did,  # type: ignore[arg-type]
                                                      reason=reason), seconds=0.5)


def test_each_failed_row_is_an_error_annotation_escaped_as_github_reads_it() -> None:
    results = [_result("rp-response_type-code", "PASS"),
               _result("rp-nonce-invalid", "FAIL", "100% signed in,\nwith a foreign nonce"),
               _result("rp-id_token-bad-at_hash", "INFO", "either"),
               _result("rp-id_token-aud", "SKIP", "not run")]
    assert workflow_commands(results) == [
        "::error title=rp-nonce-invalid FAIL::"
        f"{ROW['rp-nonce-invalid'].what}: 100%25 signed in,%0Awith a foreign nonce "
        "(expected REJECT; the RP did: signed in)"]


def test_a_long_reason_is_cut_in_the_annotation_and_the_summary() -> None:
    results = [_result("rp-nonce-invalid", "FAIL", "r" * 5000, did="d" * 5000)]
    [line] = workflow_commands(results)
    assert len(line.split("::", 2)[2]) == MAX_MESSAGE
    row = step_summary(results, rp="http://rp.test", seconds=1.0).splitlines()[-2]
    assert row.split(" | ")[2:] == ["d" * MAX_MESSAGE, "r" * MAX_MESSAGE + " |"]


def test_past_ten_failed_rows_one_notice_says_how_many_more(tmp_path: Path) -> None:
    results = [_result(row.id, "FAIL", "r") for row in ROWS[:12]]
    lines = workflow_commands(results, tmp_path)
    assert len(lines) == MAX_ANNOTATIONS + 1
    assert lines[-1] == (f"::notice title=sso-harness::2 more conformance rows failed: see "
                         f"{tmp_path / 'index.html'}")
    assert workflow_commands(results)[-1].endswith("failed: see the table above")


def test_the_step_summary_counts_and_tabulates_the_failed_rows_and_lists_those_not_tested(
) -> None:
    results = [_result("rp-response_type-code", "PASS"),
               _result("rp-nonce-invalid", "FAIL", "a | b", did="signed in\nat once"),
               _result("rp-id_token-aud", "SKIP", "not run")]
    text = step_summary(results, rp="http://rp.test", shard=Shard(1, 2), seconds=7.25)
    assert text.splitlines() == [
        "### sso-harness conformance shard 1/2 against http://rp.test", "",
        "1 passed, 1 failed, 1 not tested, 0 informational in 7.2 s", "",
        "| row | expected | the RP did | why it failed |", "|---|---|---|---|",
        "| `rp-nonce-invalid` | REJECT | signed in<br>at once | a \\| b |", "",
        "<details><summary>1 not tested, and why</summary>", "",
        "- `rp-id_token-aud`: not run", "", "</details>", "",
    ]
    passed = step_summary(results[:1], rp="http://rp.test", seconds=1.0)
    assert "|" not in passed and "### sso-harness conformance against" in passed
    assert "<details>" not in passed


def test_a_row_not_tested_is_listed_with_its_reason_escaped_and_cut() -> None:
    results = [_result("rp-id_token-aud", "SKIP", "not tested: <b>keys</b> " + "r" * 5000),
               _result("rp-nonce-invalid", "SKIP", "", did="not asked")]
    lines = step_summary(results, rp="http://rp.test", seconds=1.0).splitlines()
    assert "|" not in "".join(lines)
    assert lines[4] == "<details><summary>2 not tested, and why</summary>"
    reason = "not tested: <b>keys</b> "
    assert lines[6] == ("- `rp-id_token-aud`: not tested: &lt;b&gt;keys&lt;/b&gt; "
                        + "r" * (MAX_MESSAGE - len(reason)))
    assert lines[7] == "- `rp-nonce-invalid`: not asked"


def test_outside_github_actions_nothing_is_said(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job_summary = tmp_path / "summary.md"
    results = [_result("rp-nonce-invalid", "FAIL", "r")]
    for environ in ({}, {"GITHUB_ACTIONS": "false", "GITHUB_STEP_SUMMARY": str(job_summary)}):
        report_to_github(results, rp="http://rp.test", seconds=1.0, environ=environ)
    captured = capsys.readouterr()
    assert "::" not in captured.out + captured.err
    assert not job_summary.exists()


def test_json_on_stdout_stays_json_inside_github_actions(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The annotations of the failed rows go to stderr, where GitHub reads them too."""
    from types import SimpleNamespace

    from scenarios.conformance import cli

    options = SimpleNamespace(rp="http://rp.test", idp="http://idp.test", client_id="app",
                              backchannel=None)
    monkeypatch.setattr(cli, "from_flags", lambda *_a, **_k: SimpleNamespace(
        options=options, control=None, app=None, ca_file=None, name=None))
    monkeypatch.setattr(cli, "preflight", lambda *_a: None)
    monkeypatch.setattr(cli, "_run_with_browser", lambda *_a: [
        _result("rp-nonce-invalid", "FAIL", "signed in with a foreign nonce")])
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    assert main(["conformance", "--rp", "http://rp.test", "--only", "rp-nonce-invalid",
                 "--json", "--report", str(tmp_path / "report")]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["rows"][0]["id"] == "rp-nonce-invalid"
    assert "::error title=rp-nonce-invalid FAIL::" in captured.err


def test_max_failures_and_x_are_one_option() -> None:
    parse = build_parser().parse_args
    assert parse(["conformance", "--rp", "http://rp.test"]).max_failures is None
    assert parse(["conformance", "--rp", "http://rp.test", "-x"]).max_failures == 1
    assert parse(["conformance", "--rp", "http://rp.test", "--max-failures", "3"]).max_failures == 3
    with pytest.raises(SystemExit):
        parse(["conformance", "--rp", "http://rp.test", "-x", "--max-failures", "3"])


def test_last_failed_needs_the_report_it_reads(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "--rp", "http://rp.test", "--last-failed"]) == 2
    assert "--last-failed reads the results.json" in capsys.readouterr().err


def _results_json(report: Path, **results: str) -> None:
    report.mkdir(exist_ok=True)
    (report / "results.json").write_text(json.dumps(
        {"schema": 1, "rows": [{"id": i, "result": r} for i, r in results.items()]}))


def test_last_failed_lists_the_rows_that_failed_last_time(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def listed(*extra: str) -> tuple[list[str], str]:
        assert main(["conformance", "--list", "--last-failed", "--report", str(tmp_path),
                     *extra]) == 0
        out, err = capsys.readouterr()
        return [line.split("\t")[0] for line in out.splitlines()], err

    every = [row.id for row in ROWS]
    rows, said = listed()
    assert rows == every and "no results of a last run" in said
    _results_json(tmp_path, **{"rp-nonce-invalid": "FAIL", "rp-id_token-aud": "FAIL",
                               "rp-response_type-code": "PASS", "rp-id_token-sub": "SKIP"})
    rows, said = listed()
    assert rows == ["rp-id_token-aud", "rp-nonce-invalid"]  # in the catalogue's order
    assert "running the 2 of 27 selected rows that failed or were not run in the last run" in said
    rows, said = listed("--only", "rp-nonce-invalid,rp-response_type-code")
    assert rows == ["rp-nonce-invalid"]
    rows, said = listed("--only", "rp-response_type-code,rp-id_token-sub")
    assert rows == ["rp-response_type-code", "rp-id_token-sub"]
    assert "none of the selection failed in the last run" in said


@pytest.fixture
def stack() -> Iterator[LiveStack]:
    with live_stack() as live:
        yield live


@pytest.mark.slow
@pytest.mark.browser
def test_a_broken_rp_stops_at_its_first_failed_row_and_reruns_it_with_the_rows_not_run(
        stack: LiveStack, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An RP without its audience and nonce checks fails both rows; with -x only the first runs, and
    inside GitHub Actions it is annotated; --last-failed then runs that row and the two -x left."""
    monkeypatch.setattr(id_token, "ID_TOKEN_CHECKS", tuple(
        check for check in id_token.ID_TOKEN_CHECKS
        if check not in (id_token_checks.check_nonce, id_token_checks.check_audience)))
    job_summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(job_summary))
    report = tmp_path / "report"
    argv = ["conformance", "--rp", stack.rp.base_url, "--idp", stack.idp.base_url,
            "--start", f"/sso/{stack.connection_id}/widget", "--report", str(report),
            "--only", "rp-id_token-aud,rp-id_token-iat,rp-nonce-invalid"]

    assert main([*argv, "-x", "--json"]) == 1
    captured = capsys.readouterr()
    assert [row["id"] for row in json.loads(captured.out)["rows"]] == [
        "rp-id_token-aud", "rp-id_token-iat", "rp-nonce-invalid"]
    out = captured.err
    rows = {r["id"]: r for r in json.loads((report / "results.json").read_text())["rows"]}
    assert {i: r["result"] for i, r in rows.items()} == {
        "rp-id_token-aud": "FAIL", "rp-id_token-iat": "SKIP", "rp-nonce-invalid": "SKIP"}
    assert rows["rp-nonce-invalid"]["reason"] == (
        "not run: 1 row had failed (--max-failures 1)")
    assert rows["rp-nonce-invalid"]["did"] == "not run"
    annotations = [line for line in out.splitlines() if line.startswith("::")]
    assert len(annotations) == 1
    assert annotations[0].startswith("::error title=rp-id_token-aud FAIL::")
    assert "1 failed, 2 not tested" in job_summary.read_text()

    # the rows -x left unrun are as pending as the failure: a rerun of it alone would not say
    # that the nonce row fails too
    assert main([*argv, "--last-failed"]) == 1
    captured = capsys.readouterr()
    assert "running the 3 of 3 selected rows that failed or were not run in the last run" in (
        captured.err)
    rows = {r["id"]: r for r in json.loads((report / "results.json").read_text())["rows"]}
    assert {i: r["result"] for i, r in rows.items()} == {
        "rp-id_token-aud": "FAIL", "rp-id_token-iat": "PASS", "rp-nonce-invalid": "FAIL"}
    assert job_summary.read_text().count("### sso-harness conformance") == 2


def test_a_set_up_that_fails_is_one_error_annotation_and_no_summary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    job_summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(job_summary))
    assert main(["conformance", "--rp", "http://127.0.0.1:9", "--idp", "http://127.0.0.1:9",
                 "--json"]) == 2
    captured = capsys.readouterr()
    annotations = [line for line in captured.err.splitlines() if line.startswith("::")]
    assert len(annotations) == 1 and captured.out == "" and not job_summary.exists()
    assert annotations[0].startswith("::error title=conformance set-up::http://127.0.0.1:9 is "
                                     "not a mock provider with a /_mock/ control API")
