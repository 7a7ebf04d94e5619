"""Partner sign-ins in progress that a platform event outdated: checked as the session is made
(:func:`relying_party.callback.callback`), so none is made for them.

An ``app.uninstalled`` ends the installation's sign-ins in progress: were the installation
installed again before their callback came, they belong to its earlier lifetime, which began
before the ``app.installed`` that started the current one arrived. A ``user.logout`` ends its
user's (:meth:`relying_party.db.Database.log_out_platform_user`). Both end on the failure page
as an outdated sign-in (``state_expired``); a new sign-in from the app works.
"""

from __future__ import annotations

from .db import LoginTransaction
from .failure import FailureSource, SignInFailed
from .login_errors import StateExpired
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
