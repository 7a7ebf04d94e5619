"""Whether a grant may still act for its user: the account enabled, the grant not revoked."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from ..errors import EntraError
from ..guest_home import may_sign_in
from ..store import Tenant, User


def grant_time(instant: datetime) -> str:
    """An instant as Entra names it in its grant errors: ISO 8601 with seven fractional digits
    (AADSTS700082 "issued on 2019-01-02T09:19:53.5422744Z", Partner Center's secure application
    model article; AADSTS50173 "'2024-08-20T11:27:50.1621824Z' … '2024-11-26T23:01:05.0000000Z'",
    quoted in public error handlers; AADSTS700084 likewise, MSAL.js #6765)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def is_revoked(user: User, issued: datetime) -> bool:
    """A grant or session from ``issued`` predates the user's revocation (never, while no
    revocation has set ``tokens_valid_from``: moving the mock's clock back keeps it valid)."""
    return user.tokens_valid_from is not None and issued < user.tokens_valid_from


def check_user(tenant: Tenant, user_id: str, issued: datetime,
               tenants: Mapping[str, Tenant]) -> User:
    """The user a code, refresh token or assertion was issued for, or AADSTS50057 (disabled or
    gone, or a guest whose home account in ``tenants`` is: :func:`~mock_idp.guest_home.
    may_sign_in`) / AADSTS50173 (issued before the user's sessions were revoked)."""
    user = tenant.users.get(user_id)
    if user is None or not may_sign_in(tenants, user):
        raise EntraError(50057)
    if is_revoked(user, issued):
        assert user.tokens_valid_from is not None
        raise revoked(issued, user.tokens_valid_from)
    return user


def revoked(issued: datetime, valid_from: datetime) -> EntraError:
    """AADSTS50173: a grant issued at ``issued``, revoked from ``valid_from``."""
    return EntraError(50173, {"issued": grant_time(issued), "valid_from": grant_time(valid_from)})
