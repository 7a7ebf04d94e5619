"""The scenario catalogue against each example app, through the profile shipped beside it.

Every scenario's verdict is asserted with what the harness says: passes where the library does
the right thing by default, failures in words a developer can act on (a framework's 500 page
with no support contact, a sign-in the app should have refused, no back-channel logout),
skips naming what the profile lacks. ``expected_verdicts.py`` holds the verdicts; the README's
table is rendered from it.
"""

from __future__ import annotations

import io
import statistics
from pathlib import Path

import pytest
from example_apps import (
    ALL_APPS,
    DJANGO_OIDC,
    EXPRESS_OPENID_CONNECT,
    FLASK_AUTHLIB,
    MSAL_NODE,
    SERVER_APPS,
    ExampleApp,
)
from expected_verdicts import markdown_table, verdicts_of

from mock_idp.testing import MockIdp
from scenarios.app.check import check_profile
from scenarios.runner import RunOptions, run

README = Path(__file__).resolve().parents[2] / "README.md"


def _ready(app: ExampleApp) -> None:
    if reason := app.unavailable() or app.prepare():
        pytest.skip(reason)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("example_app", ALL_APPS, ids=[a.name for a in ALL_APPS])
def test_the_catalogue_reports_what_the_library_does(example_app: ExampleApp,
                                                     tmp_path: Path) -> None:
    _ready(example_app)
    expected = verdicts_of(example_app.name)
    summary = run(RunOptions(app=str(example_app.profile), workers=2, trace="off",
                             report_dir=tmp_path / "report"))
    results = {r.id: r for r in summary.results}
    assert sorted(results) == sorted(expected), "each scenario needs an expected verdict"
    wrong = [f"{scenario_id}: expected {verdict.status} saying {verdict.says!r}, got "
             f"{results[scenario_id].status}: {results[scenario_id].message}"
             for scenario_id, verdict in expected.items()
             if results[scenario_id].status != verdict.status
             or verdict.says not in (results[scenario_id].message or "")]
    assert not wrong, "\n\n".join(wrong)
    ran = [r.seconds for r in summary.results if r.status != "skipped"]
    print(f"{example_app.name}: {len(ran)} scenarios ran, median {statistics.median(ran):.2f} s")
    assert summary.exit_code == 1, "some scenarios fail: the run must say so"


CHECKED = (*SERVER_APPS, EXPRESS_OPENID_CONNECT, DJANGO_OIDC, MSAL_NODE)
"""The apps whose sign-in URLs send the browser to the provider (the single-page app's pages
leave that to their script)."""


@pytest.mark.slow
@pytest.mark.parametrize("example_app", CHECKED, ids=[a.name for a in CHECKED])
def test_app_check_finds_no_problem_in_the_shipped_profile(example_app: ExampleApp) -> None:
    _ready(example_app)
    out = io.StringIO()
    code = check_profile(example_app.profile, out=out)
    lines = out.getvalue().splitlines()
    assert code == 0, "\n".join(lines)
    assert any(line.startswith("ok       sign-in URL 'login' starts the sign-in at the mock "
                               "provider") for line in lines), lines
    assert any(line.startswith("ok       protected URL /account starts the sign-in") for line
               in lines), lines


def test_the_readme_shows_the_expected_verdicts() -> None:
    assert markdown_table() in README.read_text(encoding="utf-8"), (
        "the README's example-app verdict table differs from tests/examples/"
        "expected_verdicts.py: paste the output of python tests/examples/expected_verdicts.py")


@pytest.mark.slow
def test_app_check_says_an_example_app_is_pointed_at_a_stale_local_provider(tmp_path: Path
                                                                            ) -> None:
    """A discovery URL of a mock on another local port: the app's setting, not the mock's."""
    _ready(FLASK_AUTHLIB)
    with MockIdp() as other:
        discovery = f"{other.authority}/v2.0/.well-known/openid-configuration"
        text = FLASK_AUTHLIB.profile.read_text(encoding="utf-8")
        profile = tmp_path / "elsewhere.toml"
        profile.write_text(text.replace(
            'OIDC_DISCOVERY_URL = "{discovery_url}"', f'OIDC_DISCOVERY_URL = "{discovery}"'
        ).replace("[app]\n", f'[app]\ncwd = "{FLASK_AUTHLIB.profile.parent}"\n'),
            encoding="utf-8")
        out = io.StringIO()
        code = check_profile(profile, out=out)
        other_url = other.url
    lines = out.getvalue().splitlines()
    assert code == 1
    assert any(line.startswith(f"PROBLEM  sign-in URL 'login' sends the browser to {other_url}/")
               and "an authority, issuer or discovery URL setting of the app is not where the "
               "mock provider runs" in line for line in lines), lines
