"""The example apps under ``examples/``: how each one is started, configured and reached.

Each app reads the same environment variables (it ignores those it does not need):

``OIDC_AUTHORITY``, ``OIDC_DISCOVERY_URL``, ``OIDC_CLIENT_ID``, ``OIDC_CLIENT_SECRET``,
``OIDC_REDIRECT_URI``, ``OIDC_POST_LOGOUT_REDIRECT_URI``, ``OIDC_CA_FILE``, ``PORT``; the
single-page app also ``SUPPORT_CONTACT``.

:func:`run_example` starts one as a subprocess (in its own process group), waits until its
readiness URL answers, and stops it and its children afterwards; when it does not come up,
the failure shows its output.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_idp.config import IdpConfig
from mock_idp.testing import MockIdp, RegisteredApp, bind_socket

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NPM_TIMEOUT = 300.0
START_TIMEOUT = 30.0


@dataclass(frozen=True, kw_only=True)
class ExampleApp:
    """One example app and the URLs it serves (paths relative to its base URL)."""

    name: str
    directory: Path
    command: tuple[str, ...]
    profile: Path
    """Its app profile: how the scenario catalogue starts and reaches it."""
    sign_in: str = "/login"
    protected: str = "/account"
    me: str = "/me"
    """The JSON endpoint saying who is signed in (the server-side apps; the single-page app
    has none, and its tests go through its profile)."""
    sign_out: str
    callback: str = "/auth/callback"
    signed_out: str = "/signed-out"
    readiness: str = "/"
    python_modules: tuple[str, ...] = ()
    """Modules that must import (their absence skips the app's tests)."""
    node_package: bool = False
    """Dependencies come from ``package.json`` through ``npm ci`` (Node.js needed)."""
    id_token_issuance: bool = False
    """The app asks the authorization endpoint for an ID token (``response_type=id_token``):
    its registration must allow it, as its profile's ``[provider] id_token_issuance`` says."""

    def unavailable(self) -> str | None:
        """Why this app cannot run here, or ``None``."""
        missing = [m for m in self.python_modules if importlib.util.find_spec(m) is None]
        if missing:
            return (f"{self.name} needs the Python package(s) {', '.join(missing)}: "
                    "pip install 'sso-harness[examples]'")
        if self.node_package and (shutil.which("node") is None or shutil.which("npm") is None):
            return f"{self.name} needs Node.js (node and npm), which is not installed"
        return None

    def prepare(self) -> str | None:
        """Install what the app needs (``npm ci`` once); an error message or ``None``."""
        if not self.node_package:
            return None
        return npm_ci(self.directory)


FLASK_IDENTITY = ExampleApp(
    name="flask-identity",
    directory=EXAMPLES / "flask_apps",
    command=(sys.executable, str(EXAMPLES / "flask_apps" / "identity_app.py")),
    profile=EXAMPLES / "flask_apps" / "identity_app.toml",
    sign_out="/auth/logout",
    python_modules=("flask", "identity", "flask_session"),
)
FLASK_AUTHLIB = ExampleApp(
    name="flask-authlib",
    directory=EXAMPLES / "flask_apps",
    command=(sys.executable, str(EXAMPLES / "flask_apps" / "authlib_app.py")),
    profile=EXAMPLES / "flask_apps" / "authlib_app.toml",
    sign_out="/logout",
    python_modules=("flask", "authlib"),
)
PASSPORT_OPENIDCONNECT = ExampleApp(
    name="passport-openidconnect",
    directory=EXAMPLES / "passport_openidconnect",
    command=("node", str(EXAMPLES / "passport_openidconnect" / "server.js")),
    profile=EXAMPLES / "passport_openidconnect" / "sso-app.toml",
    sign_out="/logout",
    node_package=True,
)
MSAL_SPA = ExampleApp(
    name="msal-spa",
    directory=EXAMPLES / "msal_spa",
    command=("node", str(EXAMPLES / "msal_spa" / "server.js")),
    profile=EXAMPLES / "msal_spa" / "spa-app.toml",
    sign_out="/logout",
    node_package=True,
)
EXPRESS_OPENID_CONNECT = ExampleApp(
    name="express-openid-connect",
    directory=EXAMPLES / "express_openid_connect",
    command=("node", str(EXAMPLES / "express_openid_connect" / "server.js")),
    profile=EXAMPLES / "express_openid_connect" / "sso-app.toml",
    sign_out="/logout",
    callback="/callback",
    node_package=True,
    id_token_issuance=True,
)
DJANGO_OIDC = ExampleApp(
    name="django-oidc",
    directory=EXAMPLES / "django_oidc",
    command=(sys.executable, str(EXAMPLES / "django_oidc" / "server.py")),
    profile=EXAMPLES / "django_oidc" / "sso-app.toml",
    sign_in="/oidc/authenticate/",
    sign_out="/oidc/logout/",
    callback="/oidc/callback/",
    python_modules=("django", "mozilla_django_oidc"),
)
MSAL_NODE = ExampleApp(
    name="msal-node",
    directory=EXAMPLES / "msal_node",
    command=("node", str(EXAMPLES / "msal_node" / "server.js")),
    profile=EXAMPLES / "msal_node" / "sso-app.toml",
    sign_out="/logout",
    node_package=True,
)
AUTHJS_EXPRESS = ExampleApp(
    name="authjs-express",
    directory=EXAMPLES / "authjs_express",
    command=("node", str(EXAMPLES / "authjs_express" / "server.js")),
    profile=EXAMPLES / "authjs_express" / "sso-app.toml",
    sign_out="/auth/signout",
    callback="/auth/callback/microsoft-entra-id",
    node_package=True,
)
SERVER_APPS = (FLASK_IDENTITY, FLASK_AUTHLIB, PASSPORT_OPENIDCONNECT)
"""The apps whose server redeems the codes (web redirect URIs, a client secret, ``me``)."""
ALL_APPS = (*SERVER_APPS, MSAL_SPA, EXPRESS_OPENID_CONNECT, DJANGO_OIDC, MSAL_NODE,
            AUTHJS_EXPRESS)
"""Every example; express-openid-connect's server takes an ID token from the authorization
response and redeems no code (its own tests are in ``test_express_openid_connect.py``);
mozilla-django-oidc's logout takes POST only and its ``me`` names no ``preferred_username``
(its own tests are in ``test_django_oidc.py``); the msal-node app's callback takes only the
provider's form post, and the catalogue is its test, as it is Auth.js's, whose sign-in and
sign-out are POSTs with its CSRF token."""


NPM_LOCK = ".npm-ci.lock"
"""The file parallel test workers lock around an app's ``npm ci``: beside its
``package.json`` (ignored by git), since ``npm ci`` deletes ``node_modules`` first, and not in
the temporary directory, where one would be left for every clone."""


def npm_ci(directory: Path) -> str | None:
    """``npm ci`` into ``directory/node_modules`` unless the lockfile is already installed
    there; a lock keeps parallel test workers out of each other."""
    lockfile = directory / "package-lock.json"
    installed = directory / "node_modules" / ".package-lock.json"
    with open(directory / NPM_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed.is_file() and installed.stat().st_mtime >= lockfile.stat().st_mtime:
            return None
        try:
            done = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--omit=dev"], cwd=directory,
                capture_output=True, text=True, timeout=NPM_TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return f"npm ci in {directory.name} took over {NPM_TIMEOUT:g} s"
        if done.returncode != 0:
            return f"npm ci in {directory.name} failed: {done.stderr.strip()[-500:]}"
    return None


def free_port() -> int:
    """A port nothing listens on right now (the app binds it itself a moment later)."""
    sock = bind_socket("127.0.0.1", 0)
    try:
        port: int = sock.getsockname()[1]
    finally:
        sock.close()
    return port


@dataclass(frozen=True)
class RunningExample:
    app: ExampleApp
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def run_example(app: ExampleApp, env: Mapping[str, str], *, port: int, log: Path,
                host: str = "localhost", timeout: float = START_TIMEOUT
                ) -> Iterator[RunningExample]:
    """Start ``app`` listening on 127.0.0.1:``port``, reached as ``http://host:port``."""
    base_url = f"http://{host}:{port}"
    environment = {**os.environ, **env, "PORT": str(port), "HOST": "127.0.0.1"}
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"):
        if name not in env:
            environment.pop(name, None)
    with open(log, "wb") as out:
        process = subprocess.Popen(app.command, cwd=app.directory, env=environment,
                                   stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    running = RunningExample(app, base_url, process, log)
    try:
        _wait_ready(running, timeout)
        yield running
    finally:
        _stop(process)


def _wait_ready(running: RunningExample, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = running.url(running.app.readiness)
    with httpx.Client(timeout=2.0) as client:
        while True:
            code = running.process.poll()
            if code is not None:
                raise RuntimeError(f"{running.app.name} exited ({code}) before {url} answered:"
                                   f"\n{running.output()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(url).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{running.app.name}: {url} did not answer 200 within "
                                   f"{timeout:g} s:\n{running.output()[-3000:]}")
            time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the app's process group, SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


# --- the provider, the app registration and the app together ------------------------------

SECRET_LIFETIME = timedelta(days=180)


@dataclass(frozen=True, kw_only=True)
class ExampleStack:
    """The mock provider, the example's app registration and the running example app."""

    idp: MockIdp
    registration: RegisteredApp
    secret: str
    app: RunningExample

    @property
    def example(self) -> ExampleApp:
        return self.app.app

    def url(self, path: str) -> str:
        return self.app.url(path)

    def arm_fault(self, kind: str, **fields: Any) -> dict[str, Any]:
        body = {"kind": kind, **fields}
        response = self.idp.http.post("/_mock/faults", json=body)
        response.raise_for_status()
        armed: dict[str, Any] = response.json()
        return armed

    def clear_faults(self) -> None:
        self.idp.http.delete("/_mock/faults").raise_for_status()


def provider_env(idp: MockIdp, registration: RegisteredApp, secret: str, base_url: str, *,
                 callback: str = "/auth/callback", signed_out: str = "/signed-out"
                 ) -> dict[str, str]:
    """The environment every example app reads its provider settings from."""
    env = {
        "OIDC_AUTHORITY": idp.authority,
        "OIDC_DISCOVERY_URL": f"{idp.authority}/v2.0/.well-known/openid-configuration",
        "OIDC_CLIENT_ID": registration.client_id,
        "OIDC_CLIENT_SECRET": secret,
        "OIDC_REDIRECT_URI": base_url + callback,
        "OIDC_POST_LOGOUT_REDIRECT_URI": base_url + signed_out,
    }
    if idp.ca_file is not None:
        env["OIDC_CA_FILE"] = str(idp.ca_file)
    return env


@contextlib.contextmanager
def example_stack(example: ExampleApp, workdir: Path, *,
                  secret_lifetime: timedelta = SECRET_LIFETIME) -> Iterator[ExampleStack]:
    """Start the provider (https), register the example on it through the Graph-shaped API
    (redirect and post-logout URIs, ID tokens from the authorization endpoint when the app
    asks for them, a client secret), then start the example app."""
    reason = example.unavailable()
    if reason:
        pytest.skip(reason)
    problem = example.prepare()
    if problem:
        pytest.skip(problem)
    port = free_port()
    base_url = f"http://localhost:{port}"
    with MockIdp(IdpConfig.default(), https=True, tls_dir=workdir / "tls") as idp:
        registration = idp.add_app(
            f"{example.name} example",
            redirect_uris=[base_url + example.callback, base_url + example.signed_out])
        if example.id_token_issuance:
            idp.graph("PATCH", f"applications(appId='{registration.client_id}')", json={
                "web": {"implicitGrantSettings": {"enableIdTokenIssuance": True}}})
        secret = idp.add_secret(registration.client_id, end=secret_lifetime)
        env = provider_env(idp, registration, secret, base_url, callback=example.callback,
                           signed_out=example.signed_out)
        with run_example(example, env, port=port, log=workdir / f"{example.name}.log") as app:
            yield ExampleStack(idp=idp, registration=registration, secret=secret, app=app)
