""""Update your password" in a real browser, answered as scripts that set a new account's first
password answer it: ``#i0116``, ``#idSIButton9``, ``#i0118``, ``#idSIButton9``, then
``#currentPassword``, ``#newPassword``, ``#confirmNewPassword`` and ``#idSIButton9``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from idp_testkit import ALICE, password, type_password
from playwright.sync_api import Page, expect

from mock_idp import create_app, run_in_thread
from mock_idp.config import IdpConfig, default_tenant
from mock_idp.signin import ids, password_change

pytestmark = pytest.mark.browser


@pytest.fixture
def idp_url() -> Iterator[str]:
    tenant = default_tenant()
    users = tuple(replace(u, force_change_password=True) if u.upn == ALICE else u
                  for u in tenant.users)
    config = IdpConfig(tenants=(replace(tenant, users=users),))
    with run_in_thread(create_app(config), log_level="critical") as idp:
        yield idp.base_url


def test_a_script_sets_the_first_password_after_the_temporary_one(
        page: Page, idp_url: str) -> None:
    type_password(page, idp_url)
    current = page.locator(f"#{ids.CURRENT_PASSWORD_INPUT}")
    expect(current).to_be_visible()
    expect(page.locator(f'meta[name="{ids.PAGE_ID_META}"]')).to_have_attribute(
        "content", ids.PAGE_CHANGE_PASSWORD)
    expect(page.get_by_role("heading", name=ids.CHANGE_PASSWORD_HEADING)).to_be_visible()
    current.fill(password(ALICE))
    page.fill(f"#{ids.NEW_PASSWORD_INPUT}", "Winter-2027 sky")
    page.fill(f"#{ids.CONFIRM_PASSWORD_INPUT}", "Winter-2027 skies")
    with page.expect_navigation():
        page.click(f"#{ids.PRIMARY_BUTTON}")
    expect(page.locator(f"#{ids.PASSWORD_ERROR}")).to_have_text(password_change.NOT_MATCHING)
    page.fill(f"#{ids.CURRENT_PASSWORD_INPUT}", password(ALICE))
    page.fill(f"#{ids.NEW_PASSWORD_INPUT}", "Winter-2027 sky")
    page.fill(f"#{ids.CONFIRM_PASSWORD_INPUT}", "Winter-2027 sky")
    page.click(f"#{ids.PRIMARY_BUTTON}")
    expect(page.get_by_role("heading", name=ids.KMSI_HEADING)).to_be_visible()


def test_reloading_the_page_of_a_wrong_answer_shows_entras_error_page(
        page: Page, idp_url: str) -> None:
    """As for a wrong password or code: the reload is a GET of the form's address (the page's
    script made its history entry one), so Entra's AADSTS900561 page, not the form posted
    again with a used flow token."""
    type_password(page, idp_url)
    page.fill(f"#{ids.CURRENT_PASSWORD_INPUT}", password(ALICE))
    page.fill(f"#{ids.NEW_PASSWORD_INPUT}", "Winter-2027 sky")
    page.fill(f"#{ids.CONFIRM_PASSWORD_INPUT}", "Winter-2027 skies")
    with page.expect_navigation():
        page.click(f"#{ids.PRIMARY_BUTTON}")
    expect(page.locator(f"#{ids.PASSWORD_ERROR}")).to_have_text(password_change.NOT_MATCHING)
    response = page.reload()
    assert response is not None and response.request.method == "GET"
    assert page.inner_text(f"#{ids.SERVICE_EXCEPTION}") == (
        "AADSTS900561: The endpoint only accepts POST requests. Received a GET request.")
