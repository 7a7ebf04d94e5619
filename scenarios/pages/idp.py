"""The provider's pages, which have Entra's structure: username, password, "Stay signed in?",
"Pick an account", consent, the error page, the signed-out page and the device-code pages.

Inputs and buttons are found by their labels and roles; the values Entra's own scripts select
(``#idSIButton9``, ``#KmsiDescription``, ``data-test-id`` on account tiles, …) come from the
one table in :mod:`mock_idp.signin.ids`.
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page

from mock_idp.signin import ids


def _id(value: str) -> str:
    return f"#{value}"


class IdpUsernamePage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Sign in", exact=True)
        self.username = page.get_by_label("Email, phone, or Skype")
        self.next = page.get_by_role("button", name="Next", exact=True)
        self.error = page.locator(_id(ids.USERNAME_ERROR))

    def enter(self, username: str) -> None:
        self.username.fill(username)
        self.next.click()


class IdpPasswordPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Enter password", exact=True)
        # The field is named "Enter the password for <upn>", as on Entra (its aria-label).
        self.password = page.get_by_role("textbox", name=ids.PASSWORD_LABEL.strip())
        self.sign_in = page.get_by_role("button", name="Sign in", exact=True)
        self.forgot = page.get_by_role("link", name="Forgot my password")
        self.error = page.locator(_id(ids.PASSWORD_ERROR))

    def enter(self, password: str) -> None:
        self.password.fill(password)
        self.sign_in.click()


class IdpStaySignedInPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name=ids.KMSI_HEADING)
        self.description = page.locator(_id(ids.KMSI_DESCRIPTION))
        self.dont_show_again = page.get_by_label("Don't show this again")
        self.yes = page.get_by_role("button", name="Yes", exact=True)
        self.no = page.get_by_role("button", name="No", exact=True)

    def answer(self, stay: bool, *, dont_show_again: bool = False, wait: bool = True) -> None:
        """Press Yes or No. The answer sends the browser back to the app; ``wait=False``
        returns without waiting for the app's page to start loading (for an app that may take
        longer than the action's timeout to answer its callback)."""
        if dont_show_again:
            self.dont_show_again.check()
        (self.yes if stay else self.no).click(no_wait_after=not wait)


class IdpAccountPickerPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name=ids.PICKER_HEADING)
        self.tiles = page.locator(f"{_id(ids.TILES)} [{ids.TILE_ATTRIBUTE}]")
        self.other = page.get_by_role("button", name=ids.USE_ANOTHER_ACCOUNT)

    def tile(self, upn: str) -> Locator:
        """The tile of ``upn`` in any case (Entra's attribute carries it lowercased)."""
        return self.page.locator(f'{_id(ids.TILES)} [{ids.TILE_ATTRIBUTE}="{upn}" i]')

    def pick(self, upn: str) -> None:
        self.tile(upn).click()


class IdpConsentPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name=ids.CONSENT_HEADING)
        self.accept = page.get_by_role("button", name="Accept", exact=True)
        self.cancel = page.get_by_role("button", name="Cancel", exact=True)


class IdpNeedAdminPage:
    """"Need admin approval": the user may not consent, and only an administrator can."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name=ids.NEED_ADMIN_HEADING)
        self.code: Locator = page.get_by_test_id("error-code")
        self.return_to_app = page.get_by_role("button", name=ids.RETURN_WITHOUT_CONSENT)
        self.switch_to_admin = page.get_by_role("button", name=ids.SWITCH_TO_ADMIN)


class IdpErrorPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_text(ids.ERROR_MESSAGE)
        self.message = page.locator(_id(ids.SERVICE_EXCEPTION))
        self.code: Locator = page.get_by_test_id("error-code")


class IdpSignedOutPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name=ids.SIGNED_OUT_HEADING)
        self.logout_frames = page.get_by_title("Signing out of")


class IdpDeviceLoginPage:
    """``/devicelogin``: the code, then (after signing in) "Are you trying to sign in to …?"
    and the page that says the window may be closed."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Enter code")
        self.code = page.get_by_label("Code", exact=True)
        self.next = page.get_by_role("button", name="Next", exact=True)
        self.error = page.get_by_role("alert")
        self.confirm_heading = page.get_by_role("heading", name="Are you trying to sign in to")
        self.continue_ = page.get_by_role("button", name="Continue", exact=True)
        self.cancel = page.get_by_role("button", name="Cancel", exact=True)
        self.done = page.locator("#message")

    def enter(self, code: str) -> None:
        self.code.fill(code)
        self.next.click()
