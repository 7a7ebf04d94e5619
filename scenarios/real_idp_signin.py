"""Whether a sign-in against a real provider ended signed in, and what to do when the provider
refused the test user.

A sign-in that stops at the provider's error or on the app's failure page fails as soon as
that shows, not when the wait for the app runs out. When the provider refused the account
itself (a wrong password or authenticator code, an unknown, locked or disabled user, a user
not assigned to an app that requires assignment, which Entra sends the app as AADSTS50105),
or asked it for what the driver cannot give (a second factor, a new password), every sign-in
after it would be refused too, and each failed password counts toward the account's lockout
(Entra's smart lockout locks it after 10 by default): the scenarios left are skipped, saying
what to change (the ``[user]`` key to check, or the account's set-up at the provider).

So it is when the provider shows its error page instead of any sign-in page because the app
registration does not list the relying party's redirect URI (Entra's AADSTS50011, or
AADSTS500113 for a registration with none): every sign-in sends that URI, so the first says
which URI to register and where, and the scenarios left are skipped with it. And so when the
provider refuses the app registration itself (an unknown client id, a disabled app, a wrong
or expired client secret: :mod:`scenarios.real_idp_registration`).
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterator, Mapping

from playwright.sync_api import Page, expect

from scenarios import ScenarioContext, flows
from scenarios.conformance.judging import Refusal
from scenarios.conformance.refusals import (
    RefusalKind,
    described_refusal,
    driver_refusal,
    refusal_kind,
    shown_refusal,
)
from scenarios.context import NotExercised
from scenarios.doctor.checks.client import REDIRECT_ERRORS
from scenarios.drivers import PasswordChangeRequired, SecondFactorRequired, Waiting
from scenarios.flows import SHOWN_TEXT
from scenarios.masking import quoted
from scenarios.pages import FailurePage, RpAppPage
from scenarios.real_idp import RealIdpStack
from scenarios.real_idp_notes import note_address
from scenarios.real_idp_registration import first_sentence, refused_app, refused_secret
from scenarios.settled_error import until_unless_settled_error

__all__ = ["expect_sign_in_page", "expect_signed_in", "refused_user", "sign_in_at_provider",
           "unless_refused", "unregistered_elsewhere", "unregistered_redirect"]

_ACCOUNT_ADVICE: Mapping[RefusalKind, str] = {
    "unknown_user": "check [user] username (no such user)",
    "wrong_password": "check [user] password_env (or password_file)",
    "wrong_credentials": "check [user] username and password_env (or password_file)",
    "wrong_code": "check [user] totp_secret_env (the authenticator app's base32 secret)",
    "locked": "check [user] password_env (or password_file), then wait until the account "
              "unlocks (locked after too many failed sign-ins)",
    "expired": "set a new password at the provider and in [user] password_env (or "
               "password_file) (it has expired)",
    "disabled": "enable the account, or give another [user] username (it is disabled)",
    "second_factor": "give a [user] username that Conditional Access excludes from MFA, or set "
                     "[user] totp_secret_env (or totp_secret_file) to its authenticator app's "
                     "secret, with that app's code its default sign-in method (the account must "
                     "give a second factor, which this run cannot answer)",
    "not_assigned": "assign [user] username to the app (Entra admin center: Enterprise apps > "
                    "the app > Users and groups), or turn its Assignment required? off (its "
                    "Properties), or give another [user] username (the user is not assigned to "
                    "the app, which requires it)",
    "account_action": "sign in once by hand to do what the provider asks (a new password), "
                      "then update [user] password_env (or password_file)",
}
"""What to change, in the config file or at the provider, for each refusal of the account
(:func:`refusal_kind`)."""


def refused_user(username: str, refusal: Refusal) -> str | None:
    """What to change when the provider refused ``username`` itself; ``None`` for any other
    refusal (one that is the app's or the connection's)."""
    if (kind := refusal_kind(refusal)) is None or kind not in _ACCOUNT_ADVICE:
        return None
    return (f"{_ACCOUNT_ADVICE[kind]}: the provider refused the sign-in of {username} "
            f"(\"{refusal.text}\")")


_UNREGISTERED_REDIRECT = frozenset({50011, 500113})
"""Entra's codes for a redirect URI the app registration does not list (AADSTS50011: "The
redirect URI '…' specified in the request does not match the redirect URIs configured for the
application '…'") and for a registration that lists none (AADSTS500113). Entra shows them on
its error page at the authorization endpoint and never redirects back (Microsoft Learn, "Error
AADSTS50011 with OpenID authentication", learn.microsoft.com/troubleshoot/entra/entra-id/
app-integration/error-code-aadsts50011-redirect-uri-mismatch); the page carries the message in
``#service_exception_message`` (:data:`mock_idp.signin.ids.SERVICE_EXCEPTION`, the id
aws-azure-login's ``src/login.ts`` reads on Entra's pages), which
:func:`~scenarios.conformance.refusals.shown_refusal` reads as a ``page`` refusal. The code is
matched, not the wording, which Entra has changed before ("The reply url specified in the
request does not match …")."""
_REDIRECT_URIS_AT = ("Entra admin center: App registrations > the app > Authentication > "
                     "Platform configurations > Web > Redirect URIs")
"""Where an app registration's Web redirect URIs are added (Microsoft Learn, "How to add a
redirect URI to your application", learn.microsoft.com/entra/identity-platform/
how-to-add-redirect-uri)."""


def unregistered_redirect(uri: str, client_id: str, refusal: Refusal) -> str | None:
    """What to register, and where, when Entra's error page refused the relying party's
    redirect URI ``uri`` (:data:`_UNREGISTERED_REDIRECT`); ``None`` for any other refusal.
    The provider's words are quoted to their first sentence (:func:`first_sentence`)."""
    if refusal.where != "page" or refusal.aadsts not in _UNREGISTERED_REDIRECT:
        return None
    said = first_sentence(refusal.text)
    return _register(uri, f"the app {client_id} ({_REDIRECT_URIS_AT}; ", f'"{said}"')


def unregistered_elsewhere(uri: str, client_id: str, shown: str) -> str | None:
    """The same for another provider, from the text its error page ``shown``: the lines with
    the words such a page says (:data:`~scenarios.doctor.checks.client.REDIRECT_ERRORS`, as
    ``doctor`` judges them; node oidc-provider's ``error`` and ``error_description`` lines
    both); ``None`` without one."""
    said = [line.strip() for line in shown.splitlines()
            if any(words in line.lower() for words in REDIRECT_ERRORS)]
    if not said:
        return None
    return _register(uri, f"the client {client_id} at the provider (",
                     quoted(" / ".join(said), SHOWN_TEXT))


def _register(uri: str, of: str, said: str) -> str:
    """What to register, of what (and where), and the provider's words, quoted."""
    return (f"register {uri} as a redirect URI of {of}`python -m scenarios doctor` checks it, "
            f"given --redirect-uri {uri}): the provider refused it on its error page ({said})")


def _page_text(page: Page) -> str:
    """What the page shows, read within a second; ``""`` when it cannot be read (it runs
    while a failure is being reported)."""
    try:
        return page.locator("body").inner_text(timeout=1000)
    except Exception:
        return ""


@contextlib.contextmanager
def _redirect_refusal_kept(page: Page, stack: RealIdpStack) -> Iterator[None]:
    """A sign-in that fails on the provider's error page for an unregistered redirect URI
    fails saying what to register, and one that refuses the app itself (:func:`refused_app`)
    what to change; the scenarios left are skipped (:func:`unless_refused`)."""
    try:
        yield
    except AssertionError:
        uri, client_id = stack.app.redirect_uri, stack.config.client_id
        if (refusal := shown_refusal(page)) is not None:
            if (refused := refused_app(client_id, refusal)) is not None:
                stack.app_refused = f"{refused}; this run signs in no more: every sign-in " \
                                    "sends the same client id"
                raise AssertionError(refused) from None
            said = unregistered_redirect(uri, client_id, refusal)
            how = f" (AADSTS{refusal.aadsts})"
        else:
            said, how = unregistered_elsewhere(uri, client_id, _page_text(page)), ""
        if said is None:
            raise
        stack.app_refused = (f"the provider refused the relying party's redirect URI {uri} on "
                             f"its error page{how}: register it at the provider, as the failed "
                             "scenario says; this run signs in no more: every sign-in sends the "
                             "same redirect URI")
        raise AssertionError(said) from None


def expect_sign_in_page(page: Page, stack: RealIdpStack) -> None:
    """The provider's sign-in page (the driver's
    :meth:`~scenarios.drivers.SignInDriver.expect_sign_in_page`); its error page for an
    unregistered redirect URI fails saying what to register."""
    with _redirect_refusal_kept(page, stack):
        stack.driver.expect_sign_in_page(page)


def _refuse(stack: RealIdpStack, refusal: Refusal) -> str | None:
    """Keep on ``stack`` that the provider refused the test user (:func:`unless_refused`)
    and say what to change; ``None`` for a refusal that is not the user's."""
    if (refused := refused_user(stack.user.username, refusal)) is not None:
        stack.refused = refused
    return refused


def sign_in_at_provider(page: Page, stack: RealIdpStack, *, waiting: Waiting | None = None
                        ) -> None:
    """Answer the provider's sign-in pages as the test user. A page the driver cannot answer
    for the account (a second factor, a new password) fails saying what to change, and is
    kept as a refusal of the user; the provider's error page for an unregistered redirect URI
    fails saying what to register."""
    try:
        with _redirect_refusal_kept(page, stack):
            stack.driver.sign_in(page, stack.user.username, stack.user.password.reveal(),
                                 waiting=waiting)
    except (SecondFactorRequired, PasswordChangeRequired) as exc:
        refused = _refuse(stack, driver_refusal(exc))
        raise AssertionError(refused or str(exc)) from None


def expect_signed_in(page: Page, stack: RealIdpStack, app: str) -> None:
    """Signed in to ``app``; else the failure says what the page showed instead (the
    provider's error, a wrong code or password, or the app's failure page), as soon as it
    shows, or an error page that stays (the browser's own, after a redirect loop or a
    connection closed without an answer: :mod:`scenarios.settled_error`). A refusal of the
    test user is kept on ``stack`` (:func:`unless_refused`); whether the app holds an
    address for the user too (:func:`note_address`)."""
    signed_in = RpAppPage(page).signed_in_as
    stopped = page.locator(f":is({', '.join(flows.PROVIDER_ERRORS)}):visible").or_(
        FailurePage(page).heading)
    try:
        until_unless_settled_error(page, lambda timeout: expect(
            signed_in.or_(stopped).first).to_be_visible(timeout=timeout))
    except AssertionError as exc:
        raise AssertionError(f"{_not_signed_in(page, stack)}\n{exc}") from exc
    if signed_in.count() == 0 and stopped.count() > 0:
        raise AssertionError(_not_signed_in(page, stack))
    try:
        expect(signed_in).to_contain_text("Signed in as")
        if stack.user.display_name:
            expect(signed_in).to_contain_text(stack.user.display_name)
        expect(page).to_have_url(re.compile(rf"^{re.escape(stack.rp.base_url)}/{app}(\?.*)?$"))
    except AssertionError as exc:
        raise AssertionError(f"{_not_signed_in(page, stack)}\n{exc}") from exc
    note_address(page, stack)  # noted under the results when it holds none


def _not_signed_in(page: Page, stack: RealIdpStack) -> str:
    logged = _logged(page, stack)
    refusal = shown_refusal(page) or (_sent_refusal(logged[1]) if logged else None)
    if refusal is not None and (refused := _refuse(stack, refusal)) is not None:
        return refused
    shown = _logged_failure(*logged) if logged else flows.page_shows(page)
    if logged and (refused := refused_secret(logged[1].get("idp_error_code"))) is not None:
        stack.app_refused = (f"{refused}; this run signs in no more: every sign-in sends the "
                             "same client secret")
        return f"{refused}\n{stack.user.username} is not signed in: {shown}"
    return f"{stack.user.username} is not signed in: {shown}"


def _logged(page: Page, stack: RealIdpStack) -> tuple[str, Mapping[str, object]] | None:
    """The reference on the app's failure page and its entry in the app's admin error log;
    ``None`` off that page or without an entry. Never raises (it runs while a failure is being
    reported)."""
    failure = FailurePage(page)
    try:
        if not failure.heading.is_visible():
            return None
        reference = failure.reference.inner_text(timeout=1000).strip()
        logged = stack.rp_error(reference) if reference else None
    except Exception:
        return None
    return (reference, logged) if logged else None


def _sent_refusal(logged: Mapping[str, object]) -> Refusal | None:
    """The provider's error sent to the app, as the app logged it (``idp_error``: its OAuth
    error, then its description): Entra sends AADSTS50105 so."""
    error, _, description = str(logged.get("detail") or "").partition(": ")
    if logged.get("code") != "idp_error" or not error:
        return None
    return described_refusal(error, description)


def _logged_failure(reference: str, logged: Mapping[str, object]) -> str:
    """The app's failure page as its admin error log tells it: the provider's code and the
    hint for the administrator, which the page shows the user only as a reference (the
    first line), then the logged code and what the provider said."""
    idp_code, hint = logged.get("idp_error_code"), logged.get("admin_hint")
    said = " ".join(f"{text}" for text in (idp_code and f"{idp_code}:", hint) if text)
    detail = " ".join(str(logged.get("detail") or "").split())[:200]
    return (f"the app's failure page, error {reference}: {said or logged.get('message')}\n"
            f"logged as {logged.get('code')}: {detail}")


def unless_refused(run: Callable[[ScenarioContext[RealIdpStack]], None]
                   ) -> Callable[[ScenarioContext[RealIdpStack]], None]:
    """``run``, skipped once the provider has refused the relying party's app registration
    (its redirect URI, client id or secret, or a disabled app) or the test user in this run."""

    @functools.wraps(run)
    def guarded(ctx: ScenarioContext[RealIdpStack]) -> None:
        if (app_refused := ctx.env.app_refused) is not None:
            raise NotExercised(app_refused)
        if (refused := ctx.env.refused) is not None:
            raise NotExercised(f"{refused}; this run signs in no more: each sign-in would be "
                               "refused the same way (and wrong passwords or codes count "
                               "toward the account's lockout)")
        run(ctx)

    return guarded
