"""MSAL Python's client credentials grant asked for more than one scope: Entra's answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import msal
import pytest
from idp_testkit import CLIENT_ID, GRAPH_DEFAULT, SECRET, https_idp

from mock_idp.config import AppConfig, IdpConfig, default_tenant
from mock_idp.testing import MockIdp

API_URI = "api://orders-api"


def _config() -> IdpConfig:
    tenant = default_tenant()
    api = AppConfig(client_id="3f7a1c9e-5b2d-4e8f-a6c1-0d9e8f7a6b5c", name="Orders API",
                    identifier_uris=(API_URI,))
    return IdpConfig(tenants=(replace(tenant, apps=(*tenant.apps, api)),))


@pytest.fixture
def idp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdp]:
    with https_idp(_config(), tmp_path, monkeypatch) as running:
        yield running


def _acquire(idp: MockIdp, scopes: list[str]) -> dict[str, object]:
    app = msal.ConfidentialClientApplication(
        CLIENT_ID, client_credential=SECRET, authority=idp.authority,
        validate_authority=False, instance_discovery=False, verify=str(idp.ca_file))
    try:
        result: dict[str, object] = app.acquire_token_for_client(scopes)
        return result
    finally:
        app.http_client.close()


def test_two_resources_default_scopes_are_70011_naming_the_scope_as_sent(idp: MockIdp) -> None:
    """Two ``.default`` scopes: ``invalid_scope`` AADSTS70011, the message ending at "is not
    valid." (MSAL.js #6069 and azure-sdk-for-net #9076 quote Entra's answer), not the
    AADSTS1002012 a scope without ``/.default`` gets."""
    result = _acquire(idp, [GRAPH_DEFAULT, f"{API_URI}/.default"])
    assert (result.get("error"), result.get("error_codes")) == ("invalid_scope", [70011]), result
    head = str(result["error_description"]).split("\r\n")[0]
    sent = head.split("The scope ", 1)[1].removesuffix(" is not valid.")
    assert sorted(sent.split(" ")) == sorted([GRAPH_DEFAULT, f"{API_URI}/.default"]), head
    assert head.startswith("AADSTS70011: The provided request must include a 'scope' input "
                           "parameter. The provided value for the input parameter 'scope' is "
                           "not valid. The scope ")
    assert head.endswith(" is not valid."), head


def test_a_scope_without_default_is_still_1002012(idp: MockIdp) -> None:
    result = _acquire(idp, ["https://graph.microsoft.com/User.Read"])
    assert (result.get("error"), result.get("error_codes")) == ("invalid_scope", [1002012])
    assert "access_token" in _acquire(idp, [f"{API_URI}/.default"])
