"""An object's id is taken in one spelling: ``8-4-4-4-12`` ASCII hex digits, any case.

``uuid.UUID`` also reads ``urn:uuid:…``, dashes anywhere and the digits of other scripts
(``"\\u0661"`` is 1 to ``int()``): Graph paths and bodies took such a spelling as the object it
normalised to, and a tenant segment spelled so was read as a GUID nobody had (AADSTS90002)
rather than as no tenant identifier at all (AADSTS900023).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import ALICE, CLIENT_ID, DOMAIN, TENANT
from starlette.applications import Starlette

G = f"/graph/{DOMAIN}/v1.0"
ARABIC_ONE = "\u0661"


def spellings(guid: str) -> list[str]:
    return [guid.replace("1", ARABIC_ONE), f"urn:uuid:{guid}",
            "-".join(guid.replace("-", "")[i:i + 4] for i in range(0, 32, 4))]


@pytest.fixture
def lenient(idp_app: Starlette) -> Iterator[AppClient]:
    with AppClient(idp_app, follow_redirects=False, raise_server_exceptions=False) as c:
        yield c


def graph_refused(response: httpx.Response, target: str, status: int = 400) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.json()["error"]["target"] == target, response.text[:300]


def test_a_group_is_found_by_its_id_only(lenient: AppClient) -> None:
    group = lenient.get(f"{G}/groups").json()["value"][0]["id"]
    assert lenient.get(f"{G}/groups/{group.upper()}").status_code == 200
    for other in spellings(group):
        graph_refused(lenient.get(f"{G}/groups/{other}"), "id")


def test_an_app_is_found_by_its_app_id_only(lenient: AppClient) -> None:
    assert lenient.get(f"{G}/applications(appId='{CLIENT_ID}')").status_code == 200
    for other in spellings(CLIENT_ID):
        graph_refused(lenient.get(f"{G}/applications(appId='{other}')"), "appId")


def test_a_body_naming_an_id_in_another_spelling_is_refused(lenient: AppClient) -> None:
    alice = lenient.get(f"{G}/users/{ALICE}").json()["id"]
    resource = lenient.get(f"{G}/servicePrincipals(appId='{CLIENT_ID}')").json()["id"]
    before = lenient.get(f"{G}/users/{ALICE}/appRoleAssignments").json()["value"]
    for other in spellings(alice):
        response = lenient.post(f"{G}/users/{ALICE}/appRoleAssignments", json={
            "principalId": other, "resourceId": resource,
            "appRoleId": "00000000-0000-0000-0000-000000000000"})
        graph_refused(response, "principalId")
    assert lenient.get(f"{G}/users/{ALICE}/appRoleAssignments").json()["value"] == before


def test_a_tenant_segment_in_another_spelling_is_no_tenant_identifier(
        lenient: AppClient) -> None:
    response = lenient.get(f"/{TENANT.replace('1', ARABIC_ONE)}/v2.0/.well-known/"
                           "openid-configuration")
    assert response.status_code == 400
    assert "AADSTS900023" in response.json()["error_description"], response.text
