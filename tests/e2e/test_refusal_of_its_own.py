"""A refusal of the app's own counts only when a plain sign-in of alice follows it, as the
ID-token scenarios hold theirs: ``failure.other-organization`` (zed, a user of another
organization, refused on the app's failure page) and ``failure.idp-down-keys`` (the failure
page without a request for the keys while they were down).

next-auth v4 on ``/common`` refuses every sign-in: openid-client compares the ID token's issuer
with the discovery document's as written, ``{tenantid}`` and all, before it asks for the keys;
both scenarios passed it. The tiny app plays it (``TINY_ISSUER_AS_WRITTEN``), and an app that
lets only its tenant's users in (``TINY_ONLY_TID``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_apps import tiny_profile

from scenarios.pytest_plugin import ScenarioRunner, describe_result

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("env", "status"), [
    ('TINY_ONLY_TID = "{tenant_id}"', "passed"),
    ('TINY_ISSUER_AS_WRITTEN = "1"', "failed"),
], ids=["refuses-other-tenants", "refuses-everyone"])
def test_an_app_refusing_zed_itself_must_sign_alice_in(
        tmp_path: Path, sso_run_scenario: ScenarioRunner, env: str, status: str) -> None:
    profile = tiny_profile(tmp_path, authority="{idp_url}/organizations", env=env)
    profile.write_text(profile.read_text().replace(
        "[provider]\n", '[provider]\nsign_in_audience = "AzureADMultipleOrgs"\n'))
    result = sso_run_scenario("failure.other-organization", app=str(profile))
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == status, report
    if status == "failed":
        assert (result.message or "").startswith(
            "AssertionError: the app refused the faulted sign-in, but a plain sign-in right "
            "after it, no fault armed, did not sign alice@contoso.onmicrosoft.com in either"
        ), report


@pytest.mark.parametrize(("authority", "status"), [
    ("{authority}", "passed"),
    ("{idp_url}/organizations", "failed"),
], ids=["signs-people-in", "refuses-everyone"])
def test_a_refusal_without_asking_the_keys_must_be_followed_by_a_sign_in(
        tmp_path: Path, sso_run_scenario: ScenarioRunner, authority: str, status: str) -> None:
    """failure.idp-down-keys: an app that showed its failure page without asking for the keys
    while they were down refused for a reason of its own (next-auth v4 on /common checks the
    issuer first, and refuses it); the refusal counts only when a plain sign-in follows."""
    profile = tiny_profile(tmp_path, authority=authority, env='TINY_ISSUER_AS_WRITTEN = "1"')
    profile.write_text(profile.read_text().replace(
        "[provider]\n", '[provider]\nsign_in_audience = "AzureADMultipleOrgs"\n'))
    result = sso_run_scenario("failure.idp-down-keys", app=str(profile))
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == status, report
    if status == "failed":
        assert "a plain sign-in right after it, no fault armed, did not sign" in (
            result.message or ""), report
