"""``sso_run_scenario(id, stack=sso_stack)``: a catalogue scenario run on the test's own stack
is judged by that stack's app, as a run on a fresh stack is, and leaves nothing behind at the
stack's provider for the next scenario or for the test's own steps
(:mod:`scenarios.stack_reset`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Page

from mock_idp.testing import path_segment
from scenarios.app.profile import parse_profile
from scenarios.catalogue import PROVIDER_ONLY
from scenarios.flows import first_login
from scenarios.live import LiveStack, StackOptions
from scenarios.profiles import REFERENCE_RP
from scenarios.pytest_plugin import ScenarioRunner, StackFactory
from scenarios.stack_reset import reset_after

pytestmark = pytest.mark.sso_app("reference-rp")

PROBE = "stack.reset.probe@contoso.onmicrosoft.com"


def test_a_run_on_a_stack_skips_what_the_stacks_app_cannot_run(
        sso_run_scenario: ScenarioRunner, sso_stack_factory: StackFactory,
        tmp_path: Path) -> None:
    """An app with no back-channel logout URI, not the reference relying party: the
    back-channel scenario and a provider-only one are skipped on its stack, as they are on a
    fresh one, rather than run against it."""
    profile = tmp_path / "helpdesk.toml"
    profile.write_text("\n".join(
        line for line in REFERENCE_RP.read_text(encoding="utf-8").splitlines()
        if not line.startswith("backchannel_uri")), encoding="utf-8")
    stack = sso_stack_factory(StackOptions(app=profile))
    backchannel = sso_run_scenario("signout.backchannel", stack=stack)
    assert backchannel.skipped, backchannel
    assert backchannel.message == "the profile lacks backchannel ([sign_out] backchannel_uri)"
    provider_only = sso_run_scenario("device-code.sign-in", stack=stack)
    assert provider_only.skipped, provider_only
    assert provider_only.message == PROVIDER_ONLY


def test_a_run_on_a_stack_whose_profile_has_no_file_is_a_usage_error(
        sso_run_scenario: ScenarioRunner, sso_stack_factory: StackFactory) -> None:
    """The registry judges a scenario's needs by a profile's file, which a profile built in
    code lacks: said, rather than judged as another app's."""
    profile = parse_profile(REFERENCE_RP.read_text(encoding="utf-8"))
    stack = sso_stack_factory(StackOptions(app=profile))
    with pytest.raises(pytest.UsageError, match=r"sso_run_scenario\(stack=\.\.\.\): the stack's "
                       r"profile 'reference relying party' has no file"):
        sso_run_scenario("auto-login.first-login", stack=stack)


def test_what_a_run_changes_at_the_provider_is_reset_once_it_ends(sso_stack: LiveStack) -> None:
    """What a scenario does to the provider (the clock, a fault, a user, rotated keys, the
    app's secret and registration) and a wrong secret it stores in the app are undone; the app
    gets its tokens with the secret it was started with."""
    stack = sso_stack
    kids_before = _kids(stack)
    secrets_before = len(_secret_ids(stack))  # the stack's and the configured app's own
    with reset_after(stack):
        stack.advance(days=400)
        stack.arm_fault("drop", endpoint="token", times="until_cleared")
        stack.graph("POST", "users", {
            "accountEnabled": True, "displayName": "Probe", "userPrincipalName": PROBE,
            "mailNickname": "probe", "passwordProfile": {
                "password": "Probe-pass-1", "forceChangePasswordNextSignIn": False}})
        stack.rotate_keys()
        stack.update_app(web={"redirectUris": []})
        stack.remove_secret(stack.secret_key_id)
        stack.app.renew_secret("not~the.secret.value-" + "x" * 18, stack.secret_end())
    assert abs(stack.clock.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert stack.http.get(stack.idp_url("/_mock/faults")).json()["faults"] == []
    missing = stack.http.get(stack.idp_url(
        f"/graph/{stack.tenant_id}/v1.0/users/{path_segment(PROBE)}"))
    assert missing.status_code == 404
    kids = _kids(stack)
    assert len(kids) == 1, (kids_before, kids)
    registration = stack.graph("GET", f"applications(appId='{stack.client_id}')")
    assert registration["web"]["redirectUris"], registration
    secret_ids = _secret_ids(stack)
    assert stack.secret_key_id in secret_ids and len(secret_ids) == secrets_before, secret_ids
    assert stack.app.values["client_secret"] == stack.client_secret
    token = stack.http.post(stack.idp_url(f"/{stack.tenant_id}/oauth2/v2.0/token"), data={
        "grant_type": "client_credentials", "client_id": stack.client_id,
        "client_secret": stack.client_secret,
        "scope": "https://graph.microsoft.com/.default"})
    assert token.status_code == 200, token.text


@pytest.mark.browser
@pytest.mark.parametrize("scenarios", [
    ("failure.expired-secret", "auto-login.first-login"),
    ("auto-login.first-login", "failure.expired-secret"),
], ids=["expired-secret-first", "first-login-first"])
def test_scenarios_run_one_after_the_other_on_the_tests_stack(
        scenarios: tuple[str, str], sso_run_scenario: ScenarioRunner, sso_stack: LiveStack,
        sso_page: Page) -> None:
    """``failure.expired-secret`` moves the provider's clock past the app's secret: neither the
    next scenario on the stack nor the test's own sign-in afterwards meets that clock."""
    for scenario_id in scenarios:
        sso_run_scenario.expect_passed(sso_run_scenario(scenario_id, stack=sso_stack))
    first_login(sso_page, sso_stack, sso_stack.people["alice"])


def _secret_ids(stack: LiveStack) -> list[str]:
    registration = stack.graph("GET", f"applications(appId='{stack.client_id}')")
    return [str(c["keyId"]) for c in registration["passwordCredentials"]]


def _kids(stack: LiveStack) -> list[str]:
    keys = stack.http.get(stack.idp_url("/_mock/keys")).json()
    return [key["kid"] for key in keys["keys"]]
