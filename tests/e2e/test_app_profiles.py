"""The catalogue against an app we did not build around the harness: a small, deliberately
sloppy relying party (``tests/sample_apps/tiny_rp.py``) started as a command from its profile.

It proves a scenario can fail: the checks the app skips (nonce, state) and the refused code
exchange it does not handle show up as FAIL with a message saying what went wrong; scenarios
its profile cannot support are SKIP with the missing keys named; what it does right passes.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sample_apps import tiny_fails, tiny_profile

from scenarios.catalogue.failures_outage import allowed_hold
from scenarios.flows import first_login
from scenarios.live import StackOptions, live_stack
from scenarios.pytest_plugin import ScenarioRunner
from scenarios.runner import RunOptions, run

EXPECTED = {
    "auto-login.first-login": ("passed", ""),
    "auto-login.silent-return": ("passed", ""),
    "failure.user-not-assigned": ("passed", ""),
    "failure.bad-signature": ("passed", ""),
    "failure.nonce-mismatch": ("failed", "the failure page did not appear: no 'Sign-in failed'"),
    "failure.state-tampered": ("failed", "the failure page did not appear: no 'Sign-in failed'"),
    "failure.state-replayed": ("failed", "the app accepted the sign-in: someone is signed in"),
    "failure.expired-secret": ("failed", "the failure page did not appear: no 'Sign-in failed'"),
    "auto-login.widget": ("skipped", "sign-in-url:widget (a sign-in URL named 'widget'"),
    "signout.rp-initiated": ("skipped", "rp-logout ([sign_out] url or control)"),
    "partner.launch": ("skipped", "the profile lacks partner ([partner]"),
}


@pytest.mark.browser
@pytest.mark.slow  # the whole catalogue against a started app
def test_the_catalogue_tells_what_a_sloppy_app_gets_wrong(tmp_path: Path) -> None:
    profile = tiny_profile(tmp_path)
    summary = run(RunOptions(app=str(profile), app_name="tiny sloppy app", workers=2,
                             only=tuple(EXPECTED), report_dir=tmp_path / "report"))
    verdicts = {r.id: (r.status, r.message or "") for r in summary.results}
    for scenario_id, (status, says) in EXPECTED.items():
        got_status, message = verdicts[scenario_id]
        assert got_status == status, f"{scenario_id}: {got_status} {message}"
        assert says in message, f"{scenario_id}: {message}"
    expired = next(r for r in summary.results if r.id == "failure.expired-secret")
    assert "Internal Server Error" in (expired.message or ""), "the verdict shows what the app did"
    assert summary.exit_code == 1 and summary.app == "tiny sloppy app"


@pytest.mark.slow
@pytest.mark.browser
def test_a_replayed_state_is_caught_only_by_the_apps_own_check(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    """The sloppy app ignores state: the replayed callback's code is one the provider still
    accepts, so the app signs the other browser in, and what it printed is kept."""
    result = sso_run_scenario("failure.state-replayed", app=str(tiny_profile(tmp_path)))
    assert result.status == "failed", result
    assert "the app accepted the sign-in: someone is signed in" in (result.message or ""), result
    # why an app signs in a browser that started no sign-in (requests-oauthlib's OAuth2Session
    # made with state=None compares no state): the message said only that it did
    assert (result.message or "").splitlines()[1].startswith(
        "the browser it reached had started no sign-in, so its session held no state"), result
    assert result.app_log == "logs/app-failure.state-replayed.log", result
    printed = (sso_run_scenario.report_dir / result.app_log).read_text(encoding="utf-8")
    assert "tiny app on http://127.0.0.1:" in printed


@pytest.mark.slow
@pytest.mark.browser
def test_an_app_slower_than_its_provider_timeout_is_caught(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    """The profile says the app gives up on the provider after half a second; it waits three.
    The scenario decides once the provider has held the app's token request longer than
    allowed, and keeps what the app printed."""
    profile = tiny_profile(tmp_path, extra="provider_timeout = 0.5\n",
                           env='OIDC_TOKEN_TIMEOUT = "3"\n')
    result = sso_run_scenario("failure.idp-slow", app=str(profile))
    assert result.status == "failed", result
    message = result.message or ""
    assert "but the profile's [failure] provider_timeout says it gives up on the provider " \
           f"after 0.5 s (allowed: {allowed_hold(0.5):g} s)" in message, result
    assert result.seconds < 15, "the scenario waited for the provider rather than the app"
    assert result.app_log is not None, result
    assert "its token request was still waiting on the provider" in message, result
    printed = (sso_run_scenario.report_dir / result.app_log).read_text(encoding="utf-8")
    assert "tiny app on http://127.0.0.1:" in printed


@pytest.mark.slow
@pytest.mark.browser
def test_an_app_that_gives_up_in_time_without_a_failure_page_is_told_so(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    profile = tiny_profile(tmp_path, extra="provider_timeout = 1\n",
                           env='OIDC_TOKEN_TIMEOUT = "0.5"\n')
    result = sso_run_scenario("failure.idp-slow", app=str(profile))
    assert result.status == "failed", result
    # The app gives up and drops the connection: the browser is left on its own error page,
    # said as no answer from the callback (an app that answered would be "the app showed …").
    message = result.message or ""
    assert message.startswith(
        "AssertionError: the failure page did not appear: no 'Sign-in failed'; ") and (
        "; no answer from http://" in message or "; the app showed " in message), result
    assert result.seconds < 10, "the scenario waited for the provider rather than the app"


@pytest.mark.slow
@pytest.mark.browser
def test_a_restart_hands_the_app_a_renewed_secret(tmp_path: Path, sso_page: Page) -> None:
    with live_stack(StackOptions(app=tiny_profile(tmp_path))) as stack:
        alice = stack.people["alice"]
        first_pid = stack.server.process.pid if stack.server.process else None
        stack.remove_secret(stack.secret_key_id)
        stack.renew_client_secret(days=30)
        assert stack.server.process is not None and stack.server.process.pid != first_pid
        assert stack.secret_end(30) == (stack.clock.now() + timedelta(days=30)).date()
        first_login(sso_page, stack, alice)


@pytest.mark.slow
@pytest.mark.browser
def test_sso_run_scenario_runs_against_the_chosen_app(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    app = str(tiny_profile(tmp_path))
    passed = sso_run_scenario("auto-login.first-login", app=app)
    sso_run_scenario.expect_passed(passed)
    failed = sso_run_scenario("failure.nonce-mismatch", app=app)
    assert failed.status == "failed", failed
    skipped = sso_run_scenario("partner.launch", app=app)
    assert skipped.status == "skipped" and "partner" in (skipped.message or "")
    with pytest.raises(pytest.skip.Exception, match="partner.launch: the profile lacks"):
        sso_run_scenario.expect_passed(skipped)


@pytest.mark.browser
@pytest.mark.slow  # an app started four times, two of its runs waiting out a refused sign-in
def test_an_app_on_organizations_and_the_users_of_other_organizations(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    """The app's authority says /organizations. Registered single-tenant (the default), Entra's
    error page (AADSTS50194) stops every sign-in. Registered multi-tenant, its own users sign
    in, and so does a user of another organization: this app fills the /organizations
    document's {tenantid} issuer with any token's tid, and failure.other-organization catches
    it. On its tenant's authority, the provider itself refuses that user."""
    profiles = {}
    for name, authority, audience in (("single", "{idp_url}/organizations", None),
                                      ("multi", "{idp_url}/organizations", "AzureADMultipleOrgs"),
                                      ("tenant", "{authority}", None)):
        (tmp_path / name).mkdir()
        profiles[name] = path = tiny_profile(tmp_path / name, authority=authority)
        if audience:
            path.write_text(path.read_text().replace(
                "[provider]\n", f'[provider]\nsign_in_audience = "{audience}"\n'))
    refused = sso_run_scenario("auto-login.first-login", app=str(profiles["single"]))
    assert refused.status == "failed" and "AADSTS50194" in (refused.message or ""), refused
    multi = str(profiles["multi"])
    sso_run_scenario.expect_passed(sso_run_scenario("auto-login.first-login", app=multi))
    let_in = sso_run_scenario("failure.other-organization", app=multi)
    assert let_in.status == "failed", let_in
    assert ("a user of another organization got in; the app signs in through /organizations, "
            "where Entra signs in the users of every organization for an app registered as "
            "multi-tenant: an app for one organization signs in through its tenant instead"
            ) in (let_in.message or ""), let_in
    sso_run_scenario.expect_passed(
        sso_run_scenario("failure.other-organization", app=str(profiles["tenant"])))


