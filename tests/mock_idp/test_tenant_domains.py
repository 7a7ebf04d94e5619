"""A tenant is registered only under a domain its endpoints take in their path.

The endpoints read a ``{tenant}`` segment that is no GUID as a DNS name whose last label is
letters, and refuse anything else with AADSTS900023. A tenant registered under ``1.2.3.4`` or
``v2.0`` (through ``POST /_mock/tenants`` or ``idp.toml``) could be reached by its id only: an
app given the authority ``…/v2.0/v2.0`` met AADSTS900023, which blames the request, not the
registration.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgi_client import AppClient
from idp_testkit import TENANT
from starlette.applications import Starlette

from mock_idp.config import ConfigError, IdpConfig

FABRIKAM_ID = "0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874"
UNREACHABLE = ["1.2.3.4", "v2.0", "fabrikam.x", "fabrikam.t3st", "fabrikam.xn--p1ai"]
"""Domains whose last label is not two letters or more: the path refuses each."""


@pytest.fixture
def lenient(idp_app: Starlette) -> Any:
    with AppClient(idp_app, follow_redirects=False, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("domain", UNREACHABLE)
def test_the_path_refuses_these_domains(lenient: AppClient, domain: str) -> None:
    response = lenient.get(f"/{domain}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 400
    assert "AADSTS900023" in response.json()["error_description"]


@pytest.mark.parametrize("domain", UNREACHABLE)
def test_a_tenant_is_not_created_under_a_domain_the_path_refuses(lenient: AppClient,
                                                                 domain: str) -> None:
    response = lenient.post("/_mock/tenants",
                            json={"id": FABRIKAM_ID, "domain": domain, "name": "Fabrikam"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == "domain"
    assert [t["id"] for t in lenient.get("/_mock/tenants").json()["tenants"]] == [TENANT]


@pytest.mark.parametrize("domain", UNREACHABLE)
def test_idp_toml_refuses_a_domain_the_path_refuses(domain: str) -> None:
    with pytest.raises(ConfigError, match=r"^tenants\[0\]\.domain must be a DNS name"):
        IdpConfig.from_mapping({"tenants": [{"id": FABRIKAM_ID, "domain": domain}]})


@pytest.mark.parametrize("domain", ["fabrikam.test", "Fabrikam.OnMicrosoft.com",
                                    "xn--fabrkam-bya.example", "a.b.c.de"])
def test_a_tenant_created_under_a_domain_is_reached_by_it(lenient: AppClient,
                                                          domain: str) -> None:
    created = lenient.post("/_mock/tenants",
                           json={"id": FABRIKAM_ID, "domain": domain, "name": "Fabrikam"})
    assert created.status_code == 201, created.text
    response = lenient.get(f"/{domain}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200, response.text
    assert FABRIKAM_ID in response.json()["issuer"]
