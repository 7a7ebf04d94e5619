"""Sign-ins in progress that a platform event or a provider's logout outdated: checked as the
session is made (:func:`relying_party.callback.callback`), so none is made for them.

An ``app.uninstalled`` ends the installation's sign-ins in progress: were the installation
installed again before their callback came, they belong to its earlier lifetime, which began
before the ``app.installed`` that started the current one arrived. A ``user.logout`` ends its
user's (:meth:`relying_party.db.Database.log_out_platform_user`). Both end on the failure page
as an outdated sign-in (``state_expired``); a new sign-in from the app works.

A provider's back- or front-channel logout that comes while the callback waits on the provider
ends the sign-in the same way when it names the new ID token's ``sid``, or its ``sub`` and the
sign-in began at or before it (:mod:`relying_party.db.provider_logouts`): the provider has
already ended the session it would belong to, and would never sign it out again.
"""

from __future__ import annotations

from .db import LoginTransaction
from .failure import FailureSource, SignInFailed
from .login_errors import StateExpired
from .oidc.id_token import IdTokenClaims
from .oidc.issuer_key import session_keys
from .provider import ClientConfig
from .web import AppState


def check_not_outdated(rp: AppState, tx: LoginTransaction, platform_user_id: str,
                       source: FailureSource) -> None:
    """:class:`StateExpired` when the installation was uninstalled, or the platform user
    signed out, while this sign-in was in progress."""
    began = rp.db.installations.lifetime_began(tx.source_id)
    if began is not None and tx.created_at < began:
        raise SignInFailed(StateExpired(
            f"installation {tx.source_id!r} was uninstalled (app.uninstalled) and installed "
            f"again at {began.isoformat()} during this sign-in, started at "
            f"{tx.created_at.isoformat()}",
            message="This app was removed and added again while you were signing in. Please "
            "start again from the app.",
            admin_hint="The platform uninstalled and reinstalled the app while this sign-in was "
            "in progress; a new sign-in from the app works."), source)
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
