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

from scenarios.catalogue.lifecycle import _fetch_gap, _kept_old_keys, _key_fetches
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


def _at(wall: float, method: str, path: str) -> dict[str, Any]:
    return {"method": method, "path": f"/{TENANT}{path}", "query": "", "status": 200,
            "wall": wall}


def test_the_gap_runs_from_the_last_key_fetch_to_the_sign_in_after_it() -> None:
    """The real time from the app's last fetch of the keys to the token request after it
    (the sign-in the rotation broke); none without a token request after the fetch."""
    first = [_at(100.0, "POST", "/oauth2/v2.0/token"),
             _at(100.5, "GET", "/discovery/v2.0/keys")]
    assert _fetch_gap([*first, _at(104.0, "POST", "/oauth2/v2.0/token")]) == 3.5
    assert _fetch_gap(first) is None
    assert _fetch_gap([]) is None


def test_a_fetch_seconds_before_may_be_a_library_pausing_between_fetches() -> None:
    """openid-client 5 fetches the key set again for an unknown kid, but at most once a minute:
    a rotation seconds after its first fetch fails the next sign-in as a held key set would.
    The message says both, and says the pause cannot be waited out, rather than that the app
    never fetches; a fetch longer ago than that pause keeps the plain message."""
    paused = _kept_old_keys(1, "k2", 4.2)
    assert paused.startswith("The app fetched the provider's key set once before the "
                             "rotation, the last time 4 s before this sign-in,"), paused
    assert "openid-client 5: once a minute" in paused, paused
    assert "passport-azure-ad: 30 minutes" in paused, paused
    for plain in (_kept_old_keys(1, "k2", 600.0), _kept_old_keys(1, "k2")):
        assert plain.startswith("The app fetched the provider's key set once before the "
                                "rotation and not again after it: it looked for the new kid "
                                "'k2' in the keys it held (go-oidc v2 keeps"), plain
        assert "openid-client" not in plain, plain


def test_a_library_keeping_the_key_set_as_its_cache_control_allows_is_named() -> None:
    """go-oidc v2 (Debian's 2.1) honours the key set's Cache-Control, max-age=86400 as the
    mock (and Entra's discovery) send it, and fetches it again only near that expiry: both
    messages name it, and v3, which fetches again for an unknown kid."""
    for message in (_kept_old_keys(1, "k2", 1.0), _kept_old_keys(1, "k2", 600.0)):
        assert "go-oidc v2 keeps it as long as the answer's Cache-Control allows" in message
        assert "max-age=86400" in message and "go-oidc v3 fetches it again" in message
