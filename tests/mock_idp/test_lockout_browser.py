"""Smart lockout on the sign-in page, in a real browser: wrong passwords lock the account, the
right one is refused while it lasts, and it works again once the clock has passed it."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from idp_testkit import BOB, CLIENT_ID, password
from playwright.sync_api import Page, expect

from mock_idp import create_app, run_in_thread
from mock_idp.config import DEFAULT_TENANT_ID, IdpConfig
from mock_idp.signin import ids

pytestmark = pytest.mark.browser


@pytest.fixture
def idp_url() -> Iterator[str]:
    with run_in_thread(create_app(IdpConfig.default()), log_level="critical") as idp:
        httpx.patch(f"{idp.base_url}/_mock/tenants/{DEFAULT_TENANT_ID}",
                    json={"lockout_threshold": 3}).raise_for_status()
        yield idp.base_url


def _try(page: Page, secret: str) -> None:
    """Type a password and sign in, waiting for the page that answers (each answer is a new
    document, so the next attempt never types into the one before)."""
    page.locator(f"#{ids.PASSWORD_INPUT}").fill(secret)
    with page.expect_navigation():
        page.locator(f"#{ids.PRIMARY_BUTTON}").click()


def test_wrong_passwords_lock_the_account_until_the_clock_passes_it(
        page: Page, idp_url: str) -> None:
    page.goto(f"{idp_url}/{DEFAULT_TENANT_ID}/oauth2/v2.0/authorize?" + urlencode({
        "client_id": CLIENT_ID, "response_type": "code", "scope": "openid",
        "redirect_uri": "http://localhost/auth/callback", "state": "st", "nonce": "n"}))
    page.locator(f"#{ids.USERNAME_INPUT}").fill(BOB)
    page.locator(f"#{ids.PRIMARY_BUTTON}").click()
    error = page.locator(f"#{ids.PASSWORD_ERROR}")
    for guess in ("first-guess", "second-guess"):
        _try(page, guess)
        expect(error).to_contain_text("Your account or password is incorrect")
    _try(page, "third-guess")
    expect(error).to_have_text(ids.ACCOUNT_LOCKED)
    _try(page, password(BOB))  # the right password, while locked
    expect(error).to_have_text(ids.ACCOUNT_LOCKED)
    expect(page.locator("#passwordErrorCode")).to_have_text("AADSTS50053")
    httpx.post(f"{idp_url}/_mock/clock", json={"advance_seconds": 60}).raise_for_status()
    _try(page, password(BOB))
    expect(page.get_by_role("heading", name=ids.KMSI_HEADING)).to_be_visible()
