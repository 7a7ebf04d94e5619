"""Why a sign-in failed: one exception class per failure, each with a stable machine ``code``.

Every class carries three texts:

- ``message``: plain language for the person signing in (safe to show on the failure page);
- ``detail``: technical detail for the error log (never shown to end users);
- ``admin_hint``: what an administrator can do about it, when there is something to do.

Handlers catch :class:`LoginError`, log ``code``/``detail``/``admin_hint`` under a reference id and
render ``message``.

Long because: one small class per failure code, each a few lines, kept in one place so every
handler and the failure page draw on the same list of codes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "EARLY_IAT",
    "AADSTS_ADMIN_HINTS",
    "AADSTS_TOKEN_URL_HINTS",
    "AlgNotAllowed",
    "AmbiguousSigningKey",
    "AtHashMismatch",
    "AtHashMissing",
    "CHashMismatch",
    "CHashMissing",
    "ClientSecretExpired",
    "ClientSecretInvalid",
    "DiscoveryFailed",
    "DiscoveryIssuerMismatch",
    "EventMalformed",
    "EventSignatureInvalid",
    "EventStale",
    "EventUnknownKey",
    "EventUnsigned",
    "IdTokenAzpMismatch",
    "IdTokenBadSignature",
    "IdTokenExpired",
    "IdTokenIatFuture",
    "IdTokenIatMissing",
    "IdTokenMalformed",
    "IdTokenNotYetValid",
    "IdTokenSubMissing",
    "IdTokenWrongAudience",
    "IdTokenWrongIssuer",
    "IdpError",
    "IdpTimeout",
    "IdpUnreachable",
    "JwksUnavailable",
    "LoginError",
    "LogoutTokenInvalid",
    "NonceMismatch",
    "TokenEndpointError",
    "UnknownSigningKey",
    "UserinfoFailed",
    "UserinfoSubMismatch",
    "clock_hint",
    "expired_hint",
    "idp_error_from_body",
    "parse_aadsts",
]

_GENERIC = "We could not sign you in. Please try again or contact support."
_TOKEN = "We could not verify the sign-in response from your identity provider."
_CONFIG = "Single sign-on is not set up correctly. Please contact support."
_NOT_OIDC = (
    "The identity provider's ID token lacks a claim OpenID Connect requires (see the detail): "
    "check that the connection's URLs are the provider's OpenID Connect endpoints.")
_ALTERED = (
    "The ID token does not match what it came with (see the detail): the response was altered "
    "on its way, or the provider computes it wrongly. Starting again from the app shows which; "
    "if every sign-in fails so, report it to the identity provider.")
_NOT_THIS_TENANT = (
    "If every sign-in fails so, check that the connection's Discovery URL (or, without one, "
    "its Authorization URI) names the same tenant as its other URLs.")


EARLY_IAT = 300
"""Seconds before it issues an ID token that a provider may date it (``iat``, ``nbf``): Entra
dates its tokens five minutes early, for relying parties whose clocks lag (Microsoft Learn's
sample ID tokens end 3900 s after their ``iat`` for a one-hour lifetime; openid/AppAuth-iOS
#264). A token that arrives dated that much before this server's present says nothing of the
clocks."""


def clock_hint(ahead: float | None = None, leeway: float | None = None, *,
               early: float = 0.0) -> str:
    """What an administrator can do about an ID token dated by another clock. ``ahead``: by
    about how many seconds the provider's clock is ahead of this server's (negative: behind),
    read from a date the provider gave the token; ``early``: how many seconds before its present
    it may have put that date (:data:`EARLY_IAT` for ``iat`` and ``nbf``), so that the clocks
    differ by ``ahead`` to ``ahead + early``; ``leeway``: the difference tolerated, in
    seconds."""
    by = "differ"
    if ahead is not None:
        low, high = sorted((abs(ahead), abs(ahead + early)))
        size = f"{low:.0f}" if round(high) == round(low) else f"{low:.0f} to {high:.0f}"
        by = (f"differ by about {size} seconds (the provider's is "
              f"{'ahead' if ahead > 0 else 'behind'})")
    tolerated = f"the {leeway:.0f} seconds tolerated" if leeway is not None else "the leeway"
    return (f"This server's clock and the identity provider's {by}, more than {tolerated}. "
            "Set this server's clock right and keep it so (synchronise it with NTP); if it is "
            "right, the provider's clock is wrong.")


class LoginError(Exception):
    """Base class of every sign-in failure the protocol modules raise."""

    code: ClassVar[str] = "login_failed"
    default_message: ClassVar[str] = _GENERIC
    default_admin_hint: ClassVar[str | None] = None

    def __init__(
        self, detail: str = "", *, message: str | None = None, admin_hint: str | None = None
    ) -> None:
        self.detail = detail
        self.message = message or self.default_message
        self.admin_hint = admin_hint or self.default_admin_hint
        self.hint_given = admin_hint is not None
        """The code that raised it wrote the hint for the case (else it is the code's own)."""
        super().__init__(f"{self.code}: {detail}" if detail else self.code)


# --- ID token --------------------------------------------------------------------------------


class IdTokenMalformed(LoginError):
    """Not a well-formed signed JWT, or a required claim has the wrong type."""

    code = "id_token_malformed"
    default_message = _TOKEN
    default_admin_hint = (
        "The identity provider's ID token could not be read (see the detail): check that the "
        "connection's URLs are the provider's OpenID Connect endpoints.")


class AlgNotAllowed(LoginError):
    """The JWS ``alg`` is not in the allow-list (``none`` and HMAC never are)."""

    code = "alg_not_allowed"
    default_message = _TOKEN
    default_admin_hint = "The identity provider signed with an algorithm this app does not accept."


class UnknownSigningKey(LoginError):
    """No JWKS key fits the token's ``kid`` and ``alg``, even after a re-fetch."""

    code = "unknown_signing_key"
    default_message = _TOKEN
    default_admin_hint = (
        "The ID token is signed with a key the provider does not publish (its jwks_uri). "
        + _NOT_THIS_TENANT + " On Entra ID, an app registration with its own signing key "
        "publishes it only at jwks_uri?appid=…, which this app does not read.")


class AmbiguousSigningKey(LoginError):
    """The token has no ``kid`` and several keys could verify it; we refuse to guess."""

    code = "ambiguous_signing_key"
    default_message = _TOKEN
    default_admin_hint = (
        "The ID token names no signing key (kid) and the provider publishes several; this app "
        "does not guess which. Entra ID always names one: check the connection's Discovery "
        "URL.")


class IdTokenBadSignature(LoginError):
    code = "id_token_bad_signature"
    default_message = _TOKEN
    default_admin_hint = (
        "The ID token's signature does not verify with the provider's published key: it was "
        "altered on its way, or the keys are another provider's. " + _NOT_THIS_TENANT)


class IdTokenWrongIssuer(LoginError):
    code = "id_token_wrong_issuer"
    default_message = _TOKEN
    default_admin_hint = (
        "Check the connection's issuer / tenant against the identity provider. On Entra ID the "
        "Authorization URI and the Token URL must be of one version: both v1.0 (…/oauth2/…) or "
        "both v2.0 (…/oauth2/v2.0/…)."
    )


class IdTokenWrongAudience(LoginError):
    code = "id_token_wrong_audience"
    default_message = _TOKEN
    default_admin_hint = "Check that the connection's Client ID matches the app registration."


class IdTokenAzpMismatch(LoginError):
    code = "id_token_azp_mismatch"
    default_message = _TOKEN
    default_admin_hint = (
        "The ID token was issued to another client (azp) than this connection's: check that "
        "the connection's Client ID is the app registration's Application (client) ID.")


class IdTokenExpired(LoginError):
    code = "id_token_expired"
    default_message = "The sign-in took too long or the clock is off. Please try again."
    default_admin_hint = (
        "The ID token was too old when it arrived (its dates are in the detail): dated long "
        "before it arrived, this server's clock and the provider's differ; dated just now, the "
        "provider gives its ID tokens too short a lifetime.")


def expired_hint(iat: float | None, now: float, leeway: float) -> str:
    """What an administrator can do about an ID token that arrived too old, by its ``iat``.
    It came straight from the token endpoint, which dates it as it issues it, or up to
    :data:`EARLY_IAT` seconds before (as Entra does): dated within that window of this server's
    ``now`` (give or take ``leeway`` seconds) the clocks agree, and it is the token's lifetime
    that is too short; dated further off, the clocks differ by about that much."""
    if iat is None:
        return IdTokenExpired.default_admin_hint
    if -leeway <= now - iat <= EARLY_IAT + leeway:
        return ("The provider dated the ID token (iat) as it issued it, or the few minutes "
                "before that Entra dates its tokens, as this server's clock has it too, but gave "
                "it no lifetime left by the time it arrived (exp, in the detail): the clocks "
                "agree; the provider's ID token lifetime is too short.")
    return (f"The provider dated the ID token (iat) about {now - iat:.0f} seconds before it "
            "arrived from its token endpoint, which dates it as it answers or up to five "
            "minutes before (as Entra does). " + clock_hint(iat - now, leeway, early=EARLY_IAT))


class IdTokenNotYetValid(LoginError):
    code = "id_token_not_yet_valid"
    default_message = "The sign-in response is not valid yet; a clock may be wrong."
    default_admin_hint = clock_hint()


class IdTokenIatMissing(LoginError):
    code = "id_token_iat_missing"
    default_message = _TOKEN
    default_admin_hint = _NOT_OIDC


class IdTokenIatFuture(LoginError):
    code = "id_token_iat_future"
    default_message = "The sign-in response is dated in the future; a clock may be wrong."
    default_admin_hint = clock_hint()


class IdTokenSubMissing(LoginError):
    code = "id_token_sub_missing"
    default_message = _TOKEN
    default_admin_hint = _NOT_OIDC


class NonceMismatch(LoginError):
    code = "nonce_mismatch"
    default_message = "This sign-in response does not belong to your sign-in. Please try again."
    default_admin_hint = (
        "The ID token is not this sign-in's (its nonce differs): a response opened again or "
        "made up; starting again from the app works. If every sign-in fails so, the provider "
        "does not return the nonce it is sent.")


class AtHashMismatch(LoginError):
    code = "at_hash_mismatch"
    default_message = _TOKEN
    default_admin_hint = _ALTERED


class AtHashMissing(LoginError):
    code = "at_hash_missing"
    default_message = _TOKEN
    default_admin_hint = _ALTERED


class CHashMismatch(LoginError):
    code = "c_hash_mismatch"
    default_message = _TOKEN
    default_admin_hint = _ALTERED


class CHashMissing(LoginError):
    code = "c_hash_missing"
    default_message = _TOKEN
    default_admin_hint = _ALTERED


# --- Provider endpoints ----------------------------------------------------------------------


class DiscoveryFailed(LoginError):
    code = "discovery_failed"
    default_message = _CONFIG
    default_admin_hint = "Check the connection's issuer / discovery URL."


class DiscoveryIssuerMismatch(LoginError):
    """The discovery document names another issuer than expected (OIDC Discovery §4.3)."""

    code = "discovery_issuer_mismatch"
    default_message = _CONFIG
    default_admin_hint = "The discovery document's issuer differs from the configured issuer."


class JwksUnavailable(LoginError):
    code = "jwks_unavailable"
    default_message = "Your identity provider could not be reached. Please try again later."
    default_admin_hint = (
        "The provider's signing keys (the discovery document's jwks_uri) could not be fetched "
        "from this server (see the detail): check that this server reaches the provider's host "
        "(DNS, firewall, proxy, TLS certificates).")


class IdpUnreachable(LoginError):
    code = "idp_unreachable"
    default_message = "Your identity provider could not be reached. Please try again later."
    default_admin_hint = (
        "This server could not reach the identity provider (see the detail for which URL): "
        "check the connection's URLs, and that this server reaches the provider's host (DNS, "
        "firewall, proxy, TLS certificates).")

    def __init__(self, detail: str = "", *, endpoint: str = "") -> None:
        super().__init__(detail)
        self.endpoint = endpoint


class IdpTimeout(IdpUnreachable):
    code = "idp_timeout"
    default_message = "Your identity provider took too long to answer. Please try again later."
    default_admin_hint = (
        "The identity provider took too long to answer this server (see the detail for which "
        "URL). Once in a while it is the provider; if it persists, check the network route "
        "(firewall, proxy) from this server to the provider's host.")


class TokenEndpointError(LoginError):
    """The token endpoint answered, but not with a usable OAuth success or error response."""

    code = "token_endpoint_error"
    default_message = _GENERIC
    redirect_to: str | None = None
    """Where the token endpoint redirected (not followed), when that was its answer."""
    default_admin_hint = (
        "The Token URL answered, but with neither tokens nor an OAuth error (see the detail): "
        "check that it is the provider's token endpoint (on Entra ID, the Authorization URI "
        "with 'authorize' replaced by 'token').")


class UserinfoFailed(LoginError):
    code = "userinfo_failed"
    default_message = _GENERIC
    default_admin_hint = (
        "The provider's UserInfo endpoint (from the discovery document) refused this sign-in's "
        "access token or failed (see the detail). On Entra ID, check that the app registration "
        "may sign users in (the openid permission, consented).")


class UserinfoSubMismatch(LoginError):
    """UserInfo ``sub`` differs from the ID token's (OIDC Core §5.3.2)."""

    code = "userinfo_sub_mismatch"
    default_message = _TOKEN
    default_admin_hint = (
        "The UserInfo endpoint named another user than the ID token. " + _NOT_THIS_TENANT)


# --- OAuth / Entra errors returned by the provider -------------------------------------------

AADSTS_ADMIN_HINTS: Mapping[int, str] = {
    7000222: "The client secret has expired. Create a new client secret in the identity provider "
    "and enter its value in this connection.",
    7000215: "The client secret is wrong. Enter the secret's Value (not its Secret ID) in this "
    "connection, or create a new secret.",
    7000218: "No client secret was sent. Enter the client secret in this connection.",
    700016: "The Client ID is not known in this tenant. Check the Client ID and tenant in the "
    "Authorization URI.",
    90002: "The tenant in the Authorization URI does not exist. Check the tenant ID or domain.",
    50011: "The redirect URI is not registered. Add this app's callback URL to the app "
    "registration's redirect URIs.",
    50105: "The user is not assigned to the application. Assign the user (or a group) to the "
    "enterprise application, or turn off assignment required.",
    65001: "Consent is missing. Grant admin consent for the application in the identity provider.",
    65004: "The user declined consent, or the tenant lets only administrators consent and the "
    "user returned from 'Need admin approval'. To let everyone in, an administrator grants "
    "admin consent for the application in the identity provider.",
    50057: "The user's account is disabled in the identity provider.",
    501481: "The PKCE code verifier did not match; the sign-in was probably replayed.",
    54005: "The authorization code was already redeemed; the sign-in was probably replayed.",
    70008: "The authorization code expired before it was redeemed.",
}

_SAME_TENANT = ("Use the Authorization URI with 'authorize' replaced by 'token': the code is "
                "redeemed in the tenant that issued it.")
AADSTS_TOKEN_URL_HINTS: Mapping[int, str] = {
    700016: "The Client ID is not known in the Token URL's tenant, though the Authorization "
    "URI's tenant signed the user in to it: the Token URL names another tenant. " + _SAME_TENANT,
    90002: "The tenant in the Token URL does not exist, though the Authorization URI's tenant "
    "signed the user in. " + _SAME_TENANT,
}
"""Hints for codes the token endpoint answers with whose cause is then the Token URL, where
:data:`AADSTS_ADMIN_HINTS` has the one for the authorization endpoint's answer."""

_USER_MESSAGES: Mapping[str, str] = {
    "access_denied": "Sign-in was cancelled or access was denied.",
    "login_required": "You need to sign in at your identity provider first.",
    "interaction_required": "Your identity provider needs you to complete an extra step.",
    "consent_required": "Your administrator needs to approve this application.",
    "temporarily_unavailable": "Your identity provider is temporarily unavailable.",
    "server_error": "Your identity provider reported an internal error.",
}

_USER_MESSAGES_BY_AADSTS: Mapping[int, str] = {
    # Sent as ``interaction_required`` (50105) or ``access_denied``, yet nothing the user can
    # do at the provider helps: an administrator must act.
    50105: "Your account has not been given access to this application. Ask your "
    "administrator to assign it to you.",
    50057: "Your account is disabled at your organization. Ask your administrator.",
}

_AADSTS = re.compile(r"AADSTS(\d+)")


def parse_aadsts(description: str | None) -> int | None:
    """The first ``AADSTSnnnn`` code in an Entra ``error_description``, if any."""
    match = _AADSTS.search(description or "")
    return int(match.group(1)) if match else None


class IdpError(LoginError):
    """The provider answered with an OAuth error (authorization redirect or token endpoint).
    ``status_code`` is the token endpoint's HTTP status, None for the authorization redirect."""

    code = "idp_error"
    default_message = _GENERIC
    default_admin_hint = (
        "The identity provider refused the sign-in (see the detail for its error). On Entra "
        "ID, its sign-in logs say more about the attempt, and the AADSTS code, when there is "
        "one, is explained at login.microsoftonline.com/error.")

    def __init__(
        self,
        error: str,
        error_description: str | None = None,
        *,
        aadsts: int | None = None,
        status_code: int | None = None,
        error_uri: str | None = None,
    ) -> None:
        self.error = error
        self.error_description = error_description
        self.aadsts = aadsts if aadsts is not None else parse_aadsts(error_description)
        self.status_code = status_code
        self.error_uri = error_uri
        hints = AADSTS_ADMIN_HINTS if status_code is None else {
            **AADSTS_ADMIN_HINTS, **AADSTS_TOKEN_URL_HINTS}
        hint = hints.get(self.aadsts) if self.aadsts is not None else None
        # The AADSTS code is not repeated in the message: the failure page shows it once, on a
        # line of its own (the error record's idp_error_code).
        message = _USER_MESSAGES_BY_AADSTS.get(self.aadsts or 0) or _USER_MESSAGES.get(error)
        detail = f"{error}: {error_description}" if error_description else error
        super().__init__(detail, message=message)
        self.admin_hint = hint or self.default_admin_hint  # the code's own: not hint_given


class ClientSecretExpired(IdpError):
    """AADSTS7000222: the client secret is past its end date."""

    code = "client_secret_expired"
    default_message = _CONFIG


class ClientSecretInvalid(IdpError):
    """AADSTS7000215: wrong secret value (often the secret ID pasted instead of the value)."""

    code = "client_secret_invalid"
    default_message = _CONFIG


_BY_AADSTS: Mapping[int, type[IdpError]] = {
    7000222: ClientSecretExpired,
    7000215: ClientSecretInvalid,
}


def idp_error_from_body(body: Mapping[str, Any], *, status_code: int | None = None) -> IdpError:
    """Build the right :class:`IdpError` from an OAuth error body or authorization-error query.

    The AADSTS code comes from ``error_description``, else from Entra's ``error_codes`` array.
    """
    error = str(body.get("error") or "unknown_error")
    description = body.get("error_description")
    description = str(description) if description is not None else None
    aadsts = parse_aadsts(description)
    codes = body.get("error_codes")
    if (aadsts is None and isinstance(codes, list) and codes and isinstance(codes[0], int)
            and not isinstance(codes[0], bool) and codes[0] >= 0):  # JSON true is no code
        aadsts = codes[0]
    cls = _BY_AADSTS.get(aadsts, IdpError) if aadsts is not None else IdpError
    uri = body.get("error_uri")
    return cls(
        error,
        description,
        aadsts=aadsts,
        status_code=status_code,
        error_uri=str(uri) if uri is not None else None,
    )


# --- Logout and platform events --------------------------------------------------------------


class LogoutTokenInvalid(LoginError):
    """A back-channel logout token failed validation; ``reason`` is a machine sub-code."""

    code = "logout_token_invalid"
    default_message = "The logout request was not valid."

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


class EventSignatureInvalid(LoginError):
    """``field``: the header at fault (the refusal names it, as input refusals do)."""

    code = "event_signature_invalid"
    default_message = "The event's signature is not valid."

    def __init__(self, detail: str = "", *, field: str, message: str | None = None) -> None:
        super().__init__(detail, message=message)
        self.field = field


class EventUnsigned(EventSignatureInvalid):
    code = "event_unsigned"
    default_message = "The event is not signed."


class EventUnknownKey(EventSignatureInvalid):
    code = "event_unknown_key"
    default_message = "The event was signed with an unknown key."


class EventStale(LoginError):
    code = "event_stale"
    default_message = "The event is too old or dated in the future."


class EventMalformed(LoginError):
    """``fields`` names the member at fault and what is wrong with it, as input refusals do."""

    code = "event_malformed"
    default_message = "The event is not well-formed."

    def __init__(self, problem: str, *, field: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.fields = {field: problem}
