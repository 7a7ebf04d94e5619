"""``failure.other-organization`` holds an app's own refusal of zed (a user of another
organization) to a plain sign-in of alice right after it, as the ID-token scenarios hold
theirs: an app that refuses every sign-in refused zed for no reason of its tenant's.

next-auth v4 on ``/common`` is such an app: openid-client compares the ID token's issuer with
the discovery document's as written, ``{tenantid}`` and all, and refused zed on its error page,
which passed the scenario. The tiny app, multi-tenant on ``/organizations``, plays it
(``TINY_ISSUER_AS_WRITTEN``) and an app that lets only its tenant's users in (``TINY_ONLY_TID``).
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
