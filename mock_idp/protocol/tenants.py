"""How the ``{tenant}`` path segment is read: a GUID, a domain, or a multi-tenant alias."""

from __future__ import annotations

import re
import uuid

from ..config import SINGLE_TENANT
from ..errors import EntraError
from ..store import Application, Store, Tenant

MULTI_TENANT = frozenset({"common", "organizations", "consumers"})
ORGANIZATIONS = frozenset({"common", "organizations"})
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


def check_audience(segment: str, app: Application,
                   error: type[EntraError] = EntraError) -> None:
    """AADSTS50194 when a single-tenant app is reached through ``/common`` or ``/organizations``.

    Entra refuses it at the sign-in page and at the token endpoint alike, so a code obtained at
    the tenant's endpoint and redeemed at ``/common`` fails too (msgraph-training-aspnetmvcapp
    #54, azure-spring-boot #842). A single-tenant app must name its tenant: Entra's own docs on
    converting an app to multi-tenant say so for both aliases, which stand for any organization.
    ``error``: the class raised (the authorize endpoint's page error).
    """
    if segment.lower() in ORGANIZATIONS and app.sign_in_audience == SINGLE_TENANT:
        raise error(50194, {"app_id": app.client_id, "app_name": app.name})
