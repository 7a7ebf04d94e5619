"""What the scenario catalogue finds in each example app, scenario by scenario.

``test_catalogue.py`` runs the whole catalogue against each app through its shipped profile
and asserts these verdicts, each with a fragment of what the harness says; the README's
"Example apps" section shows :func:`markdown_table` of the same data (a test keeps the two
equal). Print the table with ``python tests/examples/expected_verdicts.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["APPS", "Verdict", "markdown_table", "verdicts_of"]

CONTACT = "helpdesk@contoso.example"
NO_CONTACT = f"the failure page does not show the support contact {CONTACT!r}"


@dataclass(frozen=True)
class Verdict:
    status: str
    """``passed``, ``failed`` or ``skipped``."""
    says: str = ""
    """A fragment of the harness's message (the reason, for a skip)."""
    note: str = ""
    """What the README's table says in the cell."""


def passes() -> Verdict:
    return Verdict("passed", note="pass")


def skip(lacks: str) -> Verdict:
    return Verdict("skipped", f"the profile lacks {lacks} (", f"skip: no {lacks}")


def error_500(page: str = "/auth/callback") -> Verdict:
    return Verdict("failed", f"{NO_CONTACT}; the app showed {page} with HTTP 500: "
                   "'Internal Server Error'", "FAIL: framework 500 page, no contact")


def accepts() -> Verdict:
    return Verdict("failed", f"{NO_CONTACT}; the app accepted the sign-in: someone is signed "
                   "in", "FAIL: signs the user in")


def login_failure() -> Verdict:
    return Verdict("failed", f"{NO_CONTACT}; the app showed /auth/callback with HTTP 200: "
                   "'Login Failure'", "FAIL: library's \"Login Failure\" page, no contact")


def backchannel_missing() -> Verdict:
    return Verdict("failed", "to the logout token POSTed to http://127.0.0.1:",
                   "FAIL: no back-channel logout (404)")


def frontchannel_missing() -> Verdict:
    return Verdict("failed", "the user is still signed in after the provider's signed-out page "
                   "loaded the app's front-channel logout URL, which answered HTTP 404: the app "
                   "has no front-channel logout endpoint there",
                   "FAIL: no front-channel logout (404)")


def keys_not_asked() -> Verdict:
    return Verdict("skipped", "the app asked for no signing keys while the key endpoint was "
                   "down", "skip: never asks for the keys then")


def userinfo_not_asked() -> Verdict:
    return Verdict("skipped", "the app never asked UserInfo", "skip: never asks UserInfo")


# MSAL (Python and JavaScript) redeems the code at the token endpoint over TLS and trusts the ID
# token on TLS server validation instead of its signature, which OpenID Connect Core 3.1.3.7 (6)
# allows there: the scenarios say so, as conformance calls it INFO and its key rows SKIP.
OVER_TLS = ("it took the ID token straight from the provider's token endpoint over TLS "
            "(response_type=code)")


def tls_instead_of_signature() -> Verdict:
    return Verdict("skipped", "the app accepted an ID token whose signature does not verify, "
                   f"which is allowed: {OVER_TLS}",
                   "skip: relies on TLS from the token endpoint (Core 3.1.3.7 (6))")


def keys_never_fetched_over_tls() -> Verdict:
    return Verdict("skipped", "the app never fetched the provider's signing keys, so it had no "
                   f"key set to fetch again for the new kid: {OVER_TLS}",
                   "skip: never fetches the keys, relies on TLS (Core 3.1.3.7 (6))")


# Scenarios every example profile skips, and why.
COMMON_SKIPS: Mapping[str, Verdict] = {
    "auto-login.widget": skip("sign-in-url:widget"),
    "auto-login.portal": skip("sign-in-url:portal"),
    "auto-login.kb": skip("sign-in-url:kb"),
    "claims.groups-in-token": skip("groups"),
    "claims.groups-overage": skip("groups"),
    "failure.idp-slow": skip("provider-timeout"),
    "failure.unknown-installation": skip("partner"),
    "failure.partner-idp-down": skip("partner"),
    "failure.unlicensed-user": skip("partner"),
    "failure.duplicate-email": skip("multi-connection"),
    "lifecycle.disable-enable": skip("sso-toggle"),
    "lifecycle.credentials-rotated": skip("partner"),
    "partner.launch": skip("partner"),
    "partner.hint-is-not-identity": skip("partner"),
    "partner.forged-event": skip("partner"),
    "partner.event-redelivered": skip("partner"),
    "partner.uninstalled": skip("partner"),
    "partner.installation-approved": skip("partner"),
    "partner.trial": skip("partner"),
    "signout.user-logout-event": skip("partner"),
}

