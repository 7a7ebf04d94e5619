"""Sign-ins in progress that a change of their connection or installation, a platform event or
a provider's logout outdated: checked as the session is made
(:func:`relying_party.callback.callback`), so none is made for them.

A sign-in belongs to the lifetime of its connection or installation it began in, and ends when
that lifetime has: checked as the callback takes its ``state``, before the code is redeemed (a
code the provider issued then never reaches another token endpoint, nor is redeemed as another
client), and again as the session is made. A connection's lifetime ends when it is deleted
(even if made again under the same id), disabled (even if enabled again) or given another
client id, provider or token endpoint (:func:`relying_party.connection_admin.ends_sign_ins`);
the sign-in keeps the connection's lifetime stamp. An ``app.uninstalled`` ends an
installation's: were the installation installed again before the callback came, the sign-in
belongs to its earlier lifetime, which began before the ``app.installed`` that started the
current one arrived. A ``user.logout`` ends its user's sign-ins
(:meth:`relying_party.db.Database.log_out_platform_user`). Each ends on the failure page as an
outdated sign-in (``state_expired``); a new sign-in works.

A provider's back- or front-channel logout that comes while the callback waits on the provider
ends the sign-in the same way when it names the new ID token's ``sid``, or its ``sub`` and the
sign-in began at or before it (:mod:`relying_party.db.provider_logouts`): the provider has
already ended the session it would belong to, and would never sign it out again. So does an
admin's removal of the user of the sign-in's identity at or after the sign-in began
(:mod:`relying_party.db.identity_removals`): the removal ended the user's
sessions, and a session made after it would outlive it.
"""

from __future__ import annotations

from .db import LoginTransaction
from .failure import FailureSource, SignInFailed
from .login_errors import StateExpired
from .oidc.id_token import IdTokenClaims
from .oidc.issuer_key import session_keys
from .provider import ClientConfig
from .web import AppState


def check_same_lifetime(rp: AppState, tx: LoginTransaction, client: ClientConfig) -> None:
    """:class:`StateExpired` when the sign-in's connection or installation (now ``client``)
    began another lifetime since the sign-in began."""
    if tx.source_kind == "connection":
        if client.lifetime != tx.source_lifetime:
            raise SignInFailed(StateExpired(
                f"connection {tx.source_id!r} was deleted and made again, disabled, or given "
                f"another client id, provider or token endpoint during this sign-in, started at "
                f"{tx.created_at.isoformat()}; its code was not redeemed",
                message="The sign-in settings changed while you were signing in. Please sign "
                "in again.",
                admin_hint="An admin changed the connection (deleted and made it again, disabled "
                "it, or changed its client id, provider or token URL) while this sign-in was in "
                "progress; a new sign-in uses the connection as it is now."),
                client.failure_source)
        return
    began = rp.db.installations.lifetime_began(tx.source_id)
    if began is not None and tx.created_at < began:
        raise SignInFailed(StateExpired(
            f"installation {tx.source_id!r} was uninstalled (app.uninstalled) and installed "
            f"again at {began.isoformat()} during this sign-in, started at "
            f"{tx.created_at.isoformat()}",
            message="This app was removed and added again while you were signing in. Please "
            "start again from the app.",
            admin_hint="The platform uninstalled and reinstalled the app while this sign-in was "
            "in progress; a new sign-in from the app works."), client.failure_source)


def check_not_outdated(rp: AppState, tx: LoginTransaction, platform_user_id: str,
                       source: FailureSource) -> None:
    """:class:`StateExpired` when the platform user signed out while this sign-in was in
    progress."""
    before = rp.db.platform_logouts.sign_ins_before(tx.source_id, platform_user_id)
    if before is not None and tx.created_at <= before:
        raise SignInFailed(StateExpired(
            f"platform user {platform_user_id!r} was signed out (user.logout) during this "
            f"sign-in, started at {tx.created_at.isoformat()}",
            message="You were signed out while signing in. Please start again from the app.",
            admin_hint="The platform signed the user out (user.logout) while this sign-in was in"
            " progress; a new sign-in from the app works."), source)


def check_not_logged_out(rp: AppState, tx: LoginTransaction, client: ClientConfig,
                         claims: IdTokenClaims, source: FailureSource) -> None:
    """:class:`StateExpired` when the provider logged out the session this sign-in would
    belong to (its ``sid``), or its user since the sign-in began, while it was in progress.
    An issuer is matched as a session's is when a logout ends it (its keys for ``client``)."""
    keys = session_keys(claims.iss, client.identity_origin)
    for logout in rp.db.provider_logouts.naming(sid=claims.sid, subject=claims.sub,
                                                source=client.source, at=rp.settings.clock.now()):
        if logout.issuer is not None and logout.issuer not in keys:
            continue
        if logout.sid is None and (logout.sign_ins_before is None
                                   or tx.created_at > logout.sign_ins_before):
            continue
        what = f"provider session {claims.sid!r}" if logout.sid else f"subject {claims.sub!r}"
        raise SignInFailed(StateExpired(
            f"{what} of {claims.iss} was signed out (back- or front-channel logout) during "
            f"this sign-in, started at {tx.created_at.isoformat()}",
            message="You were signed out while signing in. Please sign in again.",
            admin_hint="The identity provider signed the user out while this sign-in was in "
            "progress; a new sign-in works."), source)


def check_not_removed(rp: AppState, tx: LoginTransaction, issuer: str, subject: str,
                      source: FailureSource) -> None:
    """:class:`StateExpired` when an admin removed the user of the identity (``issuer``, an
    issuer key, and ``subject``) while this sign-in was in progress: removal ends the user's
    sessions, so none may start from a sign-in begun before it (a new sign-in makes a new
    user)."""
    removed = rp.db.identity_removals.since(issuer, subject, tx.created_at)
    if removed is not None:
        raise SignInFailed(StateExpired(
            f"the user of subject {subject!r} of {issuer} was removed at {removed.isoformat()}"
            f", during this sign-in, started at {tx.created_at.isoformat()}",
            message="Your account was removed while you were signing in. Please sign in again.",
            admin_hint="An admin removed the user while this sign-in was in progress; a new "
            "sign-in makes a new user."), source)
