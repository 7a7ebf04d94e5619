"""An app that shows a page of its own on the way is caught by the scenarios that claim a
sign-in with no click.

The reference relying party ends a sign-in with a redirect from its callback to the page the
sign-in started from. These tests make its callback answer with a "Signing you in…" page of its
own instead, which sends the browser on by itself (a meta refresh), as some apps do: the user
lands signed in and no page of the provider's rendered, yet a page of the app's did.
``auto-login.silent-return`` and ``lifecycle.key-rotation`` fail against it, naming that page;
both pass against the reference relying party. (pytest's ``monkeypatch`` restores the callback
after each test; the stacks built during the test are the only relying parties running in this
process.)
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pytest
from playwright.sync_api import Page
from starlette.responses import HTMLResponse

from mock_idp.config import REFERENCE_RP_CLIENT_ID
from relying_party import callback
from relying_party.redirect_uris import CALLBACK_PATH
from scenarios.flows import NavigationLog, drop_app_session, expect_signed_in, first_login
from scenarios.live import LiveStack
from scenarios.pytest_plugin import ScenarioRunner, describe_result

SCENARIOS = ("auto-login.silent-return", "lifecycle.key-rotation")
SHOWN = f"{CALLBACK_PATH}/{REFERENCE_RP_CLIENT_ID}?… (HTTP 200)"
"""How a failure names the page: the callback's URL (the connection's own: its profile names
it after the client id), its query (the code) left out."""


class SigningYouIn(HTMLResponse):
    """Stands in for the callback's redirect: a page that says "Signing you in…" and sends the
    browser to ``url`` by itself, with the redirect's headers and the cookies set on it."""

    def __init__(self, url: str, status_code: int = 303,
                 headers: Mapping[str, str] | None = None) -> None:
        target = html.escape(url, quote=True)
        super().__init__(
            f'<!doctype html><meta http-equiv="refresh" content="0; url={target}">'
            f'<h1>Signing you in…</h1><p><a href="{target}">Continue</a></p>', headers=headers)


@pytest.fixture
def page_on_the_way(monkeypatch: pytest.MonkeyPatch) -> None:
    assert callback.RedirectResponse is not SigningYouIn
    monkeypatch.setattr(callback, "RedirectResponse", SigningYouIn)


@pytest.mark.browser
@pytest.mark.usefixtures("page_on_the_way")
def test_the_app_signs_in_again_with_no_provider_page_but_a_page_of_its_own(
        sso_stack: LiveStack, sso_page: Page) -> None:
    alice = sso_stack.people["alice"]
    first_login(sso_page, sso_stack, alice, "widget")
    drop_app_session(sso_page, sso_stack)
    log = NavigationLog(sso_page)
    sso_page.goto(sso_stack.app.sign_in_url("widget"))
    expect_signed_in(sso_page, sso_stack, alice, path=sso_stack.app.lands_on("widget"))
    assert log.pages_shown_from(sso_stack.idp.base_url) == [], log.documents
    shown = [url.split("?")[0] for url in log.pages_shown_from(sso_stack.app.base_url)]
    assert shown == [sso_stack.app.redirect_uri, sso_stack.app.url("/widget")], log.documents


@pytest.mark.browser
@pytest.mark.parametrize("scenario_id", SCENARIOS)
def test_the_scenario_passes_against_the_reference_rp(scenario_id: str,
                                                      sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(scenario_id)
    assert result.status == "passed", describe_result(result, sso_run_scenario.report_dir)


@pytest.mark.browser
@pytest.mark.usefixtures("page_on_the_way")
@pytest.mark.parametrize("scenario_id", SCENARIOS)
def test_the_scenario_fails_against_an_app_that_shows_a_page_on_the_way(
        scenario_id: str, sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(scenario_id)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert result.message is not None, report
    assert "a page was shown on the way to http://" in result.message, report
    assert SHOWN in result.message, report
    failed = [step for step in result.steps if step.status == "failed"]
    assert failed and "no page in between" in failed[0].name, report