# What every example app does alike.
COMMON: Mapping[str, Verdict] = {
    "auto-login.first-login": passes(),
    "auto-login.silent-return": passes(),
    "auto-login.app-visit": passes(),
    "device-code.sign-in": Verdict("skipped", "it checks the provider, not the app",
                                   "skip: checks the provider only"),
    "failure.redirect-uri-mismatch": passes(),
    "failure.app-disabled": passes(),
    "failure.other-organization": passes(),
    "failure.disabled-user": passes(),
    "failure.disabled-after-sign-in": passes(),
    "signout.backchannel": backchannel_missing(),
    "signout.frontchannel": frontchannel_missing(),
    **COMMON_SKIPS,
}

IDENTITY: Mapping[str, Verdict] = {
    **COMMON,
    "auto-login.v1-endpoints": skip("v1-endpoints"),
    "failure.v1-unsigned-over-http": Verdict(
        "skipped", "the profile lacks http-provider (", "skip: https only (MSAL)"),
    "failure.expired-secret": login_failure(),
    "failure.invalid-secret": login_failure(),
    "failure.user-not-assigned": login_failure(),
    "failure.user-cancels": login_failure(),
    "failure.needs-admin-approval": login_failure(),
    "failure.idp-down": error_500(),
    "failure.idp-down-keys": keys_not_asked(),
    "failure.bad-signature": tls_instead_of_signature(),
    "failure.wrong-issuer": accepts(),
    "failure.wrong-audience": accepts(),
    "failure.nonce-mismatch": error_500(),
    "failure.expired-id-token": accepts(),
    "failure.missing-sub": accepts(),
    "failure.userinfo-sub-mismatch": userinfo_not_asked(),
    "failure.state-tampered": Verdict(
        "failed", f"{NO_CONTACT}; the app showed / with HTTP 200",
        "FAIL: back on the home page, no message"),
    "failure.state-replayed": Verdict(
        "failed", f"{NO_CONTACT}; the app showed / with HTTP 200",
        "FAIL: back on the home page, no message"),
    # The state is kept in the browser's session cookie: another browser has none, and nobody
    # is signed in there (else the message would say the app accepted the sign-in).
    "failure.state-other-browser": Verdict(
        "failed", f"{NO_CONTACT}; the app showed / with HTTP 200",
        "FAIL: back on the home page, no message"),
    "lifecycle.secret-renewal": login_failure(),
    "lifecycle.key-rotation": keys_never_fetched_over_tls(),
    "signout.rp-initiated": passes(),
}

AUTHLIB: Mapping[str, Verdict] = {
    **COMMON,
    # Authlib sends no ``resource`` (its code is redeemed for Azure AD Graph) and refuses the
    # unsigned v1 ID token (joserfc: "Algorithm of 'none' is not allowed", in the app's log).
    "auto-login.v1-endpoints": Verdict(
        "failed", "the sign-in did not end at http://127.0.0.1:", "FAIL: refuses v1's unsigned "
        "ID token (alg none; 500 page)"),
    "failure.v1-unsigned-over-http": error_500(),
    "failure.expired-secret": error_500(),
    "failure.invalid-secret": error_500(),
    "failure.user-not-assigned": error_500(),
    "failure.user-cancels": error_500(),
    "failure.needs-admin-approval": error_500(),
    "failure.idp-down": error_500(),
    "failure.idp-down-keys": error_500(),
    "failure.bad-signature": error_500(),
    "failure.wrong-issuer": error_500(),
    "failure.wrong-audience": error_500(),
    "failure.nonce-mismatch": error_500(),
    "failure.expired-id-token": error_500(),
    "failure.missing-sub": error_500(),
    "failure.userinfo-sub-mismatch": userinfo_not_asked(),
    "failure.state-tampered": error_500(),
    "failure.state-replayed": error_500(),
    "failure.state-other-browser": error_500(),
    "lifecycle.secret-renewal": error_500(),
    "lifecycle.key-rotation": passes(),
    "signout.rp-initiated": passes(),
}

