"""``doctor`` with Entra's v1.0 endpoints, as a partner's SSO guide has admins copy them: the
token request takes a ``resource`` (v1.0 ignores ``scope``), and the advice fits v1.0."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mock_idp.config import DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET
from scenarios.doctor import DoctorOptions, Secret
from scenarios.doctor.diagnose import client_credentials_request, v1_resource

V1 = "https://login.example/" + DEFAULT_TENANT_ID + "/oauth2"


def v1_options(**changes: object) -> DoctorOptions:
    base = DoctorOptions(authorization_uri=f"{V1}/authorize", token_url=f"{V1}/token",
                         client_id=REFERENCE_RP_CLIENT_ID,
                         client_secret=Secret(REFERENCE_RP_SECRET), timeout=5)
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(("scope", "resource"), [
    ("api://onedesk/.default", "api://onedesk"),
    ("https://graph.microsoft.com/.default", "https://graph.microsoft.com"),
    ("https://graph.microsoft.com/User.Read", "https://graph.microsoft.com"),
    ("openid https://contoso.example/api/Tickets.Read", "https://contoso.example/api"),
    ("User.Read", "https://graph.microsoft.com"),
    ("openid offline_access", "https://graph.microsoft.com"),
    ("https://graph.microsoft.com", "https://graph.microsoft.com"),
    ("api://onedesk", "api://onedesk"),
    (REFERENCE_RP_CLIENT_ID, REFERENCE_RP_CLIENT_ID),
    (f"{REFERENCE_RP_CLIENT_ID}/.default", REFERENCE_RP_CLIENT_ID),
])
def test_a_scope_maps_to_the_resource_it_names(scope: str, resource: str) -> None:
    assert v1_resource(scope) == resource


def test_scope_on_a_v1_token_url_is_sent_as_its_resource() -> None:
    """v1.0 ignores ``scope``: a --scope there is sent as the resource it names."""
    form, _ = client_credentials_request(v1_options(scope="api://onedesk/.default"), "entra-v1",
                                         "post")
    assert form.get("resource") == "api://onedesk" and "scope" not in form, form


def test_scope_on_a_v2_token_url_is_sent_as_given() -> None:
    v2 = v1_options(authorization_uri=f"{V1}/v2.0/authorize", token_url=f"{V1}/v2.0/token",
                    scope="api://onedesk/.default")
    form, _ = client_credentials_request(v2, "entra-v2", "post")
    assert form.get("scope") == "api://onedesk/.default" and "resource" not in form, form
