"""``run --idp`` given Entra's v1.0 endpoints, as a partner's SSO guide has admins copy them."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.real_idp import IdpConfigError, load_idp_config

TENANT_URL = "https://login.microsoftonline.com/6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
CONFIG = """
[provider]
authority = "{authority}"
client_id = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
client_secret_env = "SECRET"
[user]
username = "alice@contoso.onmicrosoft.com"
password_env = "PASSWORD"
[driver]
kind = "entra"
"""


@pytest.mark.parametrize("endpoint", ["oauth2/authorize", "oauth2/token"])
def test_a_v1_endpoint_as_authority_is_shown_how_to_keep_v1(tmp_path: Path,
                                                             endpoint: str) -> None:
    """An authority means v2.0: besides the authority, the message names the v1.0 discovery
    document, which tests the endpoints the admin copied."""
    path = tmp_path / "idp.toml"
    path.write_text(CONFIG.format(authority=f"{TENANT_URL}/{endpoint}"), encoding="utf-8")
    with pytest.raises(IdpConfigError) as raised:
        load_idp_config(path, {"SECRET": "s", "PASSWORD": "p"})
    message = str(raised.value)
    assert f'authority = "{TENANT_URL}"' in message, message
    assert f'discovery_url = "{TENANT_URL}/.well-known/openid-configuration"' in message, message


def test_a_v2_endpoint_as_authority_is_not_told_about_v1(tmp_path: Path) -> None:
    path = tmp_path / "idp.toml"
    path.write_text(CONFIG.format(authority=f"{TENANT_URL}/oauth2/v2.0/authorize"),
                    encoding="utf-8")
    with pytest.raises(IdpConfigError) as raised:
        load_idp_config(path, {"SECRET": "s", "PASSWORD": "p"})
    assert "v1.0" not in str(raised.value) and "discovery_url" in str(raised.value)