def express_error(status: int, text: str, note: str) -> Verdict:
    return Verdict("failed", f"{NO_CONTACT}; the app showed /auth/callback with HTTP {status}: "
                   f"{text}", note)


STACK_TRACE = "FAIL: Express 500 page with the stack trace, no contact"
FORBIDDEN = "FAIL: plain `Forbidden` (403), no contact"

PASSPORT: Mapping[str, Verdict] = {
    **COMMON,
    # It sends no ``resource`` (its code is redeemed for Azure AD Graph) and takes the unsigned
    # v1 ID token, over http too, which has no ``preferred_username`` for its /me.
    "auto-login.v1-endpoints": Verdict(
        "failed", "is signed in, but not as the profile says",
        "FAIL: signs in, but a v1 ID token has no `preferred_username` (its `/me` names none)"),
    "failure.v1-unsigned-over-http": Verdict(
        "failed", f"{NO_CONTACT}; the app accepted the sign-in: someone is signed in",
        "FAIL: accepts the unsigned ID token over http"),
    "failure.expired-secret": express_error(500, '"TokenError: AADSTS7000222', STACK_TRACE),
    "failure.invalid-secret": express_error(500, "'TokenError: AADSTS7000215", STACK_TRACE),
    "failure.user-not-assigned": express_error(500, '"AuthorizationError: AADSTS50105',
                                               STACK_TRACE),
    "failure.user-cancels": express_error(401, "'Unauthorized'",
                                          "FAIL: plain `Unauthorized` (401), no contact"),
    "failure.needs-admin-approval": express_error(
        401, "'Unauthorized'", "FAIL: plain `Unauthorized` (401), no contact"),
    "failure.idp-down": Verdict(
        "failed", "the app never answered its callback http://127.0.0.1:",
        "FAIL: never answers (its client waits on the dropped answer)"),
    "failure.idp-down-keys": keys_not_asked(),
    "failure.bad-signature": accepts(),
    "failure.wrong-issuer": express_error(403, "'Forbidden'", FORBIDDEN),
    "failure.wrong-audience": express_error(403, "'Forbidden'", FORBIDDEN),
    "failure.nonce-mismatch": accepts(),
    "failure.expired-id-token": express_error(403, "'Forbidden'", FORBIDDEN),
    "failure.missing-sub": express_error(500, "'Error: ID token missing subject claim'",
                                         STACK_TRACE),
    "failure.userinfo-sub-mismatch": userinfo_not_asked(),
    "failure.state-tampered": express_error(403, "'Forbidden'", FORBIDDEN),
    "failure.state-replayed": express_error(403, "'Forbidden'", FORBIDDEN),
    "failure.state-other-browser": express_error(403, "'Forbidden'", FORBIDDEN),
    "lifecycle.secret-renewal": express_error(500, '"TokenError: AADSTS7000222', STACK_TRACE),
    "lifecycle.key-rotation": Verdict(
        "failed", "the app never fetched the provider's signing keys",
        "FAIL: never fetches the signing keys"),
    "signout.rp-initiated": passes(),
}

# The single-page app shows its own failure page ("Sign-in failed", MSAL.js's error, the
# contact); it has no client secret, no server session and no logout endpoints to declare.
SPA_NOT_SHOWN = "the failure page did not appear: no 'Sign-in failed'"


def spa_accepts() -> Verdict:
    return Verdict("failed", f"{SPA_NOT_SHOWN}; the app accepted the sign-in: someone is "
                   "signed in, and the app showed /account with HTTP 200: 'Account'",
                   "FAIL: signs the user in")


