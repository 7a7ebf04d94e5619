"""Sign-in page drivers: how a scenario gets through a provider's own sign-in pages.

A driver knows one provider's pages (their labels and buttons), never the scenario's intent:

- :class:`MockDriver`: the mock provider's page (``Email or username``, ``Password``, ``Sign in``).
- :class:`EntraDriver`: Microsoft Entra ID's pages: username then **Next**, password then
  **Sign in**, then "Stay signed in?" answered **No** (or **Yes**); an account picker, when shown,
  is answered by picking the account.
- :class:`FormDriver`: any single- or two-step form (Keycloak, node oidc-provider, ...),
  configured by the visible labels or placeholders of its fields and the names of its buttons.

Passwords are typed into ``type=password`` fields only, which screenshots mask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

__all__ = ["EntraDriver", "FormDriver", "MockDriver", "SignInDriver", "driver_from_config"]


@runtime_checkable
class SignInDriver(Protocol):
    @property
    def name(self) -> str: ...

    def sign_in(self, page: Page, username: str, password: str) -> None:
        """Expect the provider's sign-in page and complete it."""

    def expect_sign_in_page(self, page: Page) -> None:
        """Assert the provider's sign-in page is showing (nothing is typed)."""

    @property
    def can_cancel(self) -> bool: ...

    def cancel(self, page: Page) -> None:
        """Leave the sign-in page by its cancel control (only when ``can_cancel``)."""

    def confirm_sign_out(self, page: Page) -> None:
        """Answer the provider's sign-out confirmation, if it asks one."""


def _field(page: Page, text: str) -> Locator:
    """A text field by its label, or failing that its placeholder."""
    return page.get_by_label(text, exact=True).or_(page.get_by_placeholder(text, exact=True))


def _control(page: Page, name: str) -> Locator:
    """A button or link by its accessible name."""
    exact = re.compile(rf"^\s*{re.escape(name)}\s*$")
    return page.get_by_role("button", name=exact).or_(page.get_by_role("link", name=exact))


@dataclass(frozen=True)
class MockDriver:
    """The mock provider's sign-in page."""

    name: str = "mock"

    def sign_in(self, page: Page, username: str, password: str) -> None:
        from scenarios.pages import IdpSignInPage

        self.expect_sign_in_page(page)
        IdpSignInPage(page).sign_in_as(username, password)

    def expect_sign_in_page(self, page: Page) -> None:
        from playwright.sync_api import expect

        from scenarios.pages import IdpSignInPage

        expect(IdpSignInPage(page).heading).to_be_visible()

    @property
    def can_cancel(self) -> bool:
        return True

    def cancel(self, page: Page) -> None:
        from scenarios.pages import IdpSignInPage

        IdpSignInPage(page).cancel()

    def confirm_sign_out(self, page: Page) -> None:
        return None


@dataclass(frozen=True, kw_only=True)
class FormDriver:
    """A generic sign-in form, by the texts a person sees.

    ``username_field`` / ``password_field``: label or placeholder text. ``next_button``: for
    two-step forms (username, then password on the next page). ``consent_button``: clicked when
    the provider asks for consent after sign-in. ``cancel_control``: a button or link that
    cancels sign-in. ``sign_out_button``: the provider's sign-out confirmation.
    """

    username_field: str = "Username"
    password_field: str = "Password"
    submit_button: str = "Sign in"
    next_button: str | None = None
    consent_button: str | None = None
    cancel_control: str | None = None
    sign_out_button: str | None = None
    name: str = "form"

    def expect_sign_in_page(self, page: Page) -> None:
        from playwright.sync_api import expect

        expect(_field(page, self.username_field)).to_be_visible()

    def sign_in(self, page: Page, username: str, password: str) -> None:
        self.expect_sign_in_page(page)
        _field(page, self.username_field).fill(username)
        if self.next_button:
            _control(page, self.next_button).click()
        _field(page, self.password_field).fill(password)
        if self.consent_button:
            start = page.url
            _control(page, self.submit_button).click()
            _answer_if_shown(page, _control(page, self.consent_button), leaving=start)
        else:
            _control(page, self.submit_button).click()

    @property
    def can_cancel(self) -> bool:
        return self.cancel_control is not None

    def cancel(self, page: Page) -> None:
        if self.cancel_control is None:
            raise RuntimeError("this form driver has no cancel_control configured")
        _control(page, self.cancel_control).click()

    def confirm_sign_out(self, page: Page) -> None:
        if self.sign_out_button:
            _answer_if_shown(page, _control(page, self.sign_out_button), leaving=page.url)


