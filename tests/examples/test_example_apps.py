"""The example-app runner: skip reasons, start-up failures shown with the app's output, and
each app's refusal to start without its settings (naming the variables, printing no secret)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from example_apps import ALL_APPS, FLASK_IDENTITY, PASSPORT_OPENIDCONNECT, ExampleApp, run_example

SECRET = "s3cret-value-that-must-not-be-printed"


def test_a_missing_python_package_is_named() -> None:
    app = replace(FLASK_IDENTITY, python_modules=("flask", "no_such_module_here"))
    reason = app.unavailable()
    assert reason is not None and "no_such_module_here" in reason


def test_missing_node_is_the_skip_reason(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    reason = PASSPORT_OPENIDCONNECT.unavailable()
    assert reason is not None and "Node.js" in reason


@pytest.mark.parametrize("app", ALL_APPS, ids=[a.name for a in ALL_APPS])
def test_an_app_without_settings_does_not_start(app: ExampleApp, tmp_path: Path) -> None:
    if reason := app.unavailable() or app.prepare():
        pytest.skip(reason)
    env = {"OIDC_CLIENT_SECRET": SECRET, "OIDC_CLIENT_ID": "", "OIDC_AUTHORITY": "",
           "OIDC_DISCOVERY_URL": "", "OIDC_REDIRECT_URI": ""}
    with pytest.raises(RuntimeError) as failed, \
            run_example(app, env, port=1, log=tmp_path / "out.log", timeout=20):
        pass
    message = str(failed.value)
    assert "exited" in message and "missing environment variable(s)" in message, message
    assert "OIDC_CLIENT_ID" in message and "OIDC_REDIRECT_URI" in message
    assert SECRET not in message
