"""Whether a grant may still act for its user: the account enabled, the grant not revoked."""

from __future__ import annotations

from datetime import datetime

from ..errors import EntraError
from ..store import Tenant, User


def check_user(tenant: Tenant, user_id: str, issued: datetime) -> User:
    """The user a code, refresh token or assertion was issued for, or AADSTS50057 (disabled or
    gone) / AADSTS50173 (issued before the user's sessions were revoked)."""
    user = tenant.users.get(user_id)
    if user is None or not user.enabled:
        raise EntraError(50057)
    if issued < user.tokens_valid_from:
        raise revoked(issued, user.tokens_valid_from)
    return user


def revoked(issued: datetime, valid_from: datetime) -> EntraError:
    """AADSTS50173: a grant issued at ``issued``, revoked from ``valid_from``."""
    return EntraError(50173, {"issued": issued.strftime("%m/%d/%Y %H:%M:%S"),
                              "valid_from": valid_from.strftime("%m/%d/%Y %H:%M:%S")})
