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
    assert path == tmp_path / "logs" / "worker-2.log"
    assert "WARNING relying_party.failures: sign-in failure RP-1 sent client_secret=" in text
    assert "Secret-Value01" not in text
    assert "mock_idp.endpoints.graph: graph said no" in text
    assert "not a server's" not in text
    assert [r.getMessage() for r in caplog.records] == ["not a server's"]
    assert app_logs.written(tmp_path) == tmp_path / "logs"


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


@pytest.mark.browser
def test_a_refused_sign_in_is_logged_in_the_report(tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        summary = run(RunOptions(only=("failure.state-replayed",), report_dir=tmp_path,
                                 workers=1), out=io.StringIO())
    assert [r.status for r in summary.results] == ["passed"]
    log = (tmp_path / "logs" / "worker-1.log").read_text(encoding="utf-8")
    assert "relying_party.failures: sign-in failure RP-" in log
    assert "state already used" in log
    assert not [r for r in caplog.records if r.name.startswith("relying_party")]
