"""What the servers of a conformance run log goes beside its report, as in ``run``; its stderr
carries the command's own progress only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sample_apps import tiny_profile

from scenarios.__main__ import main

pytestmark = pytest.mark.browser

ROWS = "rp-id_token-aud,rp-backchannel-rpinitlogout-lt-wrong-aud"


@pytest.mark.slow
def test_the_reference_rps_refusals_go_to_the_report_logs(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "app.log").write_text("the app's own\n")  # not the harness's
    done = subprocess.run(
        [sys.executable, "-m", "scenarios", "conformance", "--app", "reference-rp", "--only",
         ROWS, "--report", str(tmp_path)],
        cwd=Path(__file__).parents[2], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    progress = done.stderr.splitlines()
    assert progress[0].startswith("reference relying party at http://127.0.0.1:")
    assert [line.split()[:2] for line in progress[1:3]] == [
        ["PASS", row] for row in ROWS.split(",")]
    assert progress[3:] == [f"report: {tmp_path / 'index.html'}", f"logs:   {tmp_path / 'logs'}"]
    logged = (tmp_path / "logs" / "worker-0.log").read_text()
    assert "sign-in failure RP-" in logged and "id_token_wrong_audience" in logged
    assert "back-channel logout refused: logout_token_invalid: wrong_audience" in logged
    assert (tmp_path / "logs" / "app.log").read_text() == "the app's own\n"


@pytest.mark.slow
def test_without_a_report_the_logs_go_to_the_default_directory(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scenarios", "conformance", "--app", "reference-rp", "--only",
         "rp-id_token-aud"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sign-in failure" not in done.stderr
    assert done.stderr.splitlines()[-1] == "logs:   reports/conformance/logs"
    assert "id_token_wrong_audience" in (
        tmp_path / "reports" / "conformance" / "logs" / "worker-0.log").read_text()


@pytest.mark.slow
def test_a_started_apps_output_during_a_failed_row_is_kept_beside_the_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As ``run`` does for a scenario that did not pass: what an app started as a command
    printed during a failed row (its traceback, say) goes to ``logs/app-<row id>.log``, masked;
    a passing row keeps none."""
    profile = tiny_profile(tmp_path, env='TINY_LOG_REQUESTS = "1"\n')
    report = tmp_path / "report"
    stale = report / "logs" / "app-rp-response_type-code.log"
    stale.parent.mkdir(parents=True)
    stale.write_text("a previous run's\n")
    code = main(["conformance", "--app", str(profile), "--only",
                 "rp-response_type-code,rp-nonce-invalid", "--report", str(report),
                 "--junit", str(tmp_path / "junit.xml")])
    err = capsys.readouterr().err
    assert code == 1, err  # the tiny app never compares the nonce
    kept = report / "logs" / "app-rp-nonce-invalid.log"
    assert err.splitlines()[-1] == f"logs:   {report / 'logs'}", err
    printed = kept.read_text()
    assert "GET /callback?" in printed and "tiny app on" not in printed, printed
    assert "code=" not in printed or "code=[" in printed, printed
    assert not stale.exists()
    rows = {r["id"]: r for r in json.loads((report / "results.json").read_text())["rows"]}
    assert rows["rp-nonce-invalid"]["app_log"] == "logs/app-rp-nonce-invalid.log"
    assert rows["rp-response_type-code"]["app_log"] is None
    assert 'href="logs/app-rp-nonce-invalid.log"' in (report / "index.html").read_text()
    assert f"app_log: {kept}" in (tmp_path / "junit.xml").read_text()
