"""An app that does not start on the v1 endpoints an ``entra-v1`` scenario hands it fails that
scenario, with the v2.0-only advice, and the run goes on with the others.

A library that reads the discovery document as the app starts and checks that its issuer is
the one configured (Flask-pyoidc, through pyoidc's ``provider_config``) exits at start-up when
the profile hands it ``{issuer}``: in the ``entra-v1`` scenarios that is ``{authority}/``,
whose v1 document names ``https://sts.windows.net/<tenant id>/``, as Entra's does. It starts
for every other scenario. That start-up failure was taken for an app that cannot start at all:
an error, and every scenario left in the run skipped (38 of 53 against Flask-pyoidc).

The v1 endpoints are blamed only when the app then starts without them (the profile's own
settings, no ``[[configure]]`` call): an app that starts on neither (broken, a port taken, a
crash) is an app that cannot start, as in any other scenario.
"""

from __future__ import annotations

import contextlib
import io
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from scenarios import Registry, Scenario
from scenarios.app import load_profile
from scenarios.app.interrupts import STOPPING, stop_starting
from scenarios.app.process import AppRefusedSettings, AppStartError
from scenarios.catalogue import WorkerEnvironment, fresh_stack
from scenarios.live import StackOptions
from scenarios.runner import RunOptions, run
from scenarios.shared_servers import shared_servers

PRINTED = ("Traceback (most recent call last):\n"
           "oic.exception.PyoidcError: provider info issuer mismatch "
           "'https://localhost:4443/t/' != 'https://sts.windows.net/t/'")
EXITED = AppStartError("the app's command exited with code 1 before http://127.0.0.1:5000/ "
                       "answered", output=PRINTED)
PROFILE = """\
name = "Flask-pyoidc"

[app]
command = ["python", "app.py", "--port", "{port}"]

[app.env]
OIDC_ISSUER = "{issuer}"

[provider]
redirect_uris = "{base_url}/redirect_uri"

[sign_in]
urls = { login = "/login" }

[signed_in]
me_url = "/me"
"""


def _environment(tmp_path: Path) -> WorkerEnvironment:
    path = tmp_path / "pyoidc.toml"
    path.write_text(textwrap.dedent(PROFILE), encoding="utf-8")
    return WorkerEnvironment(tmp_path, load_profile(path), cast(Any, None))


@contextlib.contextmanager
def _not_starting(*args: object, **kwargs: object) -> Iterator[object]:
    raise EXITED
    yield  # pragma: no cover


class _StartsWithoutV1:
    """A ``live_stack`` whose app exits on the v1 endpoints and starts on the profile's own
    settings: the starts it was asked for, by ``entra_v1``."""

    def __init__(self) -> None:
        self.starts: list[StackOptions] = []

    @contextlib.contextmanager
    def __call__(self, options: StackOptions, **kwargs: object) -> Iterator[object]:
        self.starts.append(options)
        if options.entra_v1:
            raise EXITED
        yield object()


def _scenario(*tags: str) -> Scenario:
    return cast(Scenario, SimpleNamespace(id="auto-login.v1-endpoints", tags=tags))


def test_an_app_that_does_not_start_on_v1_fails_that_scenario_with_the_advice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It starts at once on the profile's own settings, with no ``[[configure]]`` call: the
    v1 endpoints, the only difference, are what it refused."""
    stacks = _StartsWithoutV1()
    monkeypatch.setattr("scenarios.catalogue.live_stack", stacks)
    with pytest.raises(AppRefusedSettings) as caught, \
            fresh_stack(_environment(tmp_path), _scenario("idp-https", "entra-v1")):
        pass  # pragma: no cover
    refused = caught.value
    assert refused.__cause__ is EXITED and refused.output == PRINTED
    assert str(refused).startswith(
        "On Entra's v1 endpoints the app did not start with the v1 settings it was given (the "
        "app's command exited with code 1 before http://127.0.0.1:5000/ answered). This "
        "scenario hands the app the v1 endpoints because the profile gives it [app.env] "
        "OIDC_ISSUER = {issuer}. v1's discovery document names "
        "https://sts.windows.net/<tenant id>/ as its issuer"), str(refused)
    assert "(in [app.env] OIDC_ISSUER, {authority}/v2.0 for {issuer})" in str(refused)
    assert str(refused).endswith(PRINTED.splitlines()[-1])
    assert [(o.entra_v1, o.idp_https, o.connection) for o in stacks.starts] == [
        (True, True, True), (False, True, False)]


def test_an_app_that_does_not_start_without_v1_either_is_an_app_that_cannot_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken app, a port taken, a crash: the v1 endpoints are not blamed, and the run
    stops trying the app as for any other scenario it cannot start for."""
    monkeypatch.setattr("scenarios.catalogue.live_stack", _not_starting)
    with pytest.raises(AppStartError) as caught, \
            fresh_stack(_environment(tmp_path), _scenario("idp-https", "entra-v1")):
        pass  # pragma: no cover
    error = caught.value
    assert type(error) is AppStartError and error.output == PRINTED
    assert error.message == (
        "the app's command exited with code 1 before http://127.0.0.1:5000/ answered; it did "
        "not start on the profile's own settings (the v2.0 endpoints) either the same way, so "
        "it is not the v1 endpoints it refused")
    assert "On Entra's v1 endpoints" not in str(error)


