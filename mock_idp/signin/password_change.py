""""Update your password": a user whose password must change sets a new one while signing in.

An administrator marks the account (Graph's ``passwordProfile.forceChangePasswordNextSignIn``,
or ``forceChangePasswordNextSignInWithMfa``; ``force_change_password`` in ``idp.toml``), as for a
new employee's temporary password. After the right password (and an authenticator app's code,
if the user has one) Entra shows "Update your password" (``<meta name="PageID"
content="ConvergedChangePassword">``); only once the new password is set does a session start.
The password grant cannot show the page, so it answers AADSTS50055 (``user_password_expired``,
:mod:`mock_idp.protocol.password_grant`).

The new password must meet Entra's policy (:mod:`mock_idp.password_policy`) and differ from
the password being changed ("Password policies and account restrictions in Microsoft Entra
ID": the last password cannot be used again on a change).

What a change revokes (the "Token revocation" table of Entra's refresh-token reference): a user
changing their own password ends their sessions and revokes public clients' refresh tokens
(AADSTS50173); confidential clients' refresh tokens stay valid (:func:`apply`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .. import password_policy
from ..errors import EntraError
from ..password_policy import NOT_ALLOWED, TOO_SHORT_OR_LONG, TOO_SIMPLE
from ..store import Session, Store, Tenant, User
from . import ids
from .flow import SignedIn, check_password

__all__ = ["MISSING", "NOT_ALLOWED", "NOT_MATCHING", "SAME_AS_BEFORE", "TOO_SHORT_OR_LONG",
           "TOO_SIMPLE", "WRONG_CURRENT", "AskNewPassword", "apply", "change_step",
           "policy_problem"]

# The page's messages: the mock's own wording.
WRONG_CURRENT = "Your current password is not right."
NOT_MATCHING = "The two new passwords are not the same."
SAME_AS_BEFORE = "Choose a password you have not used before."
MISSING = "Enter your current password and a new one twice."


@dataclass(frozen=True)
class AskNewPassword:
    """Show "Update your password", with ``error`` after a refused try: about the ``current``
    password (``cause``: its AADSTS error, 50126 or 50053) or the ``new`` one."""

    user: User
    error: str | None = None
    field: Literal["current", "new"] = "new"
    cause: EntraError | None = None


def policy_problem(new: str, current: str) -> str | None:
    """Why ``new`` cannot replace ``current``: Entra's policy, then the last password."""
    found = password_policy.problem(new)
    if found is None and new == current:
        return SAME_AS_BEFORE
    return found


def change_step(owner: Tenant, user: User, current: str, new: str, confirm: str,
                now: datetime) -> SignedIn | AskNewPassword:
    """"Sign in" on "Update your password": the current password again (a wrong one counts
    toward a lockout, as on the password page), then the new one twice. The caller sets it
    with :func:`apply` on :class:`SignedIn`."""
    if not current or not new or not confirm:
        return AskNewPassword(user, MISSING, "new" if current else "current")
    wrong = check_password(owner, user, current, now)
    if wrong is not None:
        return AskNewPassword(user, ids.ACCOUNT_LOCKED if wrong.code == 50053 else WRONG_CURRENT,
                              "current", wrong)
    if new != confirm:
        return AskNewPassword(user, NOT_MATCHING)
    problem = policy_problem(new, current)
    if problem is not None:
        return AskNewPassword(user, problem)
    return SignedIn(user)


def apply(store: Store, user: User, new: str, now: datetime) -> list[Session]:
    """Set the user's new password and clear the mark; what the old password signed in is
    revoked: the user's sessions end (returned, for the apps to be told), and public clients'
    refresh tokens and every code not yet redeemed are refused from ``now``, and Graph
    challenges the user's CAE tokens from before it (:mod:`mock_idp.protocol.cae`)."""
    user.password = new
    user.force_change_password = False
    user.password_changed_at = now
    store.revoke_grants(user.id, now, public_only=True)
    return store.end_sessions(user_id=user.id)
