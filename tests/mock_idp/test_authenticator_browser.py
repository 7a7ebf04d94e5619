"""An authenticator app's code in a real browser, typed as TOTP login scripts for Entra type it:
``#i0116``, ``#idSIButton9``, ``#i0118``, ``#idSIButton9``, then ``#idTxtBx_SAOTCC_OTC`` and
``#idSubmit_SAOTCC_Continue``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from idp_testkit import ALICE, type_password
from playwright.sync_api import Page, expect

from mock_idp import create_app, run_in_thread, totp
from mock_idp.config import DEFAULT_TENANT_ID, IdpConfig
from mock_idp.signin import ids

pytestmark = pytest.mark.browser

SECRET = "JBSWY3DPEHPK3PXP"


@pytest.fixture
def idp_url() -> Iterator[str]:
    with run_in_thread(create_app(IdpConfig.default()), log_level="critical") as idp:
        yield idp.base_url


def test_a_login_script_types_the_code_after_the_password(page: Page, idp_url: str) -> None:
    registered = httpx.put(
        f"{idp_url}/_mock/tenants/{DEFAULT_TENANT_ID}/users/{ALICE}/authenticator", json={})
    secret = registered.json()["totp_secret"]
    type_password(page, idp_url)
    code = page.locator(f"#{ids.CODE_INPUT}")
    expect(code).to_be_visible()
    code.fill("000000" if totp.code_at(secret, _now(idp_url)) != "000000" else "111111")
    with page.expect_navigation():
        page.click(f"#{ids.CODE_SUBMIT}")
    expect(page.locator(f"#{ids.CODE_ERROR}")).to_have_text(ids.CODE_WRONG)
    code.fill(totp.code_at(secret, _now(idp_url)))
    page.click(f"#{ids.CODE_SUBMIT}")
    expect(page.get_by_role("heading", name=ids.KMSI_HEADING)).to_be_visible()


def test_reloading_the_page_of_a_wrong_code_shows_entras_error_page(page: Page,
                                                                     idp_url: str) -> None:
    """The page a wrong code's post answered, reloaded: a GET of the form's address (the page's
    script made its history entry one, as the password page's does), so Entra's error page with
    AADSTS900561, not the used code posted again."""
    httpx.put(f"{idp_url}/_mock/tenants/{DEFAULT_TENANT_ID}/users/{ALICE}/authenticator",
              json={"totp_secret": SECRET})
    type_password(page, idp_url)
    wrong = "000000" if totp.code_at(SECRET, _now(idp_url)) != "000000" else "111111"
    page.fill(f"#{ids.CODE_INPUT}", wrong)
    with page.expect_navigation():
        page.click(f"#{ids.CODE_SUBMIT}")
    expect(page.locator(f"#{ids.CODE_ERROR}")).to_have_text(ids.CODE_WRONG)
    response = page.reload()
    assert response is not None and response.request.method == "GET"
    assert page.inner_text(f"#{ids.SERVICE_EXCEPTION}") == (
        "AADSTS900561: The endpoint only accepts POST requests. Received a GET request.")


def _now(idp_url: str) -> datetime:
    """The provider's clock, which decides which code is current."""
    return datetime.fromisoformat(httpx.get(f"{idp_url}/_mock/clock").json()["now"])