def spa_ignores() -> Verdict:
    return Verdict("failed", f"{SPA_NOT_SHOWN}; the app showed /auth/callback with HTTP 200: "
                   "'MSAL.js single-page app'",
                   "FAIL: ignores the response, no message (home page, signed out)")


MSAL_SPA: Mapping[str, Verdict] = {
    **COMMON,
    "auto-login.v1-endpoints": skip("v1-endpoints"),
    "failure.v1-unsigned-over-http": Verdict(
        "skipped", "the profile lacks http-provider (", "skip: https only (MSAL.js)"),
    "failure.expired-secret": skip("client-secret"),
    "failure.invalid-secret": skip("admin-renew-secret"),
    "failure.user-not-assigned": passes(),
    "failure.user-cancels": passes(),
    "failure.needs-admin-approval": passes(),
    "failure.idp-down": passes(),
    "failure.idp-down-keys": keys_not_asked(),
    "failure.bad-signature": tls_instead_of_signature(),
    "failure.wrong-issuer": spa_accepts(),
    "failure.wrong-audience": spa_accepts(),
    "failure.nonce-mismatch": passes(),
    "failure.expired-id-token": spa_accepts(),
    "failure.missing-sub": spa_accepts(),
    "failure.userinfo-sub-mismatch": userinfo_not_asked(),
    "failure.state-tampered": spa_ignores(),
    "failure.state-replayed": spa_ignores(),
    # Its own sign-in pending, MSAL.js refuses a state it did not issue (a state error).
    "failure.state-other-browser": passes(),
    "lifecycle.secret-renewal": skip("admin-renew-secret"),
    "lifecycle.key-rotation": keys_never_fetched_over_tls(),
    "signout.backchannel": skip("backchannel"),
    "signout.frontchannel": skip("frontchannel"),
    "signout.rp-initiated": passes(),
}

# express-openid-connect asks for an ID token alone (response_type=id_token, form_post): it
# redeems no code, so the scenarios about the code exchange prove nothing about it. Its errors
# go to Express's default handler: HTTP 400 with the error and (outside production) the stack.
EOC_NO_CODE = "the app asks for no code (response_type=id_token), so it never calls the token "
EOC_STACK = "FAIL: Express 400 page with the stack trace, no contact"


def eoc_no_code(note: str = "skip: redeems no code (ID token alone)") -> Verdict:
    return Verdict("skipped", EOC_NO_CODE, note)


def eoc_error(text: str) -> Verdict:
    return Verdict("failed", f"{NO_CONTACT}; the app showed /callback with HTTP 400: "
                   f"'BadRequestError: {text}", EOC_STACK)


EOC_CLAIM = "unexpected JWT claim value encountered"
EOC_INVALID = "invalid response encountered"
EOC_TIME = "JWT timestamp claim value failed validation"
EOC_ERROR_ANSWER = "authorization response from the server is an error"

EXPRESS_OIDC: Mapping[str, Verdict] = {
    **COMMON,
    # Its ID token comes from v1's authorization endpoint, signed; v1's has ``upn`` and no
    # ``preferred_username``, which is what its /me (the glue) reports as the e-mail.
    "auto-login.v1-endpoints": Verdict(
        "failed", "is signed in, but not as the profile says",
        "FAIL: signs in, but a v1 ID token has no `preferred_username` (its `/me` names none)"),
    "failure.v1-unsigned-over-http": eoc_no_code(
        "skip: redeems no code (v1's authorization endpoint signs its ID token)"),
    "failure.expired-secret": eoc_no_code(),
    "failure.invalid-secret": eoc_no_code(),
    "failure.user-not-assigned": eoc_error(EOC_ERROR_ANSWER),
    "failure.user-cancels": eoc_error(EOC_ERROR_ANSWER),
    "failure.needs-admin-approval": eoc_error(EOC_ERROR_ANSWER),
    "failure.idp-down": Verdict("skipped", "the app made no token request while the token "
                                "endpoint was down", "skip: redeems no code (ID token alone)"),
    "failure.idp-down-keys": eoc_error("unexpected HTTP response status code"),
    "failure.bad-signature": eoc_error(EOC_INVALID),
    "failure.wrong-issuer": eoc_error(EOC_CLAIM),
    "failure.wrong-audience": eoc_error(EOC_CLAIM),
    "failure.nonce-mismatch": eoc_error(EOC_CLAIM),
    "failure.expired-id-token": eoc_error(EOC_TIME),
    "failure.missing-sub": eoc_error(EOC_INVALID),
    "failure.userinfo-sub-mismatch": userinfo_not_asked(),
    "failure.state-tampered": eoc_error(EOC_INVALID),
    "failure.state-replayed": eoc_error('"auth_verification" cookie not found'),
    # The other browser started a sign-in of its own: its transaction cookie holds another
    # nonce than alice's ID token.
    "failure.state-other-browser": eoc_error(EOC_CLAIM),
    "lifecycle.secret-renewal": eoc_no_code(),
    # openid-client fetches the key set again for an unknown kid only once the set it has is a
    # minute old; the scenario rotates the keys seconds after the first sign-in fetched them.
    "lifecycle.key-rotation": Verdict(
        "failed", "error when selecting a JWT verification key, no applicable keys",
        "FAIL: refuses a new key within a minute of its last key fetch (400 page)"),
    "signout.rp-initiated": passes(),
}

