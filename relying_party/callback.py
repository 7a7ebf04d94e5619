"""The redirect endpoints ``/auth/callback/{connection id}``, ``/auth/callback/installation``
(:mod:`relying_party.redirect_uris`) and ``/auth/callback``: finish a sign-in or render the
failure page.

Order of checks: ``state`` (present, known, unused, issued to this browser: only then is it
consumed; unexpired), the connection or installation still usable and in the lifetime the
sign-in began in (not deleted and made again, disabled, given another client or provider, nor
uninstalled and installed again: :mod:`relying_party.in_flight`); these two in
:mod:`relying_party.callback_state`. Then the redirect URI the
response arrived at being the one its sign-in sent (the mix-up defence: a provider's code never
reaches another provider's token endpoint), RFC 9207 ``iss`` (so that an error response, too,
is known to come from the provider asked, when the provider sends it), an error from the
provider,
then the code exchange (PKCE verifier, exact redirect URI; an installation's spare credentials
when its secret is refused, :mod:`relying_party.installation_credentials`), the ID token,
UserInfo ``sub`` (for an installation, asked at its ``userinfo`` link), the user's group
memberships (the ``groups`` claim, or its overage followed to Microsoft Graph) and, for an
installation, the platform user id that link answered (:mod:`relying_party.platform_user`) and
the user's licence (``app.updated``). Only then, in one transaction, are the checks made again
that the connection or installation may still sign people in, as the same client of the same
provider, that the platform did not take the user's licence, uninstall the installation
(reinstalled since) nor sign the user out (``user.logout``) since the sign-in began, and that
the provider did not log out its session or user meanwhile (back- or front-channel,
:mod:`relying_party.in_flight`), nor an admin remove its user; and only after them is the
identity mapped to a local user (a new one made, its e-mail address unique) and the session
created, so a refused sign-in stores neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .authorization_response import check_response_issuer
from .callback_state import (
    AlreadySignedIn,
    client_for_transaction,
    response_params,
    take_transaction,
)
from .db import EmailTaken, LoginTransaction, Session, SessionGroups, User
from .failure import FailureSource, SignInFailed
from .in_flight import check_not_logged_out, check_not_outdated, check_not_removed
from .inputs import escape_invisible
from .installation_credentials import redeem_code
from .login_errors import (
    CodeMissing,
    DuplicateEmail,
    StateExpired,
    UnlicensedUser,
    UnmappedUser,
)
from .oidc.discovery import ProviderMetadata
from .oidc.errors import (
    IdTokenExpired,
    LoginError,
    UserinfoFailed,
    expired_hint,
    idp_error_from_body,
)
from .oidc.groups import GroupMemberships, resolve_groups
from .oidc.id_token import DEFAULT_ALGS, IdTokenClaims, validate_id_token
from .oidc.issuer_key import issuer_key
from .oidc.unsigned import refuse_unsigned_over_http, unsigned_trusted
from .oidc.userinfo import check_userinfo_sub, fetch_userinfo
from .platform_user import link_failed
from .platform_user import platform_user_id as platform_user_id_of
from .provider import ClientConfig
from .redirect_uris import CALLBACK_PATH, check_redirect_uri
from .secret_health import note_refused_secret
from .web import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    AppState,
    clear_cookie,
    cookie,
    get_only,
    issue_csrf,
    new_token,
    safe_return_path,
    set_cookie,
)
from .web import state_of as rp_of


@dataclass(frozen=True, kw_only=True)
class SignedIn:
    identity_issuer: str
    """The issuer key the identity is stored under (:func:`issuer_key`), with ``claims.sub``."""
    email: str | None
    name: str | None
    claims: IdTokenClaims
    id_token: str
    platform_user_id: str | None
    groups: GroupMemberships


def _allowed_algs(metadata: ProviderMetadata) -> tuple[str, ...]:
    advertised = set(metadata.id_token_signing_alg_values_supported)
    allowed = tuple(alg for alg in DEFAULT_ALGS if alg in advertised)
    return allowed or ("RS256",)


MAX_NAME_CHARS = 256
"""The most characters of a user's name the RP keeps: Entra's limit on a user's
``displayName``, at most 256 characters (learn.microsoft.com/graph/api/resources/user),
which its ``name`` claim carries; another provider may send any length."""


def _name(claims: IdTokenClaims, userinfo: Mapping[str, Any]) -> str | None:
    """The name the sign-in carries (the ID token's, else UserInfo's), as the RP keeps and
    shows it: trimmed, cut to :data:`MAX_NAME_CHARS` characters as sent, then its control and
    invisible characters (a bidi override) escaped (``\\u202e``), so that an escape is never
    cut in two nor counted as more than the character it stands for; ``None`` when it carries
    none, or only white space. It is kept as text, not HTML: the pages' templates escape it
    for HTML (autoescape), once."""
    info_name = userinfo.get("name")
    name = claims.name or (info_name if isinstance(info_name, str) else None)
    if name is None or not (name := name.strip()):
        return None
    return escape_invisible(name[:MAX_NAME_CHARS].rstrip())


def _email(claims: IdTokenClaims, userinfo: Mapping[str, Any]) -> str | None:
    """The e-mail address the provider vouches for, which becomes the local user's unique
    address; ``None`` when it vouches for none.

    Anyone who administers a tenant can set any ``email`` on its users, so an unvouched address
    would let one organization take another's addresses (the first to sign in keeps it, and
    the owner's own sign-in is refused as a duplicate). Microsoft's guidance is never to trust
    ``email`` alone (learn.microsoft.com/entra/identity-platform/
    migrate-off-email-claim-authorization); Entra vouches for it with the ``xms_edov`` optional
    claim ("email domain owner verified", a boolean, in a token that carries ``email``: the
    optional claims reference), which the app registration must list. A token without ``tid``
    (another provider's) vouches with OIDC's ``email_verified`` (OIDC Core 5.1); Entra's are
    never read by it. ``preferred_username`` is no e-mail address (mutable, not vouched for),
    and UserInfo's ``email`` counts only when it is the ID token's vouched one.
    """
    email = claims.email
    if not (isinstance(email, str) and "@" in email):
        return None
    vouched = claims.claims.get("xms_edov") is True or (
        claims.tid is None and claims.claims.get("email_verified") is True)
    if not vouched:
        return None
    info = userinfo.get("email")
    if isinstance(info, str) and info.strip().casefold() != email.strip().casefold():
        return None
    return email


async def complete_sign_in(
    rp: AppState, client: ClientConfig, tx: LoginTransaction, params: Mapping[str, str]
) -> SignedIn:
    settings = rp.settings
    metadata = await rp.providers.metadata(client)
    check_response_issuer(params, metadata)
    if params.get("error"):
        raise idp_error_from_body(params)
    code = params.get("code")
    if not code:
        raise CodeMissing("callback without code or error")
    try:
        tokens = await redeem_code(rp, client, code=code, redirect_uri=tx.redirect_uri,
                                   code_verifier=tx.code_verifier)
    except LoginError as exc:
        note_refused_secret(rp.db, client, exc, settings.clock.now())
        raise
    now = settings.clock.now()
    # Straight from the token endpoint: Entra's v1.0 one sends the ID token unsigned, which is
    # trusted over TLS only (relying_party.oidc.unsigned, OIDC Core 3.1.3.7 step 6).
    refuse_unsigned_over_http(client.token_endpoint, tokens.id_token)
    claims = await validate_id_token(
        tokens.id_token,
        keys=rp.providers.keys(metadata),
        expected_issuer=metadata.issuer,
        client_id=client.client_id,
        nonce=tx.nonce,
        now=now,
        leeway=settings.leeway,
        allowed_algs=_allowed_algs(metadata),
        access_token=tokens.access_token,
        code=code,
        unsigned_allowed=unsigned_trusted(client.token_endpoint),
    )
    if now - claims.iat > settings.max_token_age + settings.leeway:
        raise IdTokenExpired(
            f"issued at {claims.iat.isoformat()}, too long ago",
            admin_hint=expired_hint(claims.iat.timestamp(), now.timestamp(),
                                    settings.leeway.total_seconds()))
    userinfo: Mapping[str, Any] = {}
    userinfo_endpoint = client.userinfo_endpoint or metadata.userinfo_endpoint
    if userinfo_endpoint:
        try:
            userinfo = await fetch_userinfo(
                rp.providers.http, userinfo_endpoint, tokens.access_token,
                timeout=rp.providers.timeout)
        except UserinfoFailed as exc:
            raise (link_failed(exc) if client.userinfo_endpoint else exc) from exc
        check_userinfo_sub(userinfo, claims.sub)
    groups = await resolve_groups(
        rp.providers.http, claims.claims, provider=client.token_endpoint,
        access_token=tokens.access_token, graph=settings.graph_url, timeout=rp.providers.timeout)

    platform_user_id: str | None = None
    if client.source_kind == "installation":
        installation = rp.db.installations.get(client.source_id)
        account_id = installation.account_id if installation else None
        if claims.tid is not None and account_id and claims.tid != account_id:
            raise UnmappedUser(
                f"user's tenant {claims.tid!r} is not the installation's account {account_id!r}",
                admin_hint="The user belongs to another account than the one that installed the"
                " app.",
            )
        # The installation's userinfo link (the platform's /users/me) says who signed in.
        platform_user_id = platform_user_id_of(userinfo if client.userinfo_endpoint else None)
        check_licensed(rp, client.source_id, platform_user_id, client.failure_source)

    # The ID token's issuer is the connection's (checked above); one Entra tenant's v1 and v2
    # issuers are one identity space, so moving between the endpoints keeps every user, as
    # long as the tenant is served from the same place (Entra's hosts, or one other origin).
    return SignedIn(
        identity_issuer=issuer_key(claims.iss, tid=claims.tid, origin=client.identity_origin),
        email=_email(claims, userinfo),
        name=_name(claims, userinfo),
        claims=claims, id_token=tokens.id_token, platform_user_id=platform_user_id,
        groups=groups,
    )


def local_user(rp: AppState, client: ClientConfig, signed_in: SignedIn,
               source: FailureSource) -> User:
    """The local user of the signed-in identity; a new one is made when there is none, in the
    caller's transaction, after its checks (:class:`DuplicateEmail` when another user holds
    the e-mail address). A user made without an address takes the one this sign-in vouches
    for, unless another user holds it (then it still has none: a user who signed in before is
    not refused), so the users who signed in before the app's registration asked for
    ``xms_edov`` get their addresses at their next sign-in. The user's name is the one each
    sign-in carries (renamed at the provider, renamed here at the next sign-in; a sign-in
    carrying none keeps it); the user is always the one the identity, (issuer key, ``sub``),
    is linked to, never one found by address or name."""
    claims = signed_in.claims
    user = rp.db.users.find_by_identity(signed_in.identity_issuer, claims.sub)
    if user is not None:
        if signed_in.name is not None and signed_in.name != user.name:
            user = rp.db.users.take_name(user.id, signed_in.name) or user
        if user.email is None and signed_in.email is not None:
            return rp.db.users.give_email(user.id, signed_in.email) or user
        return user
    try:
        return rp.db.users.create_with_identity(
            issuer=signed_in.identity_issuer, subject=claims.sub, email=signed_in.email,
            name=signed_in.name, source_kind=client.source_kind, source_id=client.source_id,
            at=rp.settings.clock.now(),
        )
    except EmailTaken as exc:
        raise SignInFailed(DuplicateEmail(
            f"{signed_in.email!r} already belongs to another user; identity ({claims.iss}, "
            f"{claims.sub})"), source) from exc


def check_licensed(rp: AppState, installation_id: str, platform_user_id: str,
                   source: FailureSource) -> None:
    """:class:`UnlicensedUser` when the platform took the user's licence for the installation
    (``app.updated``) and has not given it back (:mod:`relying_party.db.licences`)."""
    taken_at = rp.db.licences.taken_at(installation_id, platform_user_id)
    if taken_at is not None:
        raise SignInFailed(UnlicensedUser(
            f"platform user {platform_user_id!r} has no licence in installation "
            f"{installation_id!r}: taken by an app.updated created at {taken_at.isoformat()}"
        ), source)


async def callback(request: Request) -> Response:
    rp = rp_of(request)
    params = response_params(rp, request)
    try:
        tx, client = take_transaction(rp, request, params)
    except AlreadySignedIn as already:
        return RedirectResponse(safe_return_path(already.return_to), status_code=303,
                                headers={"Cache-Control": "no-store"})
    check_redirect_uri(rp, request, tx, client)
    try:
        signed_in = await complete_sign_in(rp, client, tx, params)
    except LoginError as exc:
        raise SignInFailed(exc, client.failure_source) from exc

    settings = rp.settings
    now = settings.clock.now()
    token = new_token()
    with rp.db.transaction():
        # The connection or installation may have been disabled, deleted or uninstalled while
        # the provider was being asked; its sessions end then, so none may start after it.
        current = client_for_transaction(rp, tx)
        if (current.client_id, current.discovery_url) != (client.client_id, client.discovery_url):
            raise SignInFailed(
                StateExpired("the connection's client or provider changed during sign-in"),
                current.failure_source,
            )
        if signed_in.platform_user_id is not None:
            check_licensed(rp, tx.source_id, signed_in.platform_user_id, current.failure_source)
            check_not_outdated(rp, tx, signed_in.platform_user_id, current.failure_source)
        check_not_logged_out(rp, tx, client, signed_in.claims, current.failure_source)
        check_not_removed(rp, tx, signed_in.identity_issuer, signed_in.claims.sub,
                          current.failure_source)
        user = local_user(rp, client, signed_in, current.failure_source)
        rp.db.users.signed_in(user.id, settings.clock.now())
        rp.db.sessions.create(
            token,
            Session(
                user_id=user.id,
                source_kind=client.source_kind,
                source_id=client.source_id,
                issuer=signed_in.claims.iss,
                subject=signed_in.claims.sub,
                sid=signed_in.claims.sid,
                platform_user_id=signed_in.platform_user_id,
                id_token=signed_in.id_token,
                created_at=now,
                expires_at=now + settings.session_lifetime,
                sign_in_started_at=tx.created_at,
            ),
            replaces=cookie(request, SESSION_COOKIE),
        )
        rp.db.groups.set(token, SessionGroups(ids=signed_in.groups.ids,
                                              source=signed_in.groups.source))
    rp.db.record_login(client.source_kind, client.source_id, now, secret=client.client_secret)
    response = RedirectResponse(safe_return_path(tx.return_to), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    set_cookie(
        response,
        settings,
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_lifetime.total_seconds()),
    )
    # A new session gets a new CSRF token and, at its next sign-in, a new login binding.
    issue_csrf(response, rp)
    clear_cookie(response, settings, LOGIN_COOKIE)
    return response


routes = [get_only(CALLBACK_PATH, callback), get_only(CALLBACK_PATH + "/{key}", callback)]
