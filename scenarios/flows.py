"""Reusable journeys: plain functions over a page and a live stack, for scenarios and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import Page, Response, expect

from scenarios.drivers import EntraDriver
from scenarios.live import LiveStack, Person
from scenarios.pages import (
    FailurePage,
    IdpPasswordPage,
    IdpStaySignedInPage,
    IdpUsernamePage,
    RpAppPage,
)

RP_SESSION_COOKIE = "rp_session"


@dataclass
class NavigationLog:
    """Every main-frame document the browser received: (url, status)."""

    page: Page
    documents: list[tuple[str, int]] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    """The request method of each of ``documents``."""

    def __post_init__(self) -> None:
        self.page.on("response", self._record)

    def _record(self, response: Response) -> None:
        request = response.request
        if request.resource_type == "document" and request.frame == self.page.main_frame:
            self.documents.append((response.url, response.status))
            self.methods.append(request.method)

    def pages_shown_from(self, base_url: str) -> list[str]:
        """Documents from ``base_url`` that rendered (not redirects)."""
        host = urlsplit(base_url).netloc
        return [url for url, status in self.documents
                if urlsplit(url).netloc == host and not 300 <= status < 400]

    def pages_opened_from(self, base_url: str) -> list[str]:
        """Documents from ``base_url`` that rendered and were navigated to, not answers to a
        form: one per sign-in the provider asked for (its later pages answer its own forms)."""
        host = urlsplit(base_url).netloc
        return [url for (url, status), method in zip(self.documents, self.methods, strict=True)
                if urlsplit(url).netloc == host and not 300 <= status < 400 and method == "GET"]

    def reset(self) -> None:
        self.documents.clear()
        self.methods.clear()


def sign_in_at_idp(page: Page, person: Person, driver: EntraDriver | None = None) -> None:
    """Expect the provider's sign-in pages and sign in on them (Entra's: username, password,
    "Stay signed in?" answered No, consent accepted if asked)."""
    (driver or EntraDriver()).sign_in(page, person.upn, person.password)


def up_to_stay_signed_in(page: Page, upn: str, password: str) -> IdpStaySignedInPage:
    """Answer the provider's username and password pages and stop at "Stay signed in?", whose
    answer sends the browser back to the app: for tests that watch or hold that step."""
    IdpUsernamePage(page).enter(upn)
    IdpPasswordPage(page).enter(password)
    kmsi = IdpStaySignedInPage(page)
    expect(kmsi.heading).to_be_visible()
    return kmsi


def expect_signed_in(page: Page, person: Person, *, path: str | None = None) -> None:
    app = RpAppPage(page)
    expect(app.signed_in_as).to_contain_text(person.name)
    if path is not None:
        expect(page).to_have_url(f"{urlsplit(page.url).scheme}://{urlsplit(page.url).netloc}"
                                 f"{path}")


def first_login(page: Page, stack: LiveStack, person: Person, app: str = "widget") -> None:
    """Follow a customer sign-in URL, sign in once at the provider, land on the app."""
    page.goto(stack.sign_in_url(app))
    sign_in_at_idp(page, person)
    expect_signed_in(page, person, path=f"/{app}")


def expect_failure(page: Page, stack: LiveStack, *, idp_code: str | None = None,
                   contact: str | None = None, logged_code: str | None = None) -> str:
    """Expect the relying party's failure page; return its error reference, checked against
    the admin error log (and, with ``logged_code``, the failure class logged there)."""
    failure = FailurePage(page)
    expect(failure.heading).to_be_visible()
    expect(failure.contact).to_have_text(contact or stack.options.support_contact)
    if idp_code is not None:
        expect(failure.idp_error_code).to_contain_text(idp_code)
    reference = failure.reference.inner_text().strip()
    assert reference, "the failure page shows no error reference"
    logged = stack.rp_error(reference)
    assert logged.get("ref") == reference, f"error log has no entry for {reference}: {logged}"
    if logged_code is not None:
        assert logged.get("code") == logged_code, (
            f"error {reference} was logged as {logged.get('code')!r}, expected {logged_code!r}: "
            f"{logged.get('detail')}")
    me = page.request.get(stack.rp_url("/api/me"))
    assert me.status == 401, f"/api/me answered {me.status} after a failed sign-in"
    return reference


def expect_signed_out(page: Page, stack: LiveStack) -> None:
    me = page.request.get(stack.rp_url("/api/me"))
    assert me.status == 401, f"/api/me answered {me.status}; the user is still signed in"


def install_partner(stack: LiveStack) -> str:
    """The platform installs the app and the RP accepts ``app.installed``; the installation id."""
    result = stack.install_partner_app()
    delivery = result["delivery"]
    assert delivery["status"] == 200, f"the RP did not accept app.installed: {delivery}"
    return str(result["installation"]["installation_id"])


def oid_of(stack: LiveStack, person: Person) -> str:
    """The person's user object id at the provider (the platform's user id)."""
    return str(stack.graph("GET", f"users/{person.upn}")["id"])


def launch_and_sign_in(page: Page, stack: LiveStack, installation_id: str,
                       person: Person) -> None:
    """Open the standalone URL as ``person`` with no IdP session: sign in once, land home."""
    page.goto(stack.launch_url(installation_id, oid_of(stack, person)))
    sign_in_at_idp(page, person)
    expect_signed_in(page, person, path="/")


def drop_rp_session(page: Page) -> None:
    """Sign out of the relying party locally: forget its session cookie, keep the IdP's."""
    page.context.clear_cookies(name=RP_SESSION_COOKIE)


def idp_logout_url(stack: LiveStack) -> str:
    """The provider's v2 end-session endpoint, as a user signing out at the IdP would open it."""
    return stack.idp_url(f"/{stack.tenant_id}/oauth2/v2.0/logout")