@pytest.mark.browser
def test_the_sso_app_marker_chooses_the_app_under_test(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    # The marker is added before any fixture that builds the stack (sso_page does, through
    # sso_context) is asked for.
    request.node.add_marker(pytest.mark.sso_app(str(tiny_profile(tmp_path))))
    stack = request.getfixturevalue("sso_stack")
    sso_page: Page = request.getfixturevalue("sso_page")
    app = request.getfixturevalue("sso_app")
    assert app is stack.app and app.name == "tiny sloppy app"
    assert request.getfixturevalue("sso_app_profile").app.mode == "command"
    first_login(sso_page, stack, stack.people["alice"])


@pytest.mark.browser
def test_an_app_that_loses_the_page_that_started_the_sign_in_is_told_so(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    """The tiny app's callback always lands on /account: a visit to /tickets signs alice in
    there. The verdict was that she is signed in "but not as the profile says", which blames
    the profile; it is the app that did not return to the page the person opened."""
    profile = tiny_profile(tmp_path)
    profile.write_text(profile.read_text().replace('protected_urls = ["/account"]',
                                                   'protected_urls = ["/tickets"]'))
    result = sso_run_scenario("auto-login.app-visit", app=str(profile))
    assert result.status == "failed", result
    message = result.message or ""
    assert "did not bring them back to the page they opened, http://" in message, message
    assert "/tickets: the sign-in ended at http://" in message, message
    assert "not as the profile says" not in message, message


@pytest.mark.browser
def test_an_app_that_shows_userinfo_of_another_subject_is_told_so(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    """The tiny app takes the person from UserInfo without comparing its sub with the ID
    token's: the verdict said only that no failure page appeared, not that the app signed in
    the other person the answer names."""
    message = tiny_fails(sso_run_scenario, tmp_path, "failure.userinfo-sub-mismatch",
                         env='TINY_USERINFO = "1"')
    assert message.startswith(
        "AssertionError: the app signed the user in as Mallory Moss, whom the UserInfo answer "
        "names under another sub than the ID token's: it used that answer's values without "
        "comparing its sub with the ID token's, which OpenID Connect Core 1.0 §5.3.2 forbids"
        ), message
    assert "; it is missing the check of the OpenID Foundation's RP certification test " \
        "rp-userinfo-bad-sub-claim (OpenID Connect Core §5.3.2: " in message, message
