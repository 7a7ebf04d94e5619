"""Which of an app's Graph calls ``claims.groups-overage`` names: those for a user's
memberships, under whichever of Graph's roots the app called (the provider's log keeps the path
the caller used, not the tenant-scoped one it is answered as)."""

from __future__ import annotations

from typing import Any, cast

from scenarios.catalogue.claims import _overage_calls
from scenarios.live import LiveStack

TENANT = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
OID = "01693bd9-3bd3-52c6-b41e-e50f1bcd02ea"


class _Log:
    """The provider's request log, answered by path prefix as ``/_mock/requests`` does."""

    tenant_id = TENANT

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths

    def provider_requests(self, path: str | None = None) -> list[dict[str, Any]]:
        return [{"path": p} for p in self.paths if path is None or p.startswith(path)]


def test_calls_through_each_graph_root_are_named() -> None:
    paths = [f"/graph/{TENANT}/v1.0/users/{OID}/getMemberObjects",
             f"/graph/v1.0/users/{OID}/getMemberObjects",
             f"/v1.0/users/{OID}/transitiveMemberOf",
             f"/graph/{TENANT}/v1.0/users/alice@contoso.onmicrosoft.com",
             "/v1.0/me"]
    assert _overage_calls(cast(LiveStack, _Log(paths))) == paths[:3]
