"""Sign-in failures that belong to the application rather than to the protocol modules.

They extend :class:`relying_party.oidc.errors.LoginError`, so one handler logs and renders both.
"""

from __future__ import annotations

from collections.abc import Sequence

from .oidc.errors import LoginError

_RETRY = "Your sign-in could not be completed. Please start again from the app."


class StateMissing(LoginError):
    """The callback carried no ``state``: not a response to a sign-in this app started."""

    code = "state_missing"
    default_message = _RETRY
    default_admin_hint = (
        "The callback URL was opened without a sign-in's state: a bookmark of it, or a sign-in "
        "started at the provider (Entra ID's My Apps). Give users the connection's sign-in "
        "URLs, and make one of them the app registration's home page URL.")


class StateUnknown(LoginError):
    """``state`` is unknown or was already used (a replayed or forged callback)."""

    code = "state_unknown"
    default_message = _RETRY
    default_admin_hint = (
        "The sign-in response was used already or never belonged to a sign-in of this app: "
        "usually the callback page reloaded or reopened from the history; starting again from "
        "the app works.")


class StateExpired(LoginError):
    code = "state_expired"
    default_message = "Your sign-in took too long. Please start again from the app."
    default_admin_hint = (
        "The user came back from the provider after the sign-in's time ran out (the login "
        "timeout); starting again from the app works.")


class RedirectUriMismatch(LoginError):
    """The response arrived at another redirect URI than the one its sign-in sent: a provider
    answered a sign-in that was not its own (a mix-up attack, RFC 9700 §4.4), or a provider that
    ignores the ``redirect_uri`` it was given."""

    code = "redirect_uri_mismatch"
    default_message = _RETRY
    default_admin_hint = (
        "A sign-in response came back to another connection's redirect URI than the one the "
        "sign-in was sent with, so its code was not redeemed. Each connection's redirect URI "
        "belongs at its own provider only: check that no other provider or app registration "
        "names this one. Repeated, it can mean a provider answers sign-ins that are not its "
        "own to capture a code (a mix-up attack).")


class StateBrowserMismatch(LoginError):
    """``state`` is not the browser's current sign-in (missing or different binding cookie):
    usually one of two sign-ins started in one browser, after the other completed; or the
    response was opened in another browser."""

    code = "state_browser_mismatch"
    default_message = _RETRY
    default_admin_hint = (
        "Usually harmless: the user started two sign-ins at once (two tabs) and finished the "
        "second after the first had signed them in, or after starting yet another; starting "
        "again from the app works. Many of these for one user can mean a sign-in response is "
        "being opened in a browser it was not meant for."
    )


class CodeMissing(LoginError):
    code = "code_missing"
    default_message = _RETRY
    default_admin_hint = (
        "The provider's response had neither a code nor an error. If every sign-in fails so, "
        "the provider is not answering the authorization code flow: check the Authorization "
        "URI.")


class ResponseIssuerMismatch(LoginError):
    """RFC 9207 ``iss`` in the authorization response differs from the expected issuer."""

    code = "response_issuer_mismatch"
    default_message = "This sign-in response came from an unexpected identity provider."
    default_admin_hint = (
        "The sign-in response names another issuer (iss) than the connection's provider: made "
        "up, or the connection's URLs name another tenant than the one that answered. If every "
        "sign-in fails so, check that all the connection's URLs name the same tenant.")


class UnknownConnection(LoginError):
    code = "unknown_connection"
    default_message = "This sign-in link is not valid. Please contact support."
    default_admin_hint = (
        "The sign-in URL names no connection there is (deleted, or mistyped): give users the "
        "sign-in URLs the admin page shows.")


class UnknownApp(LoginError):
    """A connection's sign-in URL names an app there is not (``/sso/{id}/bogus``)."""

    code = "unknown_app"
    default_message = "This sign-in link is not valid. Please contact support."
    default_admin_hint = (
        "The sign-in URL names no app of this service (the last part of the URL is mistyped): "
        "give users the sign-in URLs the admin page shows.")


class ConnectionDisabled(LoginError):
    code = "connection_disabled"
    default_message = "Single sign-on is currently turned off for this app."
    default_admin_hint = "Enable the SSO connection on the admin page."


class ConnectionMisconfigured(LoginError):
    """A stored endpoint URL cannot be used (stored before URLs were checked, or edited in the
    database by hand)."""

    code = "connection_misconfigured"
    default_message = "Single sign-on is not set up correctly for this app."
    default_admin_hint = "Correct the connection's Authorization URI on the admin page."


