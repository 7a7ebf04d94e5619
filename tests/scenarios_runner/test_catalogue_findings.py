"""Catalogue scenarios against apps with one defect each: the defect is a FAIL with the
scenario's own message, never an ERROR, and the same app without it passes (the state
scenarios' in test_catalogue_state_findings.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sample_apps import tiny_profile
from sample_apps.state_rp import state_profile

from scenarios.catalogue.failures_outage import allowed_hold
from scenarios.runner import RunOptions, run

from .catalogue_verdicts import verdicts as _verdicts

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a stack and an app each


def test_an_app_slower_than_the_action_timeout_fails_idp_slow_with_its_message(
        tmp_path: Path) -> None:
    """The app answers its callback (with nothing) after 3 s, past the run's 2 s timeout for
    an action: pressing "No" on "Stay signed in?" must not wait for that answer (it did, and
    the scenario ended in Playwright's own TimeoutError, an ERROR)."""
    profile = tiny_profile(tmp_path, extra="provider_timeout = 0.5\n",
                           env='OIDC_TOKEN_TIMEOUT = "3"\n')
    verdicts = _verdicts(profile, ("failure.idp-slow",), tmp_path / "slow", timeout_ms=2000)
    status, message = verdicts["failure.idp-slow"]
    assert status == "failed", verdicts
    assert ("but the profile's [failure] provider_timeout says it gives up on the provider "
            f"after 0.5 s (allowed: {allowed_hold(0.5):g} s); its token request was still "
            "waiting on the provider after ") in message, message


def test_an_app_that_waits_on_the_provider_fails_idp_slow_at_the_allowed_time(
        tmp_path: Path) -> None:
    """The app waits 60 s for the provider: the scenario decides once the provider has held
    its token request longer than allowed (1 s for a 0.5 s provider_timeout), not once the
    provider answers, and says the app's token request was still waiting on it."""
    profile = tiny_profile(tmp_path, extra="provider_timeout = 0.5\n",
                           env='OIDC_TOKEN_TIMEOUT = "60"\n')
    summary = run(RunOptions(app=str(profile), only=("failure.idp-slow",),
                             report_dir=tmp_path / "slow", workers=1, trace="off",
                             screenshots="failure"), out=io.StringIO())
    [result] = summary.results
    assert result.status == "failed", result
    assert (result.message or "").startswith(
        "AssertionError: the app had not answered its callback http://"), result
    assert ("s after the sign-in, but the profile's [failure] provider_timeout says it gives up "
            f"on the provider after 0.5 s (allowed: {allowed_hold(0.5):g} s); its token request "
            "was still waiting on the provider") in (result.message or ""), result
    assert result.seconds < allowed_hold(0.5) + 8, "the scenario waited for the provider"
    # The failure's picture shows the page the browser still showed (the provider's last),
    # taken at once: no state read (1 s) nor Playwright screenshot (2 s) waiting on the
    # pending callback.
    assert result.phases is not None and result.phases.screenshots < 2.0, result.phases
    [picture] = [step.screenshot for step in result.steps if step.status == "failed"]
    assert picture is not None and (tmp_path / "slow" / picture).stat().st_size > 0, result


def test_an_app_that_gives_up_in_time_on_an_error_page_is_told_the_provider_held_it(
        tmp_path: Path) -> None:
    """The app gives up on the hanging token endpoint within its provider_timeout but does not
    show its failure page (Flask-pyoidc: pyoidc's read timeout ends on Flask's 500 page). The
    held request the app closed is no refusal of the provider's, so the message named no
    cause, where failure.idp-down names the dropped connection: it says the provider was still
    holding the request, so the page is the app's answer to its own timeout."""
    profile = tiny_profile(tmp_path, extra="provider_timeout = 1\n",
                           env='OIDC_TOKEN_TIMEOUT = "0.5"\n')
    status, message = _verdicts(profile, ("failure.idp-slow",), tmp_path / "slow")[
        "failure.idp-slow"]
    first = message.splitlines()[0]
    assert status == "failed" and first.startswith(
        "AssertionError: the failure page did not appear: no 'Sign-in failed'; "), message
    assert "; the provider was still holding the app's token request (this scenario's hang) " \
        "when the app gave up on it after 0." in first, message
    assert first.endswith(" s: what the browser shows is the app's answer to its own timeout"), \
        message
    assert "the provider had refused" not in message, message


def test_an_app_that_gives_up_in_time_passes_idp_slow_however_slow_its_failure_page(
        tmp_path: Path) -> None:
    """The app gives up on the provider at its 0.5 s timeout, then takes 1.5 s over its failure
    page: how long it waited is timed on the provider's side, where the redirects and pages
    around it do not count (judged on the browser's clock, 2 s against 1.75 s allowed, it
    failed, as the reference RP did on a loaded machine)."""
    profile = tiny_profile(tmp_path, extra="provider_timeout = 0.5\n",
                           env='OIDC_TOKEN_TIMEOUT = "0.5"\nTINY_TIMEOUT_PAGE = "1.5"\n')
    verdicts = _verdicts(profile, ("failure.idp-slow",), tmp_path / "slow")
    assert verdicts["failure.idp-slow"] == ("passed", ""), verdicts


def test_an_app_that_sent_no_nonce_is_told_so(tmp_path: Path) -> None:
    """The ID token's nonce cannot differ from one the app never sent: the failure says it
    sent none and accepted a token with one (and no PKCE either, as the tiny app sends none)."""
    profile = tiny_profile(tmp_path, env='TINY_NO_NONCE = "1"\n')
    status, message = _verdicts(profile, ("failure.nonce-mismatch",),
                                tmp_path / "report")["failure.nonce-mismatch"]
    assert status == "failed", message
    assert message.startswith(
        "AssertionError: the app sent no nonce and accepted an ID token carrying one (OpenID "
        "Connect Core §2: a nonce in the ID token MUST equal the one the client sent); it sent "
        "no PKCE code_challenge either, so nothing protects its sign-in against an injected "
        "authorization code (RFC 9700 §4.5); the failure page did not appear"), message


def test_an_app_that_sent_no_nonce_but_refused_the_token_is_not_said_to_accept_it(
        tmp_path: Path) -> None:
    """An app that sends no nonce and refuses an ID token carrying one (as oauth4webapi, under
    Auth.js, does) fails only on its page (here, the contact the profile asks of it): the
    message said it had accepted the token."""
    profile = tiny_profile(
        tmp_path, env='TINY_NO_NONCE = "1"\nTINY_CHECK_NONCE = "1"\n',
        extra='[failure.expect.nonce-mismatch]\ncontact = "desk@tiny.example"\n')
    status, message = _verdicts(profile, ("failure.nonce-mismatch",),
                                tmp_path / "report")["failure.nonce-mismatch"]
    assert status == "failed", message
    assert message.startswith("AssertionError: the failure page does not show the support "
                              "contact 'desk@tiny.example'"), message
    assert "accepted" not in message, message


def test_the_code_exchange_scenarios_are_not_exercised_by_an_app_that_redeems_no_code(
        tmp_path: Path) -> None:
    """An app asking for an ID token alone makes no token request: its client secret and the
    token endpoint play no part, so the scenarios about them skip, saying why, rather than
    fail it for signing in (or for refusing an ID token dated by the provider's clock moved
    past the secret's end)."""
    only = ("failure.expired-secret", "failure.idp-down")
    verdicts = _verdicts(state_profile(tmp_path, bind=True, id_token=True), only,
                         tmp_path / "id-token")
    assert verdicts["failure.expired-secret"] == (
        "skipped", "not exercised: the app asks for no code (response_type=id_token), so it "
        "never calls the token endpoint and its client secret plays no part in its sign-in"
    ), verdicts
    assert verdicts["failure.idp-down"][0] == "skipped", verdicts
    assert verdicts["failure.idp-down"][1].startswith(
        "not exercised: the app made no token request while the token endpoint was down"), \
        verdicts


def test_idp_slow_is_not_exercised_by_an_app_that_redeems_no_code(tmp_path: Path) -> None:
    """The token endpoint's hang never meets an app asking for an ID token alone: it signs in
    at once, which proves nothing about its timeout (it failed as 'accepted the sign-in',
    as mod_auth_openidc with OIDCResponseType id_token did)."""
    profile = state_profile(tmp_path, bind=True, id_token=True)
    profile.write_text(profile.read_text(encoding="utf-8") + "provider_timeout = 2\n",
                       encoding="utf-8")
    status, message = _verdicts(profile, ("failure.idp-slow",), tmp_path / "slow")[
        "failure.idp-slow"]
    assert (status, message.split(" (")[0]) == (
        "skipped", "not exercised: the app made no token request while the token endpoint "
        "hung, so its timeout never came into play"), message


def test_idp_slow_holds_a_failure_page_without_the_token_request_to_a_plain_sign_in(
        tmp_path: Path) -> None:
    """An app that redeems no code and refuses every ID token shows its failure page while
    the token endpoint hangs, but never met the hang: its refusal counts only when a plain
    sign-in right after it signs alice in, as failure.idp-down holds it (it passed)."""
    profile = state_profile(tmp_path, bind=True, id_token=True)
    profile.write_text(profile.read_text(encoding="utf-8").replace(
        'ID_TOKEN = "1"\n', 'ID_TOKEN = "1"\nREFUSE_ALL = "1"\n') + "provider_timeout = 2\n",
        encoding="utf-8")
    status, message = _verdicts(profile, ("failure.idp-slow",), tmp_path / "slow")[
        "failure.idp-slow"]
    assert status == "failed", message
    assert "a plain sign-in right after it, no fault armed, did not sign" in message, message


def test_an_app_that_redeems_no_code_does_not_pass_them_by_refusing_a_future_token(
        tmp_path: Path) -> None:
    """The same app refusing an ID token not valid yet (passport-azure-ad's OIDCStrategy with
    responseType id_token does) shows its failure page once the provider's clock is moved past
    the secret's end: that refusal is not of the secret it never uses (it passed)."""
    verdicts = _verdicts(state_profile(tmp_path, bind=True, id_token=True, check_dates=True),
                         ("failure.expired-secret",), tmp_path / "dated")
    assert verdicts["failure.expired-secret"] == (
        "skipped", "not exercised: the app asks for no code (response_type=id_token), so it "
        "never calls the token endpoint and its client secret plays no part in its sign-in"
    ), verdicts


def test_the_code_exchange_scenarios_still_judge_an_app_that_redeems_codes(
        tmp_path: Path) -> None:
    """The same app asking for a code is judged by them: its failure page for a refused code,
    and its own 500 page for a token endpoint that drops the connection (it catches no
    connection error)."""
    only = ("failure.expired-secret", "failure.idp-down")
    verdicts = _verdicts(state_profile(tmp_path, bind=True, form_post=True), only,
                         tmp_path / "code")
    assert verdicts["failure.expired-secret"] == ("passed", ""), verdicts
    status, message = verdicts["failure.idp-down"]
    assert status == "failed" and "HTTP 500" in message, verdicts


def test_an_app_asking_for_an_id_token_needs_the_registration_to_issue_them(
        tmp_path: Path) -> None:
    """Entra refuses response_type=id_token (AADSTS700054) unless the app registration lets
    the authorization endpoint issue ID tokens: the profile's id_token_issuance does, as an
    administrator ticks "ID tokens" on the registration."""
    profile = state_profile(tmp_path, bind=True, id_token=True)
    only = ("auto-login.first-login",)
    assert _verdicts(profile, only, tmp_path / "on")["auto-login.first-login"] == ("passed", "")
    profile.write_text(profile.read_text(encoding="utf-8").replace(
        "id_token_issuance = true", "id_token_issuance = false"), encoding="utf-8")
    status, message = _verdicts(profile, only, tmp_path / "off")["auto-login.first-login"]
    # the provider's error (AADSTS700054) is posted to the callback, which finds no ID token
    assert status == "failed" and "/callback ('Sign-in failed')" in message, message


GRAPH_ONLY_ENV = 'TINY_GRAPH_ONLY = "1"\nOIDC_GRAPH_URL = "{graph_url}"\n'
ID_TOKEN_SCENARIOS = ("failure.wrong-issuer", "failure.bad-signature", "failure.nonce-mismatch",
                      "lifecycle.key-rotation")


def test_an_app_that_asks_for_no_id_token_is_not_exercised_by_the_id_token_faults(
        tmp_path: Path) -> None:
    """An app that signs people in as django-allauth's Microsoft provider does (scope
    ``User.Read`` alone, the person from Graph's ``/me``) gets no ID token from Entra's v2.0
    endpoint: the ID-token faults spoil nothing of its sign-in, which is not exercised, not
    "accepted an ID token from another issuer" (nor one with a bad signature or nonce), and a
    key rotation is no key set it failed to fetch."""
    profile = tiny_profile(tmp_path, env=GRAPH_ONLY_ENV)
    verdicts = _verdicts(profile, ID_TOKEN_SCENARIOS, tmp_path / "graph-only")
    for scenario_id in ID_TOKEN_SCENARIOS:
        status, message = verdicts[scenario_id]
        assert status == "skipped", verdicts
        assert "the app asked for no ID token (scope=User.Read, without openid)" in message, \
            verdicts


def test_an_app_that_ignores_the_id_token_it_asks_for_is_told_it_read_graph_me(
        tmp_path: Path) -> None:
    """fastapi-sso's ``MicrosoftSSO`` asks ``openid User.Read email`` and takes the person
    from Graph's ``/me``, never reading the ID token: the ID-token faults fail it (it asked
    for a token it must check), and each failure says it read the person from Graph and what
    would make the scenarios not exercised instead."""
    profile = tiny_profile(tmp_path, env=GRAPH_ONLY_ENV.replace('"1"', '"openid"'))
    only = ("failure.wrong-issuer", "lifecycle.key-rotation")
    verdicts = _verdicts(profile, only, tmp_path / "graph-openid")
    for scenario_id in only:
        status, message = verdicts[scenario_id]
        assert status == "failed", verdicts
        assert "(the app read the person from Microsoft Graph (GET /graph/v1.0/me with its " \
               "own access token), so it may never have read the ID token" in message, verdicts


def test_an_app_on_organizations_that_reads_me_from_graph_lets_another_organization_in(
        tmp_path: Path) -> None:
    """A multi-tenant app on ``/organizations`` that takes the person from Graph's ``/me``
    (django-allauth's Microsoft provider with ``tenant = "organizations"``) signs in every
    organization's users on Entra, whose Graph answers any tenant's token: the mock's
    ``{graph_url}`` answers zed's Fabrikam token too, so failure.other-organization fails it
    for letting zed in (it passed when the mock's Graph refused his token for its tenant)."""
    profile = tiny_profile(tmp_path, authority="{idp_url}/organizations", env=GRAPH_ONLY_ENV)
    profile.write_text(profile.read_text().replace(
        "[provider]\n", '[provider]\nsign_in_audience = "AzureADMultipleOrgs"\n'))
    verdicts = _verdicts(profile, ("failure.other-organization",), tmp_path / "orgs")
    status, message = verdicts["failure.other-organization"]
    assert status == "failed", verdicts
    assert "a user of another organization got in" in message, verdicts


def test_a_single_tenant_app_on_organizations_is_told_why_in_every_sign_in_scenario(
        tmp_path: Path) -> None:
    """An app registered for one organization that signs in through ``/organizations`` (a
    mozilla-django-oidc app given Entra's endpoints from ``.../organizations``) meets Entra's
    AADSTS50194 at the authorization endpoint: the scenarios that sign in with a driver of
    their own (consent cancelled, consent blocked, another organization's user) say why and
    what to change, as first-login does, not only the provider's error."""
    profile = tiny_profile(tmp_path, authority="{idp_url}/organizations")
    only = ("failure.user-cancels", "failure.needs-admin-approval",
            "failure.other-organization")
    verdicts = _verdicts(profile, only, tmp_path / "orgs-single")
    for scenario_id in only:
        status, message = verdicts[scenario_id]
        assert status == "failed", verdicts
        assert "the app signs in through /organizations, which Entra refuses for an app " \
               "registered for one organization (AADSTS50194)" in message, verdicts


def test_an_app_that_keeps_its_first_key_set_is_told_it_never_fetched_it_again(
        tmp_path: Path) -> None:
    """An app that holds the key set it read first (passport-azure-ad keeps its for 30
    minutes) refuses the sign-in after a rotation: the failure says it did not fetch the keys
    again and names the new kid it looked for, not only that alice is not signed in; fetched
    seconds before, it may as well be a library that pauses between fetches (openid-client 5),
    and the failure names both."""
    profile = tiny_profile(tmp_path, env='TINY_KEEP_KEYS = "1"\n')
    status, message = _verdicts(profile, ("lifecycle.key-rotation",),
                                tmp_path / "report")["lifecycle.key-rotation"]
    assert status == "failed", message
    assert "is not signed in" in message, message
    assert ("\nThe app fetched the provider's key set once before the rotation, the last time "
            ) in message, message
    assert (" s before this sign-in, and not again after it: it looked for the new kid '"
            ) in message, message
    # it cannot tell a held key set from a library's pause between fetches (openid-client 5)
    assert "openid-client 5: once a minute" in message, message
    assert "must fetch jwks_uri again when an ID token names a kid it does not know" in message


def test_an_app_deaf_to_a_dropped_answer_is_told_the_provider_broke_it_off(
        tmp_path: Path) -> None:
    """The token endpoint breaks its answer off after the first bytes; an app whose HTTP client
    waits for the rest (node-oauth, under passport-azure-ad) never answers its callback: the
    failure says the provider broke the answer off and the app's client did not notice, not
    only that it might have no timeout."""
    profile = tiny_profile(tmp_path, env='TINY_DEAF_TO_DROPS = "1"\n')
    status, message = _verdicts(profile, ("failure.idp-down",), tmp_path / "report",
                                timeout_ms=3000)["failure.idp-down"]
    assert status == "failed", message
    assert message.startswith("AssertionError: the app never answered its callback http://"), \
        message
    assert ("the provider's token endpoint took its token request and broke its answer off "
            "after the first bytes (of 4096 its Content-Length promised), and the app's HTTP "
            "client did not notice: it waits for the rest of a body that will not come") \
        in message, message


def test_an_app_that_signs_in_again_after_refusing_is_not_told_it_accepted_the_fault(
        tmp_path: Path) -> None:
    """An app whose refusal sends the browser to its sign-in URL (passport's
    ``failureRedirect: '/login'`` over openid-client 5's Strategy) refuses the forged ID token,
    starts a new sign-in, and the provider's session signs alice in at once with a correct one
    (the fault fires once). The failure (no failure page) says so, not that the app accepted
    an ID token whose signature does not verify, nor that https would make it pass."""
    profile = tiny_profile(tmp_path, env='TINY_REFUSAL = "login"\n')
    only = ("failure.bad-signature", "failure.wrong-issuer")
    verdicts = _verdicts(profile, only, tmp_path / "report")
    for scenario_id in only:
        status, message = verdicts[scenario_id]
        assert status == "failed", verdicts
        assert "the app refused the faulted answer but started a new sign-in" in message, message
        assert "the app accepted" not in message, message
        assert "https = true" not in message, message
