"""An interrupted ``conformance`` (Ctrl-C, SIGTERM) writes what ``run`` writes when interrupted:
the report, ``results.json``, the JUnit file and the job's summary of the rows done so far, the
others not run and the summary saying it was interrupted, then exits 130."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from scenarios.__main__ import EXIT_INTERRUPTED, main
from scenarios.conformance import cli, run_outputs
from scenarios.conformance.judging import Verdict
from scenarios.conformance.rows import ROWS, RowResult
from scenarios.live import LiveStack, live_stack

ROW = {row.id: row for row in ROWS}
SELECTED = ["rp-id_token-aud", "rp-id_token-iat", "rp-nonce-invalid"]


def _signal_and_wait(signum: int) -> None:
    os.kill(os.getpid(), signum)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the handler runs between these bytecodes
        time.sleep(0.01)
    raise AssertionError("the signal did not interrupt the run")


def _outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, dict[
        str, str]], str, str, str]:
    """The rows of results.json, the JUnit file, the job's summary and stderr."""
    report = json.loads((tmp_path / "report" / "results.json").read_text(encoding="utf-8"))
    assert (tmp_path / "report" / "index.html").is_file()
    assert report["interrupted"] is True, report
    rows = {row["id"]: row for row in report["rows"]}
    return (rows, (tmp_path / "j.xml").read_text(encoding="utf-8"),
            (tmp_path / "summary.md").read_text(encoding="utf-8"), capsys.readouterr().err)


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt, as in ``python -m scenarios`` (a pytest-xdist worker
    ignores it)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.fixture
def in_actions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))


@pytest.mark.usefixtures("in_actions", "ctrl_c")
@pytest.mark.parametrize("first", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_run_writes_the_rows_done_and_ignores_the_signals_that_follow(
        first: signal.Signals, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    options = SimpleNamespace(rp="http://rp.test", idp="http://idp.test", client_id="app",
                              backchannel=None)
    monkeypatch.setattr(cli, "from_flags", lambda *_a, **_k: SimpleNamespace(
        options=options, control=None, app=None, ca_file=None, name=None))
    monkeypatch.setattr(cli, "preflight", lambda *_a: None)

    def first_row_then_signal(*args: object) -> list[RowResult]:
        done = args[-1]
        assert isinstance(done, dict)
        done["rp-id_token-aud"] = RowResult(row=ROW["rp-id_token-aud"], verdict=Verdict(
            result="FAIL", did="signed in", reason="accepted another audience"), seconds=0.5)
        _signal_and_wait(first)
        return []

    real_write_junit = run_outputs.write_junit

    def write_junit(*args: object, **kwargs: object) -> Path:
        os.kill(os.getpid(), signal.SIGTERM)  # a CI's SIGTERM after its SIGINT
        time.sleep(0.2)
        return real_write_junit(*args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(cli, "_run_with_browser", first_row_then_signal)
    monkeypatch.setattr(run_outputs, "write_junit", write_junit)
    before = signal.getsignal(signal.SIGTERM)
    code = main(["conformance", "--rp", "http://rp.test", "--only", ",".join(SELECTED),
                 "--report", str(tmp_path / "report"), "--junit", str(tmp_path / "j.xml")])
    assert code == EXIT_INTERRUPTED
    rows, junit, summary, err = _outputs(tmp_path, capsys)
    assert {i: (r["result"], r["reason"]) for i, r in rows.items()} == {
        "rp-id_token-aud": ("FAIL", "accepted another audience"),
        "rp-id_token-iat": ("SKIP", "not run: the run was interrupted"),
        "rp-nonce-invalid": ("SKIP", "not run: the run was interrupted")}
    assert junit.count("<testcase") == 3 and junit.count("<skipped") == 2, junit
    assert "sso-harness conformance against http://rp.test interrupted" in summary, summary
    assert "1 failed, 2 not tested" in summary and "(interrupted:" in summary, summary
    assert "::error title=rp-id_token-aud FAIL::" in err, err
    assert err.rstrip().endswith("scenarios: interrupted"), err
    assert signal.getsignal(signal.SIGTERM) == before


@pytest.fixture
def stack() -> Iterator[LiveStack]:
    with live_stack() as live:
        yield live


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.usefixtures("in_actions")
def test_sigterm_after_the_first_row_keeps_it_in_the_reports(
        stack: LiveStack, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    shown = cli.format_progress

    def then_sigterm(result: RowResult) -> str:
        if result.row.id == SELECTED[0]:
            os.kill(os.getpid(), signal.SIGTERM)  # raised at the next bytecode that checks
        return shown(result)

    monkeypatch.setattr(cli, "format_progress", then_sigterm)
    code = main(["conformance", "--rp", stack.rp.base_url, "--idp", stack.idp.base_url,
                 "--start", f"/sso/{stack.connection_id}/widget", "--only", ",".join(SELECTED),
                 "--report", str(tmp_path / "report"), "--junit", str(tmp_path / "j.xml")])
    assert code == EXIT_INTERRUPTED
    rows, junit, summary, err = _outputs(tmp_path, capsys)
    assert {i: r["result"] for i, r in rows.items()} == {
        "rp-id_token-aud": "PASS", "rp-id_token-iat": "SKIP", "rp-nonce-invalid": "SKIP"}, err
    assert rows["rp-nonce-invalid"]["reason"] == "not run: the run was interrupted"
    assert junit.count("<testcase") == 3, junit
    assert "1 passed, 0 failed, 2 not tested" in summary and "interrupted" in summary, summary
    assert err.rstrip().endswith("scenarios: interrupted"), err
