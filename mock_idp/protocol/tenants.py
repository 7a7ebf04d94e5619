"""How the ``{tenant}`` path segment is read: a GUID, a domain, or a multi-tenant alias."""

from __future__ import annotations

import re
import uuid

from ..errors import EntraError
from ..store import Store, Tenant

MULTI_TENANT = frozenset({"common", "organizations", "consumers"})
_DNS = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def resolve(store: Store, segment: str) -> Tenant | None:
    """The tenant a path segment names; ``None`` for ``common`` and friends.

    Raises AADSTS900023 for a segment that is neither a GUID nor a DNS name, and AADSTS90002 for
    a well-formed tenant that does not exist.
    """
    if segment.lower() in MULTI_TENANT:
        return None
    if not (is_guid(segment) or _DNS.match(segment)):
        raise EntraError(900023, {"tenant": segment[:100]})
    tenant = store.resolve_tenant(segment)
    if tenant is None:
        raise EntraError(90002, {"tenant": segment})
    return tenant
