"""What the servers inside a worker log goes to the report's log files, masked, and not to the
terminal."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from scenarios import app_logs
from scenarios.runner import run
from scenarios.worker import RunOptions

SECRET_PAIR = "client_secret=rp7Q~Reference.Relying.Party.Secret-Value01"


def test_records_go_to_the_workers_file_masked_and_nowhere_else(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    failures = logging.getLogger("relying_party.failures")
    with caplog.at_level(logging.INFO), app_logs.captured(tmp_path, 1) as path:
        failures.warning("sign-in failure RP-1 sent %s", SECRET_PAIR)
        logging.getLogger("mock_idp.endpoints.graph").warning("graph said no")
        logging.getLogger("elsewhere").warning("not a server's")
    text = path.read_text(encoding="utf-8")
    assert path == tmp_path / "logs" / "worker-1.log"  # worker 1, as [worker 1] and its reports say
    assert "WARNING relying_party.failures: sign-in failure RP-1 sent client_secret=" in text
    assert "Secret-Value01" not in text
    assert "mock_idp.endpoints.graph: graph said no" in text
    assert "not a server's" not in text
    assert [r.getMessage() for r in caplog.records] == ["not a server's"]
    assert app_logs.written(tmp_path) == tmp_path / "logs"


def test_records_are_masked_by_the_values_the_run_knows_as_each_is_written(
        tmp_path: Path) -> None:
    known: dict[str, str] = {}
    with app_logs.captured(tmp_path, 0, lambda: known) as path:
        failures = logging.getLogger("relying_party.failures")
        failures.warning("before: %s", "Known-Secret-Value-01")
        known["Known-Secret-Value-01"] = "[redacted]"
        failures.warning("refused the secret %s", "Known-Secret-Value-01")
    text = path.read_text(encoding="utf-8")
    assert "before: Known-Secret-Value-01" in text  # not yet known when it was written
    assert "refused the secret [redacted]" in text


class _Printed:
    """An environment whose app printed what a hostile app prints at start-up."""

    def __init__(self, text: str) -> None:
        self.text = text

    def app_output(self, lines: int) -> str:
        return self.text


def test_an_apps_output_is_kept_masked_by_name_and_by_value(tmp_path: Path) -> None:
    secret, admin = "pfc3Q~_e9W73NALCf-uRm_XcWj-dCG5m32VdP6h3", "Jq3v-admin-token-0123456789"
    printed = "\n".join([
        f"Settings(client_id='2b8e4f61', client_secret='{secret}')",
        f"config: {{ clientID: '2b8e4f61', clientSecret: '{secret}' }}",
        f"OIDC_CLIENT_SECRET={secret}",
        f"admin token: {admin}",
        f"fatal: cannot use {secret}"])
    kept = app_logs.keep_app_output(_Printed(printed), tmp_path, "s.one",
                                    {secret: "[redacted]", admin: "[redacted]"})
    assert kept == "logs/app-s.one.log"
    text = (tmp_path / kept).read_text(encoding="utf-8")
    assert secret not in text and admin not in text
    assert text.splitlines() == [
        "Settings(client_id='2b8e4f61', client_secret='[redacted]')",
        "config: { clientID: '2b8e4f61', clientSecret: '[redacted]' }",
        "OIDC_CLIENT_SECRET=[redacted]", "admin token: [redacted]",
        "fatal: cannot use [redacted]"]


def test_the_loggers_are_left_as_they_were(tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    with app_logs.captured(tmp_path, 0):
        pass
    for name in app_logs.LOGGERS:
        assert logging.getLogger(name).handlers == []
        assert logging.getLogger(name).propagate
    with caplog.at_level(logging.WARNING):
        logging.getLogger("relying_party").warning("after the run")
    assert [r.getMessage() for r in caplog.records] == ["after the run"]
    assert app_logs.written(tmp_path) is None  # nothing was logged within the block


@pytest.mark.slow
@pytest.mark.browser
def test_a_refused_sign_in_is_logged_in_the_report(tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        summary = run(RunOptions(only=("failure.state-replayed",), report_dir=tmp_path,
                                 workers=1), out=io.StringIO())
    assert [r.status for r in summary.results] == ["passed"]
    log = (tmp_path / "logs" / "worker-0.log").read_text(encoding="utf-8")
    assert "relying_party.failures: sign-in failure RP-" in log
    assert "state already used" in log
    assert not [r for r in caplog.records if r.name.startswith("relying_party")]


COLOURED_SECRET = "pfc3Q~_e9W73NALCf-uRm_XcWj-dCG5m32VdP6h3"


def test_an_apps_coloured_output_is_kept_as_text_masked_with_other_controls_escaped(
        tmp_path: Path) -> None:
    """Node's ``util.inspect``, Express's and Django's loggers colour what they print: the
    colours and cursor moves are taken out (the text stays, and a colour between a name and
    its value no longer hides the pair from masking), a stray control character is escaped as
    results.json and the JUnit XML escape it, and a Windows line end is a line end."""
    printed = ("\x1b[32mGET\x1b[0m /auth/callback \x1b[31m500\x1b[0m 12.3 ms\r\n"
               f"settings {{ clientSecret: \x1b[32m'{COLOURED_SECRET}'\x1b[39m }}\n"
               "\x1b[2K\x1b[1Gready\x1b]0;title\x07 \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\n"
               "bell\x07 and a lone \x1b\n")
    kept = app_logs.keep_printed(printed, tmp_path, "s1")
    assert kept == "logs/app-s1.log"
    text = (tmp_path / kept).read_text(encoding="utf-8")
    assert text == ("GET /auth/callback 500 12.3 ms\n"
                    "settings { clientSecret: '[redacted]' }\n"
                    "ready link\n"
                    "bell\\x07 and a lone \\x1b\n")


def test_a_servers_coloured_record_is_kept_as_text(tmp_path: Path) -> None:
    with app_logs.captured(tmp_path, 2) as path:
        logging.getLogger("relying_party.failures").warning(
            "\x1b[1;33mrefused\x1b[0m \x1b[4mRP-7\x1b[24m\x0c")
    assert path.read_text(encoding="utf-8").endswith(
        "WARNING relying_party.failures: refused RP-7\\x0c\n")
