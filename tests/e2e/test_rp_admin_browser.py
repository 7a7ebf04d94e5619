"""The reference relying party's admin page in a real browser: it asks for the admin token,
and once signed in its forms work (CSRF token, and the ``Origin: null`` Chromium sends on a form
POST from a page with ``Referrer-Policy: no-referrer``)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from scenarios.flows import first_login
from scenarios.live import LiveStack
from scenarios.pages import AdminPage, RpAppPage, RpSignedOutPage

pytestmark = pytest.mark.browser


def test_admin_page_needs_the_token_then_its_forms_work(sso_stack: LiveStack,
                                                        sso_page: Page) -> None:
    admin = AdminPage(sso_page)
    admin.open(sso_stack.rp.base_url)
    expect(admin.heading).to_have_text("Admin sign-in")
    expect(sso_page.get_by_text("Contoso")).to_have_count(0)

    sso_page.get_by_label("Admin token").fill("not-the-admin-token-0123")
    sso_page.get_by_role("button", name="Sign in").click()
    expect(sso_page.get_by_role("alert")).to_contain_text("not the admin token")

    admin.sign_in(sso_stack.rp.base_url, sso_stack.app.values["admin_token"])
    expect(sso_page).to_have_url(re.compile(r"/admin$"))
    name = "Contoso (Entra ID)"
    expect(admin.connection(name)).to_contain_text("(enabled)")
    admin.set_enabled(name, False)
    expect(admin.connection(name)).to_contain_text("(disabled)")
    admin.set_enabled(name, True)
    expect(admin.connection(name)).to_contain_text("(enabled)")

    sso_page.get_by_role("button", name="Sign out of the admin pages").click()
    admin.open(sso_stack.rp.base_url)
    expect(admin.heading).to_have_text("Admin sign-in")


def test_sign_out_button_posts_the_apps_own_form(sso_stack: LiveStack, sso_page: Page) -> None:
    first_login(sso_page, sso_stack, sso_stack.people["alice"], "portal")
    sso_page.goto(sso_stack.rp_url("/logout"))  # a link to /logout only asks
    expect(sso_page.get_by_role("heading", name="Sign out?")).to_be_visible()
    RpAppPage(sso_page).sign_out()
    # through the provider's signed-out page, which returns to the app after a moment
    expect(RpSignedOutPage(sso_page).heading).to_be_visible(timeout=20_000)
    me = sso_page.request.get(sso_stack.rp_url("/api/me"))
    assert me.status == 401


def test_a_stale_tab_is_refused_and_delete_asks_for_the_name(sso_stack: LiveStack,
                                                             sso_page: Page) -> None:
    admin = AdminPage(sso_page)
    admin.sign_in(sso_stack.rp.base_url, sso_stack.app.values["admin_token"])
    name = "Contoso (Entra ID)"
    # The connection's own redirect URI, the one its app registration has.
    expect(admin.connection(name)).to_contain_text(sso_stack.app.redirect_uri)
    assert sso_stack.app.redirect_uri == (
        f"{sso_stack.rp.base_url}/auth/callback/{sso_stack.connection_id}")
    tab_b = AdminPage(sso_page.context.new_page())
    for tab in (admin, tab_b):
        tab.open(sso_stack.rp.base_url)
        tab.edit_connection(name)
    admin.fill("Support contact", "it@contoso.test")
    admin.save()
    expect(sso_page.locator("#notice")).to_contain_text(f"Connection {name} (")
    expect(sso_page.locator("#notice")).to_contain_text(") saved.")
    tab_b.fill("Name", "Contoso (stale tab)")
    tab_b.save()
    expect(tab_b.page.get_by_role("heading", level=1)).to_have_text("Changed meanwhile")
    expect(admin.connection(name)).to_contain_text("it@contoso.test")

    sso_page.get_by_role("link", name=f"Delete {name}").click()
    expect(admin.heading).to_have_text(f"Delete {name}?")
    sso_page.get_by_label("Type the connection's name").fill("Contoso")
    sso_page.get_by_role("button", name=f"Delete {name} for good").click()
    expect(sso_page.locator("#confirm_name-error")).to_be_visible()
    sso_page.get_by_label("Type the connection's name").fill(name)
    sso_page.get_by_role("button", name=f"Delete {name} for good").click()
    expect(sso_page.locator("#notice")).to_have_text(
        "Connection deleted: its sign-in URLs no longer work.")
    expect(admin.connection(name)).to_have_count(0)


def test_a_user_is_removed_once_its_removal_is_confirmed(sso_stack: LiveStack,
                                                        sso_page: Page) -> None:
    alice = sso_stack.people["alice"]
    first_login(sso_page, sso_stack, alice, "portal")
    admin = AdminPage(sso_page.context.new_page())
    admin.sign_in(sso_stack.rp.base_url, sso_stack.app.values["admin_token"])
    row = admin.page.locator("tr[data-user-id]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(alice.upn)
    expect(row).to_contain_text(sso_stack.connection_id)
    remove = re.compile(r"^Remove user \d+ ")
    admin.page.get_by_role("link", name=remove).click()
    expect(admin.heading).to_have_text(
        re.compile(rf"^Remove user \d+ \({re.escape(alice.upn)}\)\?$"))
    expect(admin.page.get_by_role("main")).to_contain_text("ends its sessions")
    admin.page.get_by_role("link", name="Back to the admin page").click()
    expect(admin.page.locator("tr[data-user-id]")).to_have_count(1)  # nothing removed yet
    assert sso_page.request.get(sso_stack.rp_url("/api/me")).status == 200
    admin.page.get_by_role("link", name=remove).click()
    admin.page.get_by_role("button", name=remove).click()
    expect(admin.page.locator("#notice")).to_contain_text("removed, and its sessions ended")
    expect(admin.page.locator("tr[data-user-id]")).to_have_count(0)
    # the user's session ended with it
    assert sso_page.request.get(sso_stack.rp_url("/api/me")).status == 401
