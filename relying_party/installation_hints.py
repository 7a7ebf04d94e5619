"""What the administrator can do about a failed partner-app sign-in ("For your administrator" on
the failure page, ``admin_hint`` in the error log).

The protocol modules' hints speak of a customer's SSO connection: its fields on the admin page
(Client ID, Client Secret, Authorization URI, Token URL, Discovery URL) and the app registration
at the customer's identity provider. An installation has none of these here: its client id and
secret, and the links to the platform's identity service, come only in the platform's events
(``app.installed``, ``app.credentials_rotated``), and what fixes them is the platform rotating
the installation's credentials or the account installing the app again. So a failure whose
source is an installation gets the hint below for its code, unless the code that raised it
wrote one for the case (:attr:`~relying_party.oidc.errors.LoginError.hint_given`, as the
platform's userinfo link does); a code without one here keeps its own, which fits both (an
authorization code replayed, an ID token dated ahead, a disabled user).
"""

from __future__ import annotations

from collections.abc import Mapping

from .oidc.errors import IdpError, LoginError, TokenEndpointError

_REINSTALL = ("The installation's links and credentials come only from the platform's events "
              "(app.installed, app.credentials_rotated); installing the app again in the "
              "account sends current ones.")
_NEW_CREDENTIALS = (
    " Ask the platform to rotate the installation's credentials, or have the account install "
    "the app again: either sends new ones in an event (check that this app's events URL "
    "answers, and the installation's credentials acknowledgement on the admin page).")
_OTHER_SERVICE = (
    "the installation's links (app.installed) name another account's or region's identity "
    "service than the one that signed the user in. " + _REINSTALL)
_NOT_OIDC = (
    "The platform's ID token could not be read or lacks a claim OpenID Connect requires (see "
    "the detail): the installation's links must be the platform's OpenID Connect endpoints. "
    "Report it to the platform if every sign-in fails so. " + _REINSTALL)
_WRONG_CLIENT = (
    "The ID token was issued to another client than the installation's client id: the platform "
    "changed the installation's credentials without an app.credentials_rotated reaching this "
    "app." + _NEW_CREDENTIALS)

BY_AADSTS: Mapping[int, str] = {
    7000222: "The platform's token endpoint says the installation's client secret has expired: "
    "no app.credentials_rotated with a new one reached this app before the old one's grace "
    "period ended." + _NEW_CREDENTIALS,
    7000215: "The platform's token endpoint refused the installation's client secret: a "
    "rotation replaced it (and its acknowledgement ended it) without its "
    "app.credentials_rotated reaching this app, or the secret stored is not the platform's."
    + _NEW_CREDENTIALS,
    7000218: "No client secret was sent: the installation holds none (it was uninstalled, or "
    "its event carried none). " + _REINSTALL,
    700016: "The platform does not know the installation's client id: the app was uninstalled, "
    "or its credentials replaced, at the platform without the event reaching this app. "
    + _REINSTALL,
    90002: "The account the installation's links name is not known to the platform (any "
    "more). " + _REINSTALL,
    50011: "This app's callback URL for installations (its public URL + "
    "/auth/callback/installation) is not a redirect URL registered for the partner app on the "
    "platform: register it there, or correct --public-url.",
    50105: "The platform says the user may not use the app: the account's administrator gives "
    "the user access to it on the platform.",
    65001: "The account has not consented to the app's permissions on the platform: the "
    "account's administrator grants them there, or installs the app again.",
    65004: "The user declined the app's permissions at the platform, or the account lets only "
    "administrators consent: the account's administrator grants them on the platform.",
}
"""Hints for the platform's AADSTS codes whose connection hint names a connection's field or
the customer's app registration."""

BY_CODE: Mapping[str, str] = {
    IdpError.code: "The platform's identity service refused the sign-in (see the detail for "
    "its error). If every sign-in fails so, report it to the platform. " + _REINSTALL,
    "id_token_wrong_issuer": "The ID token's issuer is not the one the installation's discovery "
    "document names: " + _OTHER_SERVICE,
    "unknown_signing_key": "The ID token is signed with a key the installation's discovery "
    "document does not publish (its jwks_uri): " + _OTHER_SERVICE,
    "id_token_bad_signature": "The ID token's signature does not verify with the key the "
    "installation's discovery document publishes: it was altered on its way, or "
    + _OTHER_SERVICE,
    "userinfo_sub_mismatch": "The installation's userinfo link named another user than the ID "
    "token: " + _OTHER_SERVICE,
    "response_issuer_mismatch": "The sign-in response names another issuer (iss) than the "
    "installation's discovery document: made up, or " + _OTHER_SERVICE,
    "ambiguous_signing_key": "The ID token names no signing key (kid) and the installation's "
    "discovery document publishes several; this app does not guess which. Report it to the "
    "platform.",
    "id_token_wrong_audience": _WRONG_CLIENT,
    "id_token_azp_mismatch": _WRONG_CLIENT,
    "id_token_malformed": _NOT_OIDC,
    "id_token_iat_missing": _NOT_OIDC,
    "id_token_sub_missing": _NOT_OIDC,
    "discovery_failed": "The installation's discovery document (its openid_configuration link, "
    "or the one its authorization link implies) could not be read or used (see the detail). "
    "If it persists, report it to the platform. " + _REINSTALL,
    "discovery_issuer_mismatch": "The installation's discovery document names another issuer "
    "than the one its URL belongs to. " + _REINSTALL,
    "idp_unreachable": "This server could not reach the platform's identity service (see the "
    "detail for which URL): check that this server reaches that host (DNS, firewall, proxy, "
    "TLS certificates). " + _REINSTALL,
    "idp_timeout": "The platform's identity service took too long to answer this server (see "
    "the detail for which URL). Once in a while it is the platform; if it persists, check the "
    "network route (firewall, proxy) from this server to that host.",
    "token_endpoint_error": "The installation's token link answered, but with neither tokens "
    "nor an OAuth error (see the detail). " + _REINSTALL,
    "userinfo_failed": "The platform's userinfo endpoint refused this sign-in's access token or "
    "failed (see the detail): the app must be installed, and active, in the user's account.",
    "code_missing": "The platform's response had neither a code nor an error. If every sign-in "
    "fails so, the installation's authorization link is not the platform's authorization "
    "endpoint. " + _REINSTALL,
    "connection_misconfigured": "The installation's authorization link cannot be used (see the "
    "detail). " + _REINSTALL,
}
"""Hints for the codes whose connection hint names a connection's field or the customer's
identity provider."""


def installation_hint(error: LoginError) -> str | None:
    """The hint for ``error`` when the sign-in was an installation's."""
    if isinstance(error, TokenEndpointError) and error.redirect_to:
        return (f"The installation's token link redirects to {error.redirect_to}, and this app "
                "does not follow a redirect with the client secret. " + _REINSTALL)
    if error.hint_given:
        return error.admin_hint
    aadsts = getattr(error, "aadsts", None)
    if isinstance(error, IdpError) and isinstance(aadsts, int) and aadsts in BY_AADSTS:
        return BY_AADSTS[aadsts]
    if isinstance(error, IdpError) and error.admin_hint != IdpError.default_admin_hint:
        return error.admin_hint  # one of the codes whose hint fits both
    return BY_CODE.get(error.code, error.admin_hint)
