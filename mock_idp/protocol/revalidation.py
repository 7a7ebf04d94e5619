"""Which making of a tenant a token was issued in, carried in its ``rh`` claim.

Entra marks ``rh`` opaque, "an internal claim used by Azure to revalidate tokens" that resources
should not read (the access token and ID token claims references,
https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference). The mock's
own resources (Microsoft Graph, UserInfo, the on-behalf-of grant) read it for one thing: the
tenant that issued the token is still the one of that id. Entra never gives a tenant id twice,
and a user made again is a new object with a new id; the mock lets a test delete a tenant and
make one again under the same id, whose users then have the same ids (derived from the UPN, or
given), so without this an access token of the deleted tenant's user would pass as the new
one's. A tenant's :attr:`~mock_idp.store.Tenant.incarnation` is fixed for the configured
directory (a reset brings it back as it was) and random for each tenant the control API makes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store import Tenant

PREFIX = "0.A"
TAG_BYTES = 8
"""The leading bytes of the claim's opaque part that name the tenant's making."""
_RANDOM_BYTES = 10


def configured_incarnation(tenant_id: str) -> bytes:
    """The tag of a tenant of the configured directory: the same at every start and reset."""
    return hashlib.sha256(f"tenant:{tenant_id.lower()}".encode()).digest()[:TAG_BYTES]


def new_incarnation() -> bytes:
    """The tag of a tenant the control API makes: another at each making."""
    return secrets.token_bytes(TAG_BYTES)


def rh_claim(tenant: Tenant) -> str:
    """An ``rh`` value of Entra's look (``0.A`` and base64url) for a token ``tenant`` issues."""
    raw = tenant.incarnation + secrets.token_bytes(_RANDOM_BYTES)
    return PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _tag(claims: dict[str, Any]) -> bytes | None:
    value = claims.get("rh")
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return None
    body = value[len(PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw[:TAG_BYTES] if len(raw) == TAG_BYTES + _RANDOM_BYTES else None


def issued_by(tenant: Tenant, claims: dict[str, Any]) -> bool:
    """Whether a token's claims (their ``tid`` already ``tenant``'s) were issued by this making
    of the tenant, not by a deleted one of the same id. A token without a readable ``rh`` (one
    a test signed itself) is not told apart, and passes."""
    tag = _tag(claims)
    return tag is None or tag == tenant.incarnation
