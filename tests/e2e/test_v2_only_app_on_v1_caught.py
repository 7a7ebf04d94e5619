"""An app that works on Entra's v2.0 endpoints only fails ``auto-login.v1-endpoints`` and
``failure.v1-unsigned-over-http``, and each message says how its profile marks it v2.0-only.

These tests change the reference relying party, for one test, into an app that refuses the v1
discovery document, whose issuer (``https://sts.windows.net/<tenant id>/``) is not the one the
v2.0 document names: an app that insists on the v2.0 issuer (Auth.js's Microsoft Entra ID
provider does, through its issuer check). The scenario still fails it; its message adds that
the profile hands the app templates the scenario switches to v1 (the reference profile's
configure call names ``{discovery_url}``, ``{authorize_url}`` and ``{token_url}``) and what to
write from ``{authority}`` instead. Over plain http (``failure.v1-unsigned-over-http``) the
app shows its failure page for the issuer, without the hint for the unsigned ID token, and the
same advice follows, saying what the scenario wanted of it (``REFUSAL``). (pytest's
``monkeypatch`` restores the method afterwards.)
"""

from __future__ import annotations

import pytest

from relying_party.oidc.discovery import ProviderMetadata
from relying_party.oidc.errors import DiscoveryIssuerMismatch
from relying_party.provider import ClientConfig, ProviderDirectory
from scenarios.catalogue.entra_v1 import REFUSAL
from scenarios.pytest_plugin import ScenarioRunner, describe_result

pytestmark = pytest.mark.browser

ADVICE = "the entra-v1 scenarios are skipped (README, \"A v2.0-only app\")"


@pytest.fixture
def v2_only(monkeypatch: pytest.MonkeyPatch) -> None:
    fetch = ProviderDirectory.metadata

    async def v2_issuer_only(self: ProviderDirectory, client: ClientConfig) -> ProviderMetadata:
        metadata = await fetch(self, client)
        if metadata.issuer.startswith("https://sts.windows.net/"):
            raise DiscoveryIssuerMismatch(f"{metadata.issuer} is not a v2.0 issuer")
        return metadata

    monkeypatch.setattr(ProviderDirectory, "metadata", v2_issuer_only)


def _failed_with_advice(sso_run_scenario: ScenarioRunner, scenario_id: str,
                        wanted: str) -> tuple[str, str]:
    """Run ``scenario_id``: it fails, saying the app did not do what it ``wanted`` with the v1
    settings it was given and how the profile marks it v2.0-only; its message and report."""
    result = sso_run_scenario(scenario_id)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    message = result.message or ""
    assert f"On Entra's v1 endpoints the app did not {wanted} with the v1 settings it was " \
        "given. This scenario hands the app the v1 endpoints because the profile gives it " \
        "[[configure]] call 1 = {discovery_url} (" in message, report
    assert "in [[configure]] call 1, {authority}/v2.0/.well-known/openid-configuration for " \
        "{discovery_url}" in message, report
    assert ADVICE in message, report
    return message, report


@pytest.mark.usefixtures("v2_only")
def test_a_v2_only_app_is_told_how_its_profile_marks_it_so(
        sso_run_scenario: ScenarioRunner) -> None:
    _failed_with_advice(sso_run_scenario, "auto-login.v1-endpoints", "sign alice in")


@pytest.mark.slow  # waits out the expectation's timeout for the failure page's https hint
@pytest.mark.usefixtures("v2_only")
def test_a_v2_only_app_over_http_is_told_so_after_what_the_refusal_wanted(
        sso_run_scenario: ScenarioRunner) -> None:
    message, report = _failed_with_advice(sso_run_scenario, "failure.v1-unsigned-over-http",
                                          REFUSAL)
    # the scenario's own finding first: the failure page lacks its hint for the unsigned token
    assert message.index("https token URL") < message.index("On Entra's v1 endpoints"), report
