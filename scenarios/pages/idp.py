"""The mock provider's pages: sign-in, account picker, error page, signed-out page."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


class IdpSignInPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Sign in")
        self.username = page.get_by_label("Email or username")
        self.password = page.get_by_label("Password")
        self.submit = page.get_by_role("button", name="Sign in")
        self.cancel_button = page.get_by_role("button", name="Cancel")
        self.error = page.get_by_role("alert")
        self.picker_heading = page.get_by_role("heading", name="Pick an account")

    def sign_in_as(self, upn: str, password: str) -> None:
        self.username.fill(upn)
        self.password.fill(password)
        self.submit.click()

    def cancel(self) -> None:
        self.cancel_button.click()

    def continue_as(self, upn: str) -> None:
        self.page.get_by_role("button", name=f"Continue as {upn}").click()


class IdpErrorPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Sorry, but we're having trouble")
        self.message = page.get_by_role("alert")
        self.code: Locator = page.get_by_test_id("error-code")


class IdpSignedOutPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="You signed out of your account")
        self.logout_frames = page.get_by_title("Signing out of")