PICKY_APP = """\
from starlette.applications import Starlette


def create(launch):
    if launch.env["MODE"] == "broken" or "/v2.0/" not in launch.env["OIDC_DISCOVERY_URL"]:
        raise RuntimeError("cannot start on " + launch.env["OIDC_DISCOVERY_URL"])
    return Starlette()
"""


@pytest.mark.parametrize(("mode", "refused"), [("picky", True), ("broken", False)])
def test_real_stacks_tell_an_app_that_refuses_v1_from_one_that_never_starts(
        tmp_path: Path, mode: str, refused: bool) -> None:
    """The stacks themselves, an app in process: one that refuses a v1 discovery URL at start
    fails the scenario with the advice; one that never starts is an app that cannot start."""
    (tmp_path / "picky_app.py").write_text(PICKY_APP, encoding="utf-8")
    path = tmp_path / f"{mode}.toml"
    path.write_text(textwrap.dedent(f"""\
        name = "picky"
        [app]
        asgi = "picky_app:create"
        [app.env]
        OIDC_DISCOVERY_URL = "{{discovery_url}}"
        MODE = "{mode}"
        [provider]
        redirect_uris = ["{{base_url}}/callback"]
        [sign_in]
        urls = {{ login = "/login" }}
        [signed_in]
        me_url = "/me"
        """), encoding="utf-8")
    profile = load_profile(path)
    with shared_servers(profile) as shared, pytest.raises(AppStartError) as caught, \
            fresh_stack(WorkerEnvironment(tmp_path, profile, shared), _scenario("entra-v1")):
        pass  # pragma: no cover
    assert isinstance(caught.value, AppRefusedSettings) is refused, caught.value
    assert ("not the v1 endpoints it refused" in caught.value.message) is not refused


def test_an_interrupted_start_is_not_tried_again_without_v1(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (or SIGTERM) while the app starts on a side thread makes it give up
    (``stop_starting``): the run is stopping, so the app is not started a second time (whose
    start would clear the interrupt and wait out the app's timeout), and the error is the
    interrupted start's own."""
    interrupted = AppStartError("the run was interrupted while the app started")
    stacks: list[StackOptions] = []

    @contextlib.contextmanager
    def stopping(options: StackOptions, **kwargs: object) -> Iterator[object]:
        stacks.append(options)
        stop_starting()  # the run's interrupt, as the app starts
        raise interrupted
        yield  # pragma: no cover

    monkeypatch.setattr("scenarios.catalogue.live_stack", stopping)
    try:
        with pytest.raises(AppStartError) as caught, \
                fresh_stack(_environment(tmp_path), _scenario("entra-v1")):
            pass  # pragma: no cover
    finally:
        STOPPING.clear()
    assert caught.value is interrupted
    assert [o.entra_v1 for o in stacks] == [True]


def test_an_interrupt_handled_before_the_start_does_not_hold_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An interrupt an earlier block handled (a test's, or a run's that went on) left STOPPING
    set: an in-process app's start never clears it, and its refusal of v1 is still told from
    an app that cannot start."""
    stacks = _StartsWithoutV1()
    monkeypatch.setattr("scenarios.catalogue.live_stack", stacks)
    stop_starting()
    try:
        with pytest.raises(AppRefusedSettings), \
                fresh_stack(_environment(tmp_path), _scenario("entra-v1")):
            pass  # pragma: no cover
    finally:
        STOPPING.clear()
    assert [o.entra_v1 for o in stacks.starts] == [True, False]


def test_an_app_that_does_not_start_elsewhere_is_still_an_app_that_cannot_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scenarios.catalogue.live_stack", _not_starting)
    with pytest.raises(AppStartError) as caught, \
            fresh_stack(_environment(tmp_path), _scenario("idp-https")):
        pass  # pragma: no cover
    assert type(caught.value) is AppStartError


@pytest.mark.browser
def test_the_run_goes_on_after_an_app_refused_a_scenarios_settings(tmp_path: Path) -> None:
    """The refused scenario fails (no traced second run: the app would not start again), what
    the app printed is kept, and the scenarios after it run, where an error would have had
    them skipped."""
    registry = Registry()
    entered: list[str] = []

    @registry.around_scenario
    @contextlib.contextmanager
    def stack(env: object, scenario: Scenario) -> Iterator[object]:
        entered.append(scenario.id)
        if scenario.id == "v1.refused":
            raise AppRefusedSettings("the app did not start with the v1 settings", PRINTED)
        yield None

    for name in ("v1.refused", "v2.one", "v2.two"):
        registry.scenario(id=name, title=name, proves="p")(lambda ctx: None)
    summary = run(RunOptions(report_dir=tmp_path, workers=1, trace="rerun-on-failure"),
                  registry=registry, out=io.StringIO())
    assert entered == ["v1.refused", "v2.one", "v2.two"]
    refused, *rest = summary.results
    assert (refused.status, refused.app_not_started, refused.rerun) == ("failed", True, None)
    assert refused.app_log == "logs/app-v1.refused.log"
    assert "PyoidcError" in (tmp_path / refused.app_log).read_text(encoding="utf-8")
    assert [r.status for r in rest] == ["passed", "passed"]
    assert summary.exit_code == 1
