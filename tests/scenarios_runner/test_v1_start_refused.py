"""An app that does not start on the v1 endpoints an ``entra-v1`` scenario hands it fails that
scenario, with the v2.0-only advice, and the run goes on with the others.

A library that reads the discovery document as the app starts and checks that its issuer is
the one configured (Flask-pyoidc, through pyoidc's ``provider_config``) exits at start-up when
the profile hands it ``{issuer}``: in the ``entra-v1`` scenarios that is ``{authority}/``,
whose v1 document names ``https://sts.windows.net/<tenant id>/``, as Entra's does. It starts
for every other scenario. That start-up failure was taken for an app that cannot start at all:
an error, and every scenario left in the run skipped (38 of 53 against Flask-pyoidc).
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
from scenarios.app.process import AppRefusedSettings, AppStartError
from scenarios.catalogue import WorkerEnvironment, fresh_stack
from scenarios.runner import RunOptions, run

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


def _scenario(*tags: str) -> Scenario:
    return cast(Scenario, SimpleNamespace(id="auto-login.v1-endpoints", tags=tags))


def test_an_app_that_does_not_start_on_v1_fails_that_scenario_with_the_advice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scenarios.catalogue.live_stack", _not_starting)
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