def _answer_if_shown(page: Page, control: Locator, *, leaving: str, timeout_ms: float = 10_000
                     ) -> None:
    """Click ``control`` if it appears before the browser has left the provider's host."""
    from urllib.parse import urlsplit

    host = urlsplit(leaving).netloc
    deadline = timeout_ms
    step = 100
    while deadline > 0:
        if control.count() and control.first.is_visible():
            control.first.click()
            return
        if urlsplit(page.url).netloc not in ("", host):
            return
        page.wait_for_timeout(step)
        deadline -= step


@dataclass(frozen=True, kw_only=True)
class EntraDriver:
    """Microsoft Entra ID's sign-in pages (login.microsoftonline.com)."""

    stay_signed_in: bool = False
    """Answer "Stay signed in?" with Yes instead of No."""
    name: str = "entra"

    def expect_sign_in_page(self, page: Page) -> None:
        from playwright.sync_api import expect

        expect(self._username(page).or_(page.get_by_role("heading", name="Pick an account"))
               ).to_be_visible()

    @staticmethod
    def _username(page: Page) -> Locator:
        return page.locator("input[name=loginfmt]").or_(page.get_by_role("textbox", name=re.compile(
            "email|phone|skype", re.IGNORECASE)))

    def sign_in(self, page: Page, username: str, password: str) -> None:
        self.expect_sign_in_page(page)
        picker = page.get_by_role("heading", name="Pick an account")
        if picker.is_visible():
            tile = page.get_by_role("button", name=re.compile(re.escape(username), re.IGNORECASE))
            if tile.count():
                tile.first.click()
            else:
                page.get_by_text("Use another account").click()
        username_field = self._username(page)
        if username_field.first.is_visible():
            username_field.first.fill(username)
            page.get_by_role("button", name="Next").click()
        password_field = page.locator("input[type=password][name=passwd]")
        password_field.wait_for(state="visible")
        password_field.fill(password)
        start = page.url
        page.get_by_role("button", name="Sign in").click()
        answer = "Yes" if self.stay_signed_in else "No"
        _answer_if_shown(page, page.get_by_role("button", name=answer, exact=True), leaving=start)

    @property
    def can_cancel(self) -> bool:
        return False

    def cancel(self, page: Page) -> None:
        raise RuntimeError("Entra's sign-in page has no cancel control")

    def confirm_sign_out(self, page: Page) -> None:
        return None


def driver_from_config(table: dict[str, object]) -> SignInDriver:
    """A driver from the ``[driver]`` table of an ``--idp`` config (``kind`` names it)."""
    kind = str(table.get("kind", "form"))
    options = {k.replace("-", "_"): v for k, v in table.items() if k != "kind"}
    if kind == "entra":
        stay = str(options.pop("stay_signed_in", "no")).lower() in ("yes", "true", "1")
        if options:
            raise ValueError(f"unknown [driver] option(s) for entra: {', '.join(sorted(options))}")
        return EntraDriver(stay_signed_in=stay)
    if kind == "mock":
        return MockDriver()
    if kind != "form":
        raise ValueError(f"[driver] kind must be 'entra' or 'form', not {kind!r}")
    allowed = {"username_field", "password_field", "submit_button", "next_button",
               "consent_button", "cancel_control", "sign_out_button"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(f"unknown [driver] option(s) for form: {', '.join(unknown)}")
    return FormDriver(**{k: str(v) for k, v in options.items()})
