"""An ID-token scenario holds the app's refusal of the faulted sign-in to a plain sign-in right
after it, as conformance holds a REJECT row: an app that refuses every sign-in (python-social-
auth's ``AzureADTenantOAuth2`` on Entra's v1 endpoints, which looks for a ``kid`` in the
unsigned ID token) refused the faulted one for a reason of its own, and passed every
ID-token scenario before.

The reference relying party is changed for one test into such an app (pytest's
``monkeypatch``: every ID token is "malformed"), run with its profile less its error-log check
(which names the wrong failure code there: an app without an error log is judged by its pages
alone); it passes with that profile as it is.
"""

from __future__ import annotations

from typing import Any, NoReturn

import pytest

from relying_party.oidc import id_token
from relying_party.oidc.errors import IdTokenMalformed
from scenarios.profiles import REFERENCE_RP
from scenarios.pytest_plugin import ScenarioRunner, describe_result

pytestmark = pytest.mark.browser

WRONG_ISSUER = "failure.wrong-issuer"
REFUSED_ANYWAY = (
    "AssertionError: the app refused the faulted sign-in, but a plain sign-in right after it, "
    "no fault armed, did not sign alice@contoso.onmicrosoft.com in either: its refusal says "
    "nothing about the fault (conformance fails such a row the same way)")


async def _refused(token: str, **kwargs: Any) -> NoReturn:
    raise IdTokenMalformed("kid header is missing")


@pytest.fixture(scope="module")
def without_error_log(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The reference relying party's profile without ``error_log`` and the failure codes it
    expects logged (its ``[failure.expect]`` entries)."""
    lines = REFERENCE_RP.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines
            if not line.startswith("error_log =") and "logged = {" not in line]
    assert len(lines) - len(kept) > 10
    profile = tmp_path_factory.mktemp("no-error-log") / "reference-rp-no-error-log.toml"
    profile.write_text("".join(kept), encoding="utf-8")
    return str(profile)


@pytest.fixture
def refuses_every_id_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(id_token, "verify_signed_jwt", _refused)


def test_the_reference_rp_signs_in_after_refusing(without_error_log: str,
                                                  sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(WRONG_ISSUER, app=without_error_log)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "passed", report
    assert "a plain sign-in right after it" in result.steps[-1].name, report


@pytest.mark.usefixtures("refuses_every_id_token")
def test_an_app_that_refuses_every_sign_in_fails(without_error_log: str,
                                                 sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(WRONG_ISSUER, app=without_error_log)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert (result.message or "").startswith(REFUSED_ANYWAY), report