class NoConnection(LoginError):
    """An app was visited without a session and there is no single enabled connection to use."""

    code = "no_connection"
    default_message = "Single sign-on is not available for this app yet."
    default_admin_hint = "Add and enable an SSO connection on the admin page."


class UnknownInstallation(LoginError):
    code = "unknown_installation"
    default_message = "This app is not installed for your account. Please contact support."
    default_admin_hint = "No installation with this id was received (app.installed)."


class InstallationInactive(LoginError):
    code = "installation_inactive"
    default_message = "This app has been removed from your account. Please contact support."
    default_admin_hint = "The installation was uninstalled (app.uninstalled)."


class AmbiguousLaunch(LoginError):
    """The standalone URL gives a parameter more than once, in one spelling or in both
    (``installation_id`` and ``talkdesk_installation_id``): which value the platform meant is
    unknown, so none is used. ``names`` are the spellings given."""

    code = "launch_ambiguous"
    default_admin_hint = (
        "The link that opened the app names the installation or the user more than once; open "
        "the app again from the platform."
    )

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(sorted(set(names)))
        given = (f"both {' and '.join(self.names)}" if len(self.names) > 1
                 else f"{self.names[0]} more than once")
        super().__init__(
            f"the launch URL gives {given}",
            message=f"This sign-in link is not valid: it gives {given}. Please open the app "
                    "again from the platform.",
        )


class AmbiguousCallback(LoginError):
    """The authorization response gives a parameter more than once, which RFC 6749 §3.1 does
    not allow: of ``state=forged&state=real`` or two ``iss``, which one the provider sent is
    unknown, so none is used and no sign-in is spent. ``names`` are the parameters repeated."""

    code = "callback_ambiguous"
    default_message = _RETRY
    default_admin_hint = (
        "The sign-in response named a parameter more than once; identity providers do not, so "
        "it was changed on its way or made up. Starting again from the app works."
    )

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(sorted(set(names)))
        super().__init__(f"the callback gives {', '.join(self.names)} more than once")


class DuplicateEmail(LoginError):
    """Another identity already owns the e-mail address; the helpdesk product refuses it."""

    code = "duplicate_email"
    default_message = (
        "An account with your e-mail address already exists, so we could not sign you in."
    )
    default_admin_hint = (
        "Another user already has this e-mail address, which a provider verified. E-mail"
        " addresses must be unique; remove the other account (Users on the admin page), then ask"
        " the user to sign in again."
    )


class UnmappedUser(LoginError):
    """The signed-in identity cannot be mapped to a user of this app."""

    code = "unmapped_user"
    default_message = "Your account could not be matched to a user of this app."
    default_admin_hint = "The signed-in identity matches no user of this app (see the detail)."


class UnlicensedUser(LoginError):
    """The platform took the user's licence for the app (``app.updated``): signed in at the
    provider, but not allowed in. Authentication does not imply authorization."""

    code = "unlicensed_user"
    default_message = (
        "Your account does not have a licence for this app. Please ask your administrator to "
        "give you one, then open the app again."
    )
    default_admin_hint = (
        "The platform removed this user's licence for the app (app.updated). Give the user the "
        "app's licence again on the platform and they can sign in."
    )


class RequestRefused(LoginError):
    """A request to a route a sign-in passes through, refused before it was read. ``status``
    is the 4xx it answers."""

    def __init__(self, detail: str, *, status: int = 400) -> None:
        super().__init__(detail)
        self.status = status


class CallbackRefused(RequestRefused):
    """The request to the redirect endpoint could not be read: a method other than GET (the
    app asks for ``response_mode=query``), or input refused before it was read."""

    code = "callback_refused"
    default_message = _RETRY
    default_admin_hint = (
        "The callback was requested otherwise than a provider's redirect does (see the "
        "detail): a provider comes back with GET, as this app asks (response_mode=query), so "
        "this is seldom a user's sign-in; starting again from the app works.")


class LaunchRefused(RequestRefused):
    """The standalone URL requested with a method other than GET (the platform opens it as a
    link), or input refused before it was read: no sign-in is started."""

    code = "launch_refused"
    default_message = "This sign-in link is not valid. Please open the app again from the platform."
    default_admin_hint = (
        "The standalone URL (/launch) was requested otherwise than the platform opens it (a "
        "method other than GET); opening the app from the platform works."
    )


class InternalError(LoginError):
    """Something failed that no check foresaw; the error log keeps the reference, the process
    log the traceback."""

    code = "internal_error"
    default_message = "Something went wrong on our side. Please try again later."
    default_admin_hint = (
        "An error no check foresaw: the server's log has its traceback under this reference.")
