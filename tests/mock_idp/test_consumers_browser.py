"""``/consumers`` in a real browser: Next on the username page asks GetCredentialType, which
finds no personal account for a work account, and the page says so in Microsoft account's
words without leaving it; an app for organizations only gets Microsoft account's error page."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from idp_testkit import ALICE, CLIENT_ID, multi_tenant_config
from playwright.sync_api import Page, expect

from mock_idp import create_app, run_in_thread
from mock_idp.config import IdpConfig
from mock_idp.signin import ids

pytestmark = pytest.mark.browser

QUERY = urlencode({"client_id": CLIENT_ID, "response_type": "code", "scope": "openid",
                   "redirect_uri": "http://localhost:5555/auth/callback", "state": "st",
                   "nonce": "n"})


@pytest.fixture
def personal_url() -> Iterator[str]:
    config = multi_tenant_config("AzureADandPersonalMicrosoftAccount")
    with run_in_thread(create_app(config), log_level="critical") as idp:
        yield idp.base_url


def test_next_with_a_work_account_at_consumers_says_it_is_no_microsoft_account(
        page: Page, personal_url: str) -> None:
    page.goto(f"{personal_url}/consumers/oauth2/v2.0/authorize?{QUERY}")
    page.locator(f"#{ids.USERNAME_INPUT}").fill(ALICE)
    url = page.url
    page.locator(f"#{ids.PRIMARY_BUTTON}").click()
    expect(page.locator(f"#{ids.USERNAME_ERROR}")).to_have_text(ids.PERSONAL_ACCOUNT_NOT_FOUND)
    assert page.url == url  # the same document: the script's lookup answered
    expect(page.locator(f"#{ids.PASSWORD_INPUT}")).not_to_be_visible()


def test_an_app_for_organizations_only_gets_microsoft_accounts_page(page: Page) -> None:
    with run_in_thread(create_app(IdpConfig.default()), log_level="critical") as idp:
        page.goto(f"{idp.base_url}/consumers/oauth2/v2.0/authorize?{QUERY}")
        expect(page.get_by_role("heading", name=ids.CONSUMERS_ERROR_HEADING)).to_be_visible()
        expect(page.get_by_text(ids.NOT_ENABLED_FOR_CONSUMERS)).to_be_visible()