# mozilla-django-oidc sends the failures its callback catches (an error answered by the
# provider, a callback in a browser whose session holds no sign-in) back to "/"
# (LOGIN_REDIRECT_URL_FAILURE's default); a SuspiciousOperation it raises (state, nonce,
# signature) is Django's plain 400 page, any other exception Django's plain 500 page. It checks
# neither the ID token's issuer nor its audience ("verify_aud": False), never reads its ``sub``,
# and takes UserInfo's claims without comparing their ``sub`` with the ID token's.
DJANGO_CALLBACK = "/oidc/callback/"


def django_error(status: int, text: str) -> Verdict:
    return Verdict("failed", f"{NO_CONTACT}; the app showed {DJANGO_CALLBACK} with HTTP "
                   f"{status}: '{text}'", f"FAIL: Django's plain `{text}`, no contact")


def django_home() -> Verdict:
    return Verdict("failed", f"{NO_CONTACT}; the app showed / with HTTP 200: 'Django + "
                   "mozilla-django-oidc example' / 'Not signed in.'",
                   "FAIL: back on the home page, no message")


DJANGO_500 = django_error(500, "Server Error (500)")
DJANGO_400 = django_error(400, "Bad Request (400)")

DJANGO_OIDC: Mapping[str, Verdict] = {
    **COMMON,
    # It sends no ``resource`` (its code is redeemed for Azure AD Graph) and looks for a
    # ``kid`` in the unsigned v1 ID token (``KeyError: 'kid'``, in the app's log).
    "auto-login.v1-endpoints": Verdict(
        "failed", "the sign-in did not end at http://127.0.0.1:", "FAIL: looks for a `kid` in "
        "v1's unsigned ID token (Django 500 page)"),
    "failure.v1-unsigned-over-http": DJANGO_500,
    "failure.expired-secret": DJANGO_500,
    "failure.invalid-secret": DJANGO_500,
    "failure.user-not-assigned": django_home(),
    "failure.user-cancels": django_home(),
    "failure.needs-admin-approval": django_home(),
    "failure.idp-down": DJANGO_500,
    "failure.idp-down-keys": DJANGO_500,
    "failure.bad-signature": DJANGO_400,
    "failure.wrong-issuer": accepts(),
    "failure.wrong-audience": accepts(),
    "failure.nonce-mismatch": DJANGO_400,
    # PyJWT's ExpiredSignatureError is no DecodeError, which is all the library turns into a
    # SuspiciousOperation.
    "failure.expired-id-token": DJANGO_500,
    "failure.missing-sub": accepts(),
    "failure.userinfo-sub-mismatch": accepts(),
    "failure.state-tampered": DJANGO_400,
    # A browser whose session holds no sign-in is sent home; one that started a sign-in of its
    # own has other states, and an unknown one is a SuspiciousOperation.
    "failure.state-replayed": django_home(),
    "failure.state-other-browser": DJANGO_400,
    "lifecycle.secret-renewal": DJANGO_500,
    # It fetches the key set at every sign-in.
    "lifecycle.key-rotation": passes(),
    "signout.rp-initiated": passes(),
}

