"""The example-app runner: skip reasons, start-up failures shown with the app's output, and
each app's refusal to start without its settings (naming the variables, printing no secret)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from example_apps import (
    ALL_APPS,
    DJANGO_OIDC,
    EXPRESS_OPENID_CONNECT,
    FLASK_AUTHLIB,
    FLASK_IDENTITY,
    MSAL_SPA,
    PASSPORT_OPENIDCONNECT,
    ExampleApp,
    free_port,
    run_example,
)

from mock_idp.testing import MockIdp

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


def _fails_to_start(app: ExampleApp, env: dict[str, str], tmp_path: Path) -> str:
    """What ``app`` printed when it refused to start with ``env``: one line, no stack trace."""
    with pytest.raises(RuntimeError) as failed, \
            run_example(app, env, port=free_port(), log=tmp_path / "out.log", timeout=20):
        pass
    message = str(failed.value)
    assert "exited (2)" in message, message
    printed = message.split(":\n", 1)[1]
    assert len(printed.strip().splitlines()) == 1, printed
    return printed.strip()


PASSPORT_ENV = {"OIDC_DISCOVERY_URL": "https://localhost:9/t/v2.0/.well-known/openid-configuration",
                "OIDC_CLIENT_ID": "app", "OIDC_CLIENT_SECRET": SECRET,
                "OIDC_REDIRECT_URI": "http://localhost:3000/auth/callback"}


@pytest.mark.parametrize(("setting", "said"), [
    ({"OIDC_CA_FILE": "/nope.pem"},
     "OIDC_CA_FILE cannot be read: ENOENT: no such file or directory, open '/nope.pem'"),
    ({"OIDC_REDIRECT_URI": "/auth/callback"},
     "OIDC_REDIRECT_URI is not an absolute URL: /auth/callback"),
], ids=["ca-file", "relative-redirect-uri"])
@pytest.mark.parametrize("app", [PASSPORT_OPENIDCONNECT, EXPRESS_OPENID_CONNECT],
                         ids=["passport", "express-openid-connect"])
def test_a_node_app_names_a_bad_setting_in_one_line(app: ExampleApp, setting: dict[str, str],
                                                    said: str, tmp_path: Path) -> None:
    if reason := app.unavailable() or app.prepare():
        pytest.skip(reason)
    assert _fails_to_start(app, {**PASSPORT_ENV, **setting}, tmp_path) == said


def test_passport_without_the_mock_s_ca_says_to_set_it(tmp_path: Path) -> None:
    app = PASSPORT_OPENIDCONNECT
    if reason := app.unavailable() or app.prepare():
        pytest.skip(reason)
    with MockIdp(https=True, tls_dir=tmp_path / "tls") as idp:
        discovery = f"{idp.authority}/v2.0/.well-known/openid-configuration"
        printed = _fails_to_start(app, {**PASSPORT_ENV, "OIDC_DISCOVERY_URL": discovery},
                                  tmp_path)
    assert printed.startswith("could not read the provider's discovery document: "), printed
    assert printed.endswith("(set OIDC_CA_FILE to the CA the mock printed)"), printed


def test_a_flask_app_names_a_port_that_is_no_number(monkeypatch: pytest.MonkeyPatch) -> None:
    if reason := FLASK_AUTHLIB.unavailable():
        pytest.skip(reason)
    spec = importlib.util.spec_from_file_location("glue", FLASK_AUTHLIB.directory / "glue.py")
    assert spec is not None and spec.loader is not None
    glue = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "glue", glue)  # its dataclass looks its module up there
    spec.loader.exec_module(glue)
    env = {"OIDC_CLIENT_ID": "app", "OIDC_CLIENT_SECRET": SECRET,
           "OIDC_REDIRECT_URI": "http://localhost:5000/auth/callback"}
    with pytest.raises(SystemExit) as failed:
        glue.Settings.from_env({**env, "PORT": "abc"}, required=())
    assert str(failed.value) == "PORT is not a port number: 'abc'"
    assert glue.Settings.from_env({**env, "PORT": "5001"}, required=()).port == 5001


DJANGO_ENV = {"OIDC_DISCOVERY_URL": "https://localhost:9/t/v2.0/.well-known/openid-configuration",
              "OIDC_CLIENT_ID": "app", "OIDC_CLIENT_SECRET": SECRET,
              "OIDC_REDIRECT_URI": "http://localhost:8000/oidc/callback/"}


@pytest.mark.parametrize(("setting", "said"), [
    ({"OIDC_CA_FILE": "/nope.pem"}, "OIDC_CA_FILE cannot be read: no such file: /nope.pem"),
    ({"OIDC_REDIRECT_URI": "/oidc/callback/"},
     "OIDC_REDIRECT_URI is not an absolute URL: /oidc/callback/"),
    ({"OIDC_REDIRECT_URI": "http://localhost:8000/auth/callback"},
     "OIDC_REDIRECT_URI must end at the library's callback /oidc/callback/, not /auth/callback"),
    ({"PORT": "abc"}, "PORT is not a port number: 'abc'"),
], ids=["ca-file", "relative-redirect-uri", "other-callback", "port"])
def test_the_django_app_names_a_bad_setting_in_one_line(setting: dict[str, str], said: str,
                                                        tmp_path: Path) -> None:
    if reason := DJANGO_OIDC.unavailable():
        pytest.skip(reason)
    app = DJANGO_OIDC
    if "PORT" in setting:  # run_example sets PORT itself: the flag is what is left to spoil
        app = replace(app, command=(*app.command, "--port", setting["PORT"]))
    assert _fails_to_start(app, {**DJANGO_ENV, **setting}, tmp_path) == said


def test_the_django_app_without_the_mock_s_ca_says_to_set_it(tmp_path: Path) -> None:
    if reason := DJANGO_OIDC.unavailable():
        pytest.skip(reason)
    with MockIdp(https=True, tls_dir=tmp_path / "tls") as idp:
        discovery = f"{idp.authority}/v2.0/.well-known/openid-configuration"
        printed = _fails_to_start(DJANGO_OIDC, {**DJANGO_ENV, "OIDC_DISCOVERY_URL": discovery},
                                  tmp_path)
    assert printed.startswith("could not read the provider's discovery document: "), printed
    assert printed.endswith("(set OIDC_CA_FILE to the CA the mock printed)"), printed
