"""``sso_run_scenario(id, stack=sso_stack)``: a catalogue scenario run on the test's own stack
is judged by that stack's app, as a run on a fresh stack is."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.app.profile import parse_profile
from scenarios.catalogue import PROVIDER_ONLY
from scenarios.live import StackOptions
from scenarios.profiles import REFERENCE_RP
from scenarios.pytest_plugin import ScenarioRunner, StackFactory

pytestmark = pytest.mark.sso_app("reference-rp")


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
