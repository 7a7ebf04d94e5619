"""Whether a grant may still act for its user: the account enabled, the grant not revoked."""

from __future__ import annotations

from datetime import datetime

from ..errors import EntraError
from ..store import Tenant, User


def check_user(tenant: Tenant, user_id: str, issued: datetime, *, public: bool = False
               ) -> User:
    """The user a code, refresh token or assertion was issued for, or AADSTS50057 (disabled or
    gone) / AADSTS50173 (issued before the user's sessions were revoked, or for a ``public``
    client's refresh token, before the user changed their password: Entra's refresh-token
    reference revokes those, and keeps confidential clients')."""
    user = tenant.users.get(user_id)
    if user is None or not user.enabled:
        raise EntraError(50057)
    valid_from = user.tokens_valid_from
    if public and user.password_changed_at is not None:
        valid_from = max(valid_from, user.password_changed_at)
    if issued < valid_from:
        raise EntraError(50173, {"issued": issued.strftime("%m/%d/%Y %H:%M:%S"),
                                 "valid_from": valid_from.strftime("%m/%d/%Y %H:%M:%S")})
    return user
