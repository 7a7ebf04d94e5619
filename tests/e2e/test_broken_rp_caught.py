"""A relying party that skips the nonce check is caught by the suite.

The reference relying party runs its ID-token claim checks from
``relying_party.oidc.id_token.ID_TOKEN_CHECKS``. These tests take ``check_nonce`` out of that
tuple for one test (pytest's ``monkeypatch`` restores it afterwards; the stacks built during the
test are the only relying parties running in this process), then show that the sign-in the
mock provider spoils with a foreign nonce is accepted, and that both the ``failure.nonce-mismatch``
scenario and the flow check it is built on fail with a message that says so.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from relying_party.oidc import id_token
from scenarios.flows import expect_failure, sign_in_at_idp
from scenarios.live import LiveStack
from scenarios.pytest_plugin import ScenarioRunner, describe_result
from scenarios.registry import load_catalogue
from scenarios.runner import DEFAULT_CATALOGUE

SCENARIO_ID = "failure.nonce-mismatch"
FAILURE_HEADING = "Sign-in failed"


@pytest.fixture
def nonce_check_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    checks = id_token.ID_TOKEN_CHECKS
    assert id_token.check_nonce in checks, "the relying party no longer checks the nonce there"
    monkeypatch.setattr(id_token, "ID_TOKEN_CHECKS",
                        tuple(c for c in checks if c is not id_token.check_nonce))


def _sign_in_with_wrong_nonce(page: Page, stack: LiveStack) -> None:
    stack.arm_fault("wrong_nonce")
    page.goto(stack.sign_in_url("widget"))
    sign_in_at_idp(page, stack.people["alice"])
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.usefixtures("nonce_check_skipped")
def test_the_broken_relying_party_accepts_a_foreign_nonce(sso_stack: LiveStack,
                                                          sso_page: Page) -> None:
    _sign_in_with_wrong_nonce(sso_page, sso_stack)
    me = sso_page.request.get(sso_stack.rp_url("/api/me"))
    assert me.status == 200, "the broken relying party should have signed alice in"


@pytest.mark.browser
@pytest.mark.parametrize("broken", [False, True], ids=["reference-rp", "nonce-check-skipped"])
def test_the_failure_check_tells_them_apart(broken: bool, request: pytest.FixtureRequest,
                                            sso_stack: LiveStack, sso_page: Page) -> None:
    if broken:
        request.getfixturevalue("nonce_check_skipped")
    _sign_in_with_wrong_nonce(sso_page, sso_stack)
    if not broken:
        expect_failure(sso_page, sso_stack)
        return
    with pytest.raises(AssertionError) as caught:
        expect_failure(sso_page, sso_stack)
    assert FAILURE_HEADING in str(caught.value), str(caught.value)


@pytest.mark.browser
@pytest.mark.usefixtures("nonce_check_skipped")
def test_the_nonce_scenario_fails_against_it(sso_run_scenario: ScenarioRunner) -> None:
    if SCENARIO_ID not in load_catalogue(DEFAULT_CATALOGUE):
        pytest.skip(f"{SCENARIO_ID} is not registered in {DEFAULT_CATALOGUE}")
    result = sso_run_scenario(SCENARIO_ID)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert result.message is not None and FAILURE_HEADING in result.message, report
    failed = [step for step in result.steps if step.status == "failed"]
    assert failed and "failure page" in failed[0].name, report
