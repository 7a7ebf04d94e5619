"""The example-app runner: skip reasons, start-up failures shown with the app's output, and
each app's refusal to start without its settings (naming the variables, printing no secret)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from example_apps import (
    ALL_APPS,
    FLASK_IDENTITY,
    MSAL_SPA,
    PASSPORT_OPENIDCONNECT,
    ExampleApp,
    free_port,
    run_example,
)

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


def _spa_copy(tmp_path: Path, *, bundle: bool) -> ExampleApp:
    """The single-page app's files in ``tmp_path``; with ``bundle``, a stand-in for MSAL's
    bundle where ``npm ci`` puts it (the server only serves it)."""
    for name in ("server.js", "app.js", "index.html"):
        shutil.copy(MSAL_SPA.directory / name, tmp_path / name)
    if bundle:
        lib = tmp_path / "node_modules" / "@azure" / "msal-browser" / "lib"
        lib.mkdir(parents=True)
        (lib / "msal-browser.js").write_text("window.msal = {};\n", encoding="utf-8")
    return replace(MSAL_SPA, directory=tmp_path, command=("node", str(tmp_path / "server.js")))


def _spa_env(port: int, signed_out: str = "/signed-out") -> dict[str, str]:
    base = f"http://127.0.0.1:{port}"
    return {"OIDC_AUTHORITY": "https://localhost:8443/contoso", "OIDC_CLIENT_ID": "spa",
            "OIDC_REDIRECT_URI": f"{base}/auth/callback",
            "OIDC_POST_LOGOUT_REDIRECT_URI": f"{base}{signed_out}"}


def _node() -> None:
    if shutil.which("node") is None:
        pytest.skip("needs Node.js (node), which is not installed")


def test_the_spa_without_its_npm_packages_says_to_install_them(tmp_path: Path) -> None:
    _node()
    app = _spa_copy(tmp_path, bundle=False)
    port = free_port()
    with pytest.raises(RuntimeError) as failed, \
            run_example(app, _spa_env(port), port=port, log=tmp_path / "out.log", timeout=20):
        pass
    message = str(failed.value)
    assert "exited (2)" in message and "run npm ci in examples/msal_spa first" in message, message
    assert "at " not in message.split("exited (2)")[1], message  # no stack trace


def test_the_spa_serves_its_post_logout_path_and_survives_a_missing_bundle(
        tmp_path: Path) -> None:
    """The post-logout redirect URI's path is one of its pages, whatever it is; a bundle gone
    after the start is an HTTP 500 for that file, not the end of the server."""
    _node()
    app = _spa_copy(tmp_path, bundle=True)
    port = free_port()
    with run_example(app, _spa_env(port, "/bye"), port=port, log=tmp_path / "out.log",
                     host="127.0.0.1") as running:
        bye = httpx.get(running.url("/bye"))
        assert bye.status_code == 200 and 'src="/app.js"' in bye.text, bye.text
        (tmp_path / "node_modules" / "@azure" / "msal-browser" / "lib" /
         "msal-browser.js").unlink()
        assert httpx.get(running.url("/msal-browser.js")).status_code == 500
        assert httpx.get(running.url("/")).status_code == 200
        assert running.process.poll() is None
    assert "cannot read" in running.output(), running.output()
