"""``lifecycle.key-rotation`` counts the app's fetches of the provider's key set from the
provider's request log: the v2.0 key set and the v1 one (``/{tenant}/discovery/keys``, which
an app on Entra's v1 endpoints reads: python-social-auth's ``AzureADTenantOAuth2``), under
any tenant segment. Counting only the tenant's v2.0 path took such an app, which fetched the
keys and fetched them again for the new kid, for one that never fetched them ("not
exercised")."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from scenarios.catalogue.lifecycle import _key_fetches
from scenarios.live import LiveStack

TENANT = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"


def _get(path: str, status: int = 200) -> dict[str, Any]:
    return {"method": "GET", "path": path, "query": "", "status": status}


def _stack(*requests: dict[str, Any]) -> LiveStack:
    def provider_requests(path: str | None = None) -> list[dict[str, Any]]:
        # as the mock's /_mock/requests?path= answers: the entries under that path
        return [r for r in requests if path is None or str(r["path"]).startswith(path)]
    return cast(LiveStack, SimpleNamespace(tenant_id=TENANT, provider_requests=provider_requests))


@pytest.mark.parametrize("keys", [
    f"/{TENANT}/discovery/keys",
    f"/{TENANT}/discovery/v2.0/keys",
    "/common/discovery/keys",
    "/contoso.onmicrosoft.com/discovery/v2.0/keys",
], ids=["v1", "v2", "v1-common", "v2-domain"])
def test_each_answered_fetch_of_a_key_set_counts(keys: str) -> None:
    stack = _stack(_get(f"/{TENANT}/.well-known/openid-configuration"), _get(keys),
                   {"method": "POST", "path": f"/{TENANT}/oauth2/token", "query": "",
                    "status": 200}, _get(keys))
    assert _key_fetches(stack) == 2


def test_other_requests_and_refused_fetches_do_not() -> None:
    stack = _stack(_get(f"/{TENANT}/v2.0/.well-known/openid-configuration"),
                   _get(f"/{TENANT}/discovery/v2.0/keys", status=503),
                   _get(f"/{TENANT}/FederationMetadata/2007-06/FederationMetadata.xml"))
    assert _key_fetches(stack) == 0
