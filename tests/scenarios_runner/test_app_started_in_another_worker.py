"""An app that could not start for one scenario while another worker's copy of it started in
the same run gets a hint in its error: the workers' copies may have stopped one another
(JupyterHub kills the proxy named by the pid file in its working directory, which two copies
started in one directory share). A run in one worker, or an app that never started, does not."""

from __future__ import annotations

from scenarios.app_down import started_in_another_worker
from scenarios.results import ScenarioResult

NOT_STARTED = "AppStartError: the app's command exited with code 1"


def _result(sid: str, status: str, worker: int, *, not_started: bool = False) -> ScenarioResult:
    return ScenarioResult(id=sid, title=sid, proves="", group="failure", status=status,  # type: ignore[arg-type]
                          seconds=1.0, message=NOT_STARTED if not_started else None,
                          worker=worker, app_not_started=not_started)


def test_an_app_started_by_another_worker_is_said_to_have_started_there() -> None:
    results = started_in_another_worker([
        _result("failure.expired-secret", "passed", 0),
        _result("failure.invalid-secret", "error", 1, not_started=True),
    ])
    message = results[1].message or ""
    assert message.startswith(NOT_STARTED), message
    assert "The app did start for failure.expired-secret in this run, in another worker" \
        in message, message
    assert "--workers 1" in message and "pid file" in message, message
    assert results[0].message is None


def test_one_worker_or_an_app_that_never_started_gets_no_hint() -> None:
    same_worker = started_in_another_worker([
        _result("failure.expired-secret", "passed", 0),
        _result("failure.invalid-secret", "error", 0, not_started=True),
    ])
    never = started_in_another_worker([
        _result("failure.expired-secret", "error", 0, not_started=True),
        _result("failure.invalid-secret", "skipped", 1),
    ])
    assert same_worker[1].message == NOT_STARTED
    assert never[0].message == NOT_STARTED
