"""What a redirect to a stale local address blames: the provider's address for one of Entra's
authorization endpoints, the app's own URL for any other path, its own ``/authorize`` route
included (:func:`scenarios.app.elsewhere.local_address`)."""

from __future__ import annotations

import pytest

from scenarios.app.elsewhere import local_address

APP, MOCK = "http://127.0.0.1:8123", "http://localhost:8400"


@pytest.mark.parametrize("target", [
    "http://localhost:5000/common/oauth2/v2.0/authorize",
    "http://localhost:5000/contoso.onmicrosoft.com/oauth2/authorize/"])
def test_an_authorization_endpoint_is_the_providers_setting(target: str) -> None:
    assert "an authority, issuer or discovery URL setting of the app" in local_address(
        target, app=APP, provider=MOCK)


@pytest.mark.parametrize("target", ["http://localhost:3000/authorize",
                                    "http://localhost:3000/login/authorize",
                                    "http://localhost:3000/callback"])
def test_an_apps_own_route_is_its_base_url_setting(target: str) -> None:
    said = local_address(target, app=APP, provider=MOCK)
    assert "a base URL or port setting of the app" in said, said
