""""Update your password": a user whose password must change sets a new one while signing in.

An administrator marks the account (Graph's ``passwordProfile.forceChangePasswordNextSignIn``,
or ``forceChangePasswordNextSignInWithMfa``; ``force_change_password`` in ``idp.toml``), as for a
new employee's temporary password. After the right password (and an authenticator app's code,
if the user has one) Entra shows "Update your password" (``<meta name="PageID"
content="ConvergedChangePassword">``); only once the new password is set does a session start.
The password grant cannot show the page, so it answers AADSTS50055 (``user_password_expired``,
:mod:`mock_idp.protocol.password_grant`).

The new password must meet Entra's policy for cloud accounts ("Password policies and account
restrictions in Microsoft Entra ID"): 8 to 256 characters; three of the four kinds lower case
letters, upper case letters, digits and symbols; only letters A-Z and a-z, digits, the policy's
symbols and spaces (no other Unicode); and not the password being changed. The banned-password
list is not modelled.

What a change revokes (the "Token revocation" table of Entra's refresh-token reference): a user
changing their own password revokes the sessions and the public clients' refresh tokens that
the old password signed in; confidential clients' refresh tokens stay valid
(:attr:`mock_idp.store.User.password_changed_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..store import Tenant, User
from . import ids
from .flow import SignedIn, check_password

MIN_LENGTH = 8
MAX_LENGTH = 256
SYMBOLS = frozenset("@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ")
"""The symbols the policy allows (the space among them)."""

# The page's messages: the mock's own wording.
WRONG_CURRENT = "Your current password is not right."
NOT_MATCHING = "The two new passwords are not the same."
TOO_SHORT_OR_LONG = f"Use {MIN_LENGTH} to {MAX_LENGTH} characters."
NOT_ALLOWED = ("Use only letters A-Z and a-z, digits, spaces and the symbols "
               "@ # $ % ^ & * - _ ! + = [ ] { } | \\ : ' , . ? / ` ~ \" ( ) ; < >.")
TOO_SIMPLE = "Use three of these: lower case letters, upper case letters, digits and symbols."
SAME_AS_BEFORE = "Choose a password you have not used before."
MISSING = "Enter your current password and a new one twice."


@dataclass(frozen=True)
class AskNewPassword:
    """Show "Update your password", with ``error`` after a try the policy refused."""

    user: User
    error: str | None = None


def policy_problem(new: str, current: str) -> str | None:
    """Why ``new`` cannot replace ``current`` under Entra's password policy, or ``None``."""
    if not MIN_LENGTH <= len(new) <= MAX_LENGTH:
        return TOO_SHORT_OR_LONG
    if any(not (c.isascii() and (c.isalnum() or c in SYMBOLS)) for c in new):
        return NOT_ALLOWED
    kinds = (any(c.islower() for c in new), any(c.isupper() for c in new),
             any(c.isdigit() for c in new), any(c in SYMBOLS for c in new))
    if sum(kinds) < 3:
        return TOO_SIMPLE
    if new == current:
        return SAME_AS_BEFORE
    return None


def change_step(owner: Tenant, user: User, current: str, new: str, confirm: str,
                now: datetime) -> SignedIn | AskNewPassword:
    """"Sign in" on "Update your password": the current password again (a wrong one counts
    toward a lockout, as on the password page), then the new one twice. The caller sets it
    with :func:`apply` on :class:`SignedIn`."""
    if not current or not new or not confirm:
        return AskNewPassword(user, MISSING)
    wrong = check_password(owner, user, current, now)
    if wrong is not None:
        return AskNewPassword(user, ids.ACCOUNT_LOCKED if wrong.code == 50053 else WRONG_CURRENT)
    if new != confirm:
        return AskNewPassword(user, NOT_MATCHING)
    problem = policy_problem(new, current)
    if problem is not None:
        return AskNewPassword(user, problem)
    return SignedIn(user)


def apply(user: User, new: str, now: datetime) -> None:
    """Set the user's new password: the mark is cleared, and what the old password signed in
    is revoked from ``now``."""
    user.password = new
    user.force_change_password = False
    user.password_changed_at = now
