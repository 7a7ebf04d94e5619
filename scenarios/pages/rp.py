"""The reference relying party's pages: customer apps, the failure page, admin, signed-out."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


class RpAppPage:
    """``/widget``, ``/portal``, ``/kb`` and the partner home page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.signed_in_as = page.locator("#signed-in-as")
        self.email = page.locator("#user-email")
        self.sign_out_button = page.get_by_role("button", name="Sign out")

    def sign_out(self) -> None:
        self.sign_out_button.click()


class FailurePage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Sign-in failed")
        self.message = page.locator("#failure-message")
        self.reference = page.locator("#error-ref")
        self.contact = page.locator("#support-contact")
        self.idp_error_code = page.locator("#idp-error-code")
        self.admin_hint = page.locator("#admin-hint")


class RpSignedOutPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="You are signed out")
        self.unconfirmed = page.locator("#signed-out-unconfirmed")


class AdminPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", level=1)
        self.client_secret = page.get_by_label("Client Secret", exact=True)
        self.secret_expires_on = page.get_by_label("Client secret expiry date")

    def connection(self, name: str) -> Locator:
        """The admin page's section about one connection (title, health, actions)."""
        return self.page.get_by_role("region", name=name)

    def set_enabled(self, name: str, enabled: bool) -> None:
        verb = "Enable" if enabled else "Disable"
        self.page.get_by_role("button", name=f"{verb} {name}").click()

    def open(self, base_url: str) -> None:
        self.page.goto(f"{base_url}/admin")

    def sign_in(self, base_url: str, admin_token: str) -> None:
        """Sign in to the admin pages with the RP's admin token; lands on the admin page."""
        self.page.goto(f"{base_url}/admin/sign-in")
        self.page.get_by_label("Admin token").fill(admin_token)
        self.page.get_by_role("button", name="Sign in").click()

    def edit_connection(self, name: str) -> None:
        self.page.get_by_role("link", name=f"Edit {name}").click()

    def fill(self, label: str, value: str) -> None:
        self.page.get_by_label(label).fill(value)

    def save(self) -> None:
        self.page.get_by_role("button", name="Save changes").click()
