"""An app that goes away during a conformance row: the row fails saying so (the process's exit
first, as ``run`` says it), the rows left run once the app is back (started again, as ``run``
starts it for its next scenario) and are not run when it is not, and the reports are written,
with no traceback."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sample_apps import TINY_RP, tiny_profile

from mock_idp import MockIdp
from mock_idp.config import REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET
from mock_idp.testing import bind_socket
from scenarios.__main__ import main
from scenarios.app.process import start_command

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # an app started as a command, twice

ROWS = "rp-id_token-aud,rp-nonce-invalid"
"""The tiny app refuses the first row's ID token (and exits there); it never checks a nonce,
so the second row signs in (and fails) wherever it runs."""


def _rows(report: Path) -> dict[str, dict[str, object]]:
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    return {str(r["id"]): r for r in results["rows"]}


def test_a_row_the_app_exits_in_fails_saying_so_and_the_app_is_started_again(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tiny_profile(tmp_path, env='TINY_EXIT_ON_REFUSAL = "1"\n')
    report = tmp_path / "report"
    code = main(["conformance", "--app", str(profile), "--only", ROWS, "--report", str(report)])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert "Traceback" not in captured.err + captured.out
    rows = _rows(report)
    assert (rows["rp-id_token-aud"]["result"], rows["rp-id_token-aud"]["did"]) == (
        "FAIL", "the app's process exited")
    assert str(rows["rp-id_token-aud"]["reason"]).startswith(
        "the app's process exited with code 3 during this row"), rows["rp-id_token-aud"]
    # started again: the next row ran, and the app signed in there
    assert (rows["rp-nonce-invalid"]["result"], rows["rp-nonce-invalid"]["did"]) == (
        "FAIL", "signed in")
    assert (report / "index.html").is_file()
    kept = report / str(rows["rp-id_token-aud"]["app_log"])
    assert "refusing the ID token" in kept.read_text(encoding="utf-8")


def test_when_the_app_does_not_start_again_the_rows_left_are_not_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    once = tmp_path / "started"
    profile = tiny_profile(tmp_path, env=f'TINY_EXIT_ON_REFUSAL = "1"\nTINY_ONCE = "{once}"\n')
    report = tmp_path / "report"
    code = main(["conformance", "--app", str(profile), "--only", ROWS, "--report", str(report),
                 "--json"])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    rows = _rows(report)
    assert json.loads(captured.out)["rows"] == list(rows.values())
    assert rows["rp-id_token-aud"]["result"] == "FAIL"
    assert (rows["rp-nonce-invalid"]["result"], rows["rp-nonce-invalid"]["did"]) == (
        "SKIP", "not run")
    assert str(rows["rp-nonce-invalid"]["reason"]).startswith(
        "not run: the app's process exited with code 3 during rp-id_token-aud and could not "
        "be started again: "), rows["rp-nonce-invalid"]


@contextlib.contextmanager
def _tiny_app(idp: MockIdp, workdir: Path) -> Iterator[str]:
    """The tiny app, started here (not by the command) against ``idp``; its base URL."""
    with bind_socket("127.0.0.1", 0) as free:
        port = free.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = {"OIDC_AUTHORITY": idp.authority, "OIDC_CLIENT_ID": REFERENCE_RP_CLIENT_ID,
           "OIDC_CLIENT_SECRET": REFERENCE_RP_SECRET, "OIDC_REDIRECT_URI": f"{base}/callback",
           "TINY_EXIT_ON_REFUSAL": "1"}
    app = start_command([sys.executable, str(TINY_RP), "--port", str(port)], env=env, cwd=None,
                        log=workdir / "tiny.log", ready_url=f"{base}/", timeout=20)
    try:
        yield base
    finally:
        app.stop()


def test_an_rp_given_by_url_that_stops_answering_ends_its_row_and_the_rest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An app the command did not start cannot be started again: the row fails with what the
    browser met (the check URL refused), and the rows left are not run, as the app does not
    answer any more; the cookie the failed request carried is nowhere."""
    report = tmp_path / "report"
    with MockIdp() as idp, _tiny_app(idp, tmp_path) as base:
        code = main(["conformance", "--rp", base, "--idp", idp.url, "--start", "/login",
                     "--check", "/me", "--redirect-uri", f"{base}/callback", "--only", ROWS,
                     "--report", str(report)])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert "Traceback" not in captured.err + captured.out and "cookie" not in captured.out
    rows = _rows(report)
    assert (rows["rp-id_token-aud"]["result"], rows["rp-id_token-aud"]["did"]) == (
        "FAIL", "the row did not finish")
    # The app exits as it refuses the token: a check made while it is still closing has its
    # connection reset rather than refused (seen with both cores busy).
    assert rows["rp-id_token-aud"]["reason"] in {
        f"the check URL {base}/me did not answer: {met}" for met in (
            f"connect ECONNREFUSED {base[7:]}", "read ECONNRESET", "socket hang up")}, rows
    assert rows["rp-nonce-invalid"]["result"] == "SKIP"
    assert str(rows["rp-nonce-invalid"]["reason"]).startswith(
        f"not run: the app stopped answering during rp-id_token-aud ({base}/me: cannot "
        "connect"), rows["rp-nonce-invalid"]