# The msal-node web app as Microsoft's tutorial writes it: MSAL redeems the code and checks the
# state it is handed, and every error goes to the tutorial's Express error handler (HTTP 500,
# the message and the stack). MSAL's ConfidentialClientApplication keeps only the posted code
# and state, so a provider's error answer becomes MSAL's request_cannot_be_made. The session
# cookie (express-session's default) has no SameSite attribute, which the provider's form post
# carries only within two minutes of the cookie's setting.
MSAL_NODE_STACK = "FAIL: Express 500 page with the stack trace, no contact"
MSAL_NODE_NO_ANSWER = "FAIL: MSAL's `request_cannot_be_made` (500), not the provider's error"


def msal_node_error(text: str, note: str = MSAL_NODE_STACK) -> Verdict:
    return Verdict("failed", f"{NO_CONTACT}; the app showed /auth/callback with HTTP 500: {text}",
                   note)


MSAL_NODE: Mapping[str, Verdict] = {
    **COMMON,
    "auto-login.first-login": Verdict(
        "failed", "the browser held the app's cookie connect.sid as SameSite=Lax: Chromium "
        "sends a cookie set without a SameSite attribute on such a post only within two minutes",
        "FAIL: after two minutes at the provider the form post lacks its session cookie (no "
        "SameSite): 500"),
    "auto-login.v1-endpoints": skip("v1-endpoints"),
    "failure.v1-unsigned-over-http": Verdict(
        "skipped", "the profile lacks http-provider (", "skip: https only (MSAL)"),
    "failure.expired-secret": msal_node_error("'invalid_client: Error(s): 7000222"),
    "failure.invalid-secret": msal_node_error("'invalid_client: Error(s): 7000215"),
    "failure.user-not-assigned": msal_node_error("'request_cannot_be_made", MSAL_NODE_NO_ANSWER),
    "failure.user-cancels": msal_node_error("'request_cannot_be_made", MSAL_NODE_NO_ANSWER),
    "failure.needs-admin-approval": msal_node_error("'request_cannot_be_made",
                                                    MSAL_NODE_NO_ANSWER),
    "failure.idp-down": msal_node_error("'token_parsing_error"),
    "failure.idp-down-keys": keys_not_asked(),
    "failure.bad-signature": tls_instead_of_signature(),
    "failure.wrong-issuer": accepts(),
    "failure.wrong-audience": accepts(),
    # It sends no nonce, and MSAL refuses an ID token carrying one.
    "failure.nonce-mismatch": msal_node_error("'nonce_mismatch"),
    "failure.expired-id-token": accepts(),
    "failure.missing-sub": accepts(),
    "failure.userinfo-sub-mismatch": userinfo_not_asked(),
    "failure.state-tampered": msal_node_error("'state_mismatch"),
    # The other browser started a sign-in of its own: its PKCE verifier is not alice's.
    "failure.state-other-browser": msal_node_error("'invalid_grant: Error(s): 501481"),
    # The sign-in's session is gone once used: the callback reads a verifier it no longer has.
    "failure.state-replayed": msal_node_error(
        '"Cannot read properties of undefined (reading \'verifier\')"'),
    "lifecycle.secret-renewal": msal_node_error("'invalid_client: Error(s): 7000222"),
    "lifecycle.key-rotation": keys_never_fetched_over_tls(),
    "signout.rp-initiated": passes(),
}

# Auth.js (@auth/express) with its Entra provider: the code flow with PKCE alone (no state, no
# nonce), the ID token's claims checked by oauth4webapi, not its signature (it comes from the
# token endpoint over TLS). An error the provider answers, or a code it refuses, sends the
# browser to Auth.js's sign-in page (the app's /login) with ?error=OAuthCallbackError; an ID
# token it refuses, or a token endpoint that fails, to Auth.js's own error page (HTTP 500,
# "Server error", the cause only in the app's log). Sign-out ends the app's session alone.
AUTHJS_SIGN_IN_PAGE = "FAIL: back on the sign-in page with `?error=OAuthCallbackError`, no contact"
AUTHJS_ERROR_PAGE = "FAIL: Auth.js's \"Server error\" page (500), no contact"


