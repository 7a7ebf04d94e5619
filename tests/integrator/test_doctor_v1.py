"""``doctor`` with Entra's v1.0 endpoints and the fields copied next to them, as a partner's SSO
guide has admins fill them in: the token request takes a ``resource`` (v1.0 ignores ``scope``),
the advice fits v1.0, and a value pasted into the wrong field is named as such."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from mock_idp.config import DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET
from scenarios.doctor import DoctorOptions, Secret
from scenarios.doctor.diagnose import client_credentials_request, v1_resource

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
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


def test_a_v1_authorization_uri_without_a_document_is_told_the_v1_shape() -> None:
    """The advice keeps the version the admin copied: v1.0's …/oauth2/authorize, not v2.0's."""
    from scenarios.doctor import checks
    from scenarios.doctor.probe import Exchange

    url = f"{V1}/.well-known/openid-configuration".replace("/oauth2", "")
    missing = Exchange(method="GET", url=url, received_at=NOW, status=404, text="Not Found")
    result, _ = checks.check_discovery(url, missing, "entra-v1")
    assert result.status == "FAIL" and result.fix, result
    assert "/<tenant>/oauth2/authorize" in result.fix and "v2.0" not in result.fix, result.fix
    v2, _ = checks.check_discovery(url, missing, "entra-v2")
    assert v2.fix and "/<tenant>/oauth2/v2.0/authorize" in v2.fix, v2.fix


def test_mixed_versions_name_the_token_urls_version() -> None:
    from scenarios.doctor import checks

    document = {"issuer": f"https://sts.windows.net/{DEFAULT_TENANT_ID}/",
                "authorization_endpoint": f"{V1}/authorize", "token_endpoint": f"{V1}/token"}
    result = checks.check_endpoints(document, authorization_uri=f"{V1}/authorize",
                                    token_url=f"{V1}/v2.0/token", flavour="entra-v1")
    assert result.status == "FAIL", result
    assert "is Entra v1.0 but the token URL is Entra v2.0" in result.detail, result.detail


def test_a_refused_v1_resource_is_named_a_resource() -> None:
    from scenarios.doctor import checks
    from scenarios.doctor.probe import Exchange

    body = {"error": "invalid_resource", "error_codes": [500011],
            "error_description": "AADSTS500011: The resource principal named api://nope was "
            "not found in the tenant named contoso.onmicrosoft.com."}
    refused = Exchange(method="POST", url=f"{V1}/token", received_at=NOW, status=400,
                       text=json.dumps(body), sent={"resource": "api://nope"})
    result = checks.check_client_credentials(refused, flavour="entra-v1",
                                             secret=REFERENCE_RP_SECRET)
    assert result.status == "WARN", result
    assert "the resource was refused (resource api://nope)" in result.detail, result.detail


OLD_SECRET = "old8Q~an-expired-secret-value-pasted-long-ago"


def test_a_client_secret_in_the_authorization_uri_fails_and_is_never_printed(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A secret pasted into the authorization URI's query goes to every browser: a FAIL, and
    its value is masked even when it is not the secret given to doctor."""
    from scenarios.doctor import checks
    from scenarios.doctor.diagnose import Diagnosis
    from scenarios.doctor.report import format_table, to_json

    uri = f"{V1}/authorize?resource=https://graph.microsoft.com&client_secret={OLD_SECRET}"
    result = checks.check_authorization_query(uri)
    assert result.status == "FAIL" and "client_secret" in result.detail, result
    assert result.fix and "create a new client secret" in result.fix, result.fix
    diagnosis = Diagnosis(flavour="entra-v1", discovery_url=V1, results=(result,),
                          authorization_uri=uri)
    table = format_table(diagnosis, secrets=[REFERENCE_RP_SECRET])
    printed = table + to_json(diagnosis, secrets=[REFERENCE_RP_SECRET],
                              target={"authorization_uri": uri})
    assert "client_secret=" in table and OLD_SECRET not in printed, printed


@pytest.mark.parametrize(("secret", "named"), [
    (REFERENCE_RP_CLIENT_ID, "Application (client) ID"),
    (DEFAULT_TENANT_ID.upper(), "Directory (tenant) ID"),
])
def test_an_id_pasted_as_the_secret_is_named_not_taken_for_a_secret_id(
        secret: str, named: str) -> None:
    """AADSTS7000215 for a GUID is a Secret ID pasted, unless that GUID is the app's client ID
    or the tenant's ID in the URLs: then it is that field, copied into the wrong box."""
    from asgi_client import AppClient

    from mock_idp import IdpConfig, MockClock, create_app
    from scenarios.doctor import diagnose

    base = "http://localhost/" + DEFAULT_TENANT_ID + "/oauth2/v2.0"
    opts = v1_options(authorization_uri=f"{base}/authorize", token_url=f"{base}/token",
                      client_secret=Secret(secret))
    app = create_app(IdpConfig.default(clock=MockClock()))
    with AppClient(app, base_url="http://localhost", follow_redirects=False) as client:
        diagnosis = diagnose(opts, client, clock=Clock())
    result = next(r for r in diagnosis.results if r.name == "client-credentials")
    assert result.status == "FAIL" and "AADSTS7000215" in result.detail, result
    assert f"is the {named}, not a secret" in result.detail, result.detail
    assert "Secret ID" not in result.detail and result.fix and "Secret ID" not in result.fix


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def test_a_sign_in_refused_back_at_a_registered_uri_is_not_a_pass() -> None:
    """Entra sends an error back to a registered redirect URI when it refuses the request: the
    URI is fine, but every sign-in with this authorization URI (its query kept) ends so."""
    from asgi_client import AppClient

    from mock_idp import IdpConfig, MockClock, create_app
    from scenarios.doctor import diagnose

    base = "http://localhost/" + DEFAULT_TENANT_ID + "/oauth2/v2.0"
    opts = v1_options(authorization_uri=f"{base}/authorize?resource=api://nope",
                      token_url=f"{base}/token", redirect_uri="http://localhost/auth/callback")
    app = create_app(IdpConfig.default(clock=MockClock()))
    with AppClient(app, base_url="http://localhost", follow_redirects=False) as client:
        diagnosis = diagnose(opts, client, clock=Clock())
    result = next(r for r in diagnosis.results if r.name == "redirect-uri")
    assert result.status == "FAIL", result
    assert "refused the sign-in request: error=invalid_target" in result.detail, result.detail
    assert diagnosis.exit_code == 1


def test_a_refused_secret_may_be_another_apps() -> None:
    """AADSTS7000215 is also what another app's secret gets (Entra's text: 'for a secret added
    to app <client id>'), a mix-up when a tenant has several apps: the fix says so."""
    from scenarios.doctor import checks
    from scenarios.doctor.probe import Exchange

    body = {"error": "invalid_client", "error_codes": [7000215],
            "error_description": "AADSTS7000215: Invalid client secret provided."}
    refused = Exchange(method="POST", url=f"{V1}/token", received_at=NOW, status=401,
                       text=json.dumps(body), sent={"resource": "https://graph.microsoft.com"})
    result = checks.check_client_credentials(refused, flavour="entra-v1",
                                             secret="oth8Q~secret-value-of-another-application")
    assert result.status == "FAIL" and result.fix, result
    assert "of this app" in result.fix and "another app's secret" in result.fix, result.fix
