"""``signout.rp-initiated``'s message for an app that signed out locally names the end-session
endpoint beside the authorize endpoint the app signed in at: Entra's v1 ``/oauth2/logout`` for
an app that builds the v1 endpoints from the tenant (oauthenticator's AzureAdOAuthenticator reads
no discovery document), the v2.0 one of the discovery document otherwise."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from scenarios.catalogue.signout import _signed_out_locally

IDP = "http://localhost:45929"
TENANT = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
APP = "http://127.0.0.1:35599"


def _stack() -> Any:
    values = {"end_session_url": f"{IDP}/{TENANT}/oauth2/v2.0/logout"}
    return SimpleNamespace(idp=SimpleNamespace(base_url=IDP), provider_values=lambda: values)


def _log(*urls: str) -> Any:
    return SimpleNamespace(documents=[(url, 200) for url in urls])


def _message(authorize_path: str) -> str:
    sign_in = _log(f"{APP}/hub/oauth_login", f"{IDP}/{TENANT}/{authorize_path}?client_id=x",
                   f"{APP}/hub/oauth_callback?code=c", f"{APP}/hub/home")
    page = SimpleNamespace(url=f"{APP}/hub/logout")
    return _signed_out_locally(page, _stack(), _log(f"{APP}/hub/logout"), sign_in)  # type: ignore[arg-type]


def test_an_app_signed_in_at_v1_is_named_v1s_end_session_endpoint() -> None:
    message = _message("oauth2/authorize")
    assert f"end-session endpoint ({IDP}/{TENANT}/oauth2/logout, Entra's v1 end-session " \
        "endpoint, beside the v1 authorize endpoint the app signed in at)" in message, message
    assert "v2.0" not in message and "discovery document" not in message, message


def test_an_app_signed_in_at_v2_is_named_the_providers_discovery_endpoint() -> None:
    """The provider's discovery document, not "its": apps that hand-wire Entra with
    simple-oauth2 or grant write the endpoints from the tenant and read no discovery document."""
    message = _message("oauth2/v2.0/authorize")
    assert f"end-session endpoint ({IDP}/{TENANT}/oauth2/v2.0/logout, the end_session_endpoint " \
        "of the provider's discovery document)" in message, message