def authjs_sign_in_page() -> Verdict:
    return Verdict("failed", f"{NO_CONTACT}; the app showed /login with HTTP 200: 'Sign in' / "
                   "'Sign-in failed: OAuthCallbackError'", AUTHJS_SIGN_IN_PAGE)


def authjs_error_page() -> Verdict:
    return Verdict("failed", f"{NO_CONTACT}; the app showed /auth/error with HTTP 500: 'Server "
                   "error'", AUTHJS_ERROR_PAGE)


AUTHJS: Mapping[str, Verdict] = {
    **COMMON,
    "auto-login.v1-endpoints": skip("v1-endpoints"),
    "failure.v1-unsigned-over-http": Verdict(
        "skipped", "the profile lacks http-provider (", "skip: https only (Auth.js)"),
    "failure.expired-secret": authjs_sign_in_page(),
    "failure.invalid-secret": authjs_sign_in_page(),
    "failure.user-not-assigned": authjs_sign_in_page(),
    "failure.user-cancels": authjs_sign_in_page(),
    "failure.needs-admin-approval": authjs_sign_in_page(),
    "failure.idp-down": authjs_error_page(),
    "failure.idp-down-keys": keys_not_asked(),
    "failure.bad-signature": tls_instead_of_signature(),
    "failure.wrong-issuer": authjs_error_page(),
    "failure.wrong-audience": authjs_error_page(),
    # It sends no nonce, and refuses an ID token carrying one.
    "failure.nonce-mismatch": authjs_error_page(),
    "failure.expired-id-token": authjs_error_page(),
    "failure.missing-sub": authjs_error_page(),
    "failure.userinfo-sub-mismatch": userinfo_not_asked(),
    "failure.state-tampered": Verdict(
        "skipped", "the app sent no state to the provider but a PKCE code_challenge",
        "skip: no state, relies on PKCE (RFC 9700 §2.1)"),
    # The other browser's own verifier is not alice's: the provider refuses the code.
    "failure.state-other-browser": authjs_sign_in_page(),
    # The verifier's cookie is gone once used.
    "failure.state-replayed": authjs_error_page(),
    "lifecycle.secret-renewal": authjs_sign_in_page(),
    "lifecycle.key-rotation": keys_never_fetched_over_tls(),
    "signout.rp-initiated": Verdict(
        "failed", "the app signed out locally only: its sign-out never sent the browser to the "
        "provider's end-session endpoint", "FAIL: signs out of the app only"),
}

APPS: Mapping[str, Mapping[str, Verdict]] = {
    "flask-identity": IDENTITY,
    "flask-authlib": AUTHLIB,
    "passport-openidconnect": PASSPORT,
    "msal-spa": MSAL_SPA,
    "express-openid-connect": EXPRESS_OIDC,
    "django-oidc": DJANGO_OIDC,
    "msal-node": MSAL_NODE,
    "authjs-express": AUTHJS,
}

COLUMNS = {"flask-identity": "identity (MSAL)", "flask-authlib": "Authlib",
           "passport-openidconnect": "passport-openidconnect", "msal-spa": "MSAL.js (SPA)",
           "express-openid-connect": "express-openid-connect",
           "django-oidc": "mozilla-django-oidc", "msal-node": "msal-node (tutorial)",
           "authjs-express": "Auth.js (Express)"}


def verdicts_of(app: str) -> Mapping[str, Verdict]:
    return APPS[app]


def markdown_table() -> str:
    """One row per scenario, one column per app: the verdict and what it means."""
    scenario_ids = list(dict.fromkeys(s for verdicts in APPS.values() for s in verdicts))
    header = "| scenario | " + " | ".join(COLUMNS[app] for app in APPS) + " |"
    lines = [header, "|---" * (len(APPS) + 1) + "|"]
    for scenario_id in sorted(scenario_ids):
        cells = [APPS[app][scenario_id].note if scenario_id in APPS[app] else ""
                 for app in APPS]
        lines.append(f"| `{scenario_id}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
