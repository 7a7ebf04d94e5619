"""``doctor`` against the mock provider in Entra mode: a good set-up passes, and each failure
class the mock can stage (secret ID pasted, expired secret, wrong app, wrong tenant, redirect
URI not registered, clock skew, TLS, unreachable endpoint) is named with its fix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asgi_client import AppClient

from mock_idp import IdpConfig, MockClock, create_app
from mock_idp.config import DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET
from mock_idp.testing import MockIdp, run_in_thread
from mock_idp.tls import ensure_tls_files
from scenarios.__main__ import main
from scenarios.doctor import DoctorOptions, Secret, diagnose
from scenarios.doctor.diagnose import Diagnosis

BASE = "http://localhost"
REDIRECT = "http://localhost:8500/auth/callback"


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def options(base: str = BASE, *, tenant: str = DEFAULT_TENANT_ID,
            client_id: str = REFERENCE_RP_CLIENT_ID, secret: str = REFERENCE_RP_SECRET,
            redirect_uri: str | None = REDIRECT, ca_file: Path | None = None) -> DoctorOptions:
    return DoctorOptions(
        authorization_uri=f"{base}/{tenant}/oauth2/v2.0/authorize",
        token_url=f"{base}/{tenant}/oauth2/v2.0/token",
        client_id=client_id, client_secret=Secret(secret), redirect_uri=redirect_uri,
        ca_file=ca_file, timeout=5)


class InProcess:
    """The mock behind a AppClient (no socket, no redirects followed)."""

    def __init__(self) -> None:
        self.clock = MockClock()
        self.app = create_app(IdpConfig.default(clock=self.clock))
        self.client = AppClient(self.app, base_url=BASE, follow_redirects=False)

    def diagnose(self, opts: DoctorOptions) -> Diagnosis:
        return diagnose(opts, self.client, clock=Clock())

    def add_password(self) -> dict[str, str]:
        response = self.client.post(
            f"/graph/{DEFAULT_TENANT_ID}/v1.0/applications(appId='{REFERENCE_RP_CLIENT_ID}')"
            "/addPassword", json={"passwordCredential": {"displayName": "doctor test"}})
        assert response.status_code == 200, response.text
        created: dict[str, str] = response.json()
        return created


@pytest.fixture
def idp() -> Iterator[InProcess]:
    mock = InProcess()
    with mock.client:
        yield mock


def by_name(diagnosis: Diagnosis) -> dict[str, tuple[str, str, str | None, str | None]]:
    return {r.name: (r.status, r.detail, r.fix, r.portal) for r in diagnosis.results}


def test_a_good_set_up_passes(idp: InProcess) -> None:
    diagnosis = idp.diagnose(options())
    results = by_name(diagnosis)
    assert not diagnosis.failed, results
    for name in ("discovery", "issuer", "endpoints", "jwks", "clock", "token-endpoint",
                 "client-credentials", "redirect-uri"):
        assert results[name][0] == "PASS", (name, results[name])
    assert "graph.microsoft.com/.default" in results["client-credentials"][1]
    assert diagnosis.exit_code == 0


def test_v1_endpoints_over_http_fail_as_run_idp_would(idp: InProcess) -> None:
    """Entra's v1.0 endpoints over plain http on loopback: every other check passes, and the
    https check fails naming why run --idp would (unsigned v1 ID tokens over http)."""
    v1 = replace(options(), authorization_uri=f"{BASE}/{DEFAULT_TENANT_ID}/oauth2/authorize",
                 token_url=f"{BASE}/{DEFAULT_TENANT_ID}/oauth2/token")
    diagnosis = idp.diagnose(v1)
    results = by_name(diagnosis)
    assert results["https"][0] == "FAIL" and "unsigned" in results["https"][1], results
    assert diagnosis.exit_code != 0, results


def test_tenant_by_domain_passes(idp: InProcess) -> None:
    diagnosis = idp.diagnose(options(tenant="contoso.onmicrosoft.com"))
    assert not diagnosis.failed, by_name(diagnosis)


def test_secret_id_pasted_instead_of_the_value(idp: InProcess) -> None:
    created = idp.add_password()
    results = by_name(idp.diagnose(options(secret=created["keyId"])))
    status, detail, fix, portal = results["client-credentials"]
    assert status == "FAIL" and "AADSTS7000215" in detail and "Secret ID" in detail
    assert fix and "not its Secret ID" in fix
    assert portal and portal.endswith("Certificates & secrets")


def test_the_new_secret_value_works(idp: InProcess) -> None:
    created = idp.add_password()
    assert not idp.diagnose(options(secret=created["secretText"])).failed


def test_expired_secret(idp: InProcess) -> None:
    response = idp.client.post(
        f"/graph/{DEFAULT_TENANT_ID}/v1.0/applications(appId='{REFERENCE_RP_CLIENT_ID}')"
        "/addPassword", json={"passwordCredential": {"endDateTime": (
            idp.clock.now() + timedelta(days=1)).isoformat()}})
    secret = response.json()["secretText"]
    assert not idp.diagnose(options(secret=secret)).failed
    idp.clock.advance(timedelta(days=2))
    results = by_name(idp.diagnose(options(secret=secret)))
    status, detail, fix, _ = results["client-credentials"]
    assert status == "FAIL" and "AADSTS7000222" in detail and "expired" in detail
    assert fix and "new client secret" in fix


def test_wrong_client_id(idp: InProcess) -> None:
    results = by_name(idp.diagnose(options(client_id="00000000-1111-2222-3333-444444444444")))
    assert results["client-credentials"][0] == "FAIL"
    assert "AADSTS700016" in results["client-credentials"][1]
    assert results["client-credentials"][3].endswith("Overview")
    assert results["redirect-uri"][0] == "FAIL" and "AADSTS700016" in results["redirect-uri"][1]


def test_wrong_tenant(idp: InProcess) -> None:
    results = by_name(idp.diagnose(options(tenant="11111111-2222-3333-4444-555555555555")))
    assert results["discovery"][0] == "FAIL" and "AADSTS90002" in results["discovery"][1]
    assert results["client-credentials"][0] == "FAIL"
    assert "AADSTS90002" in results["client-credentials"][1]
    assert results["issuer"][0] == "SKIP"


def test_a_single_tenant_app_through_organizations(idp: InProcess) -> None:
    """The customer copied /organizations where the tenant ID belongs (AADSTS50194)."""
    results = by_name(idp.diagnose(options(tenant="organizations")))
    for name in ("client-credentials", "redirect-uri"):
        status, detail, fix, portal = results[name]
        assert status == "FAIL" and "AADSTS50194" in detail and "single-tenant" in detail
        assert fix and "Directory (tenant) ID" in fix, fix
        assert portal and portal.endswith("Authentication")
    status, detail, fix, _ = results["endpoints"]
    assert status == "WARN" and "users of every organization" in detail
    assert fix and "Directory (tenant) ID" in fix


def test_a_multi_tenant_app_through_organizations_is_a_warning(idp: InProcess) -> None:
    response = idp.client.patch(
        f"/graph/{DEFAULT_TENANT_ID}/v1.0/applications(appId='{REFERENCE_RP_CLIENT_ID}')",
        json={"signInAudience": "AzureADMultipleOrgs"})
    assert response.status_code == 204, response.text
    diagnosis = idp.diagnose(options(tenant="organizations"))
    results = by_name(diagnosis)
    assert results["endpoints"][0] == "WARN", results["endpoints"]
    assert not diagnosis.failed, results


def test_unregistered_redirect_uri(idp: InProcess) -> None:
    results = by_name(idp.diagnose(options(redirect_uri="http://localhost:8500/oops")))
    status, detail, fix, portal = results["redirect-uri"]
    assert status == "FAIL" and "AADSTS50011" in detail and "/oops" in detail
    assert fix and portal and portal.endswith("Authentication")
    assert results["client-credentials"][0] == "PASS"


def test_a_registered_http_redirect_uri_off_localhost(idp: InProcess) -> None:
    uri = "http://helpdesk.example/auth/callback"
    response = idp.client.patch(
        f"/graph/{DEFAULT_TENANT_ID}/v1.0/applications(appId='{REFERENCE_RP_CLIENT_ID}')",
        json={"web": {"redirectUris": [REDIRECT, uri]}})
    assert response.status_code == 204, response.text
    status, detail, fix, portal = by_name(idp.diagnose(options(redirect_uri=uri)))["redirect-uri"]
    assert status == "FAIL" and "AADSTS500117" in detail and "http" in detail
    assert fix and "https" in fix and portal and portal.endswith("Authentication")


@pytest.mark.parametrize(("minutes", "status"), [(10, "FAIL"), (-10, "FAIL"), (2, "WARN")])
def test_clock_skew_from_the_date_header(idp: InProcess, minutes: int, status: str) -> None:
    idp.clock.advance(timedelta(minutes=minutes))
    results = by_name(idp.diagnose(options()))
    assert results["clock"][0] == status, results["clock"]
    assert ("ahead of" if minutes > 0 else "behind") in results["clock"][1]


def test_command_line_passes_and_never_prints_the_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with MockIdp() as mock:
        monkeypatch.setenv("TEST_RP_SECRET", REFERENCE_RP_SECRET)
        authority = mock.authority
        base_args = ["doctor", "--authorization-uri", f"{authority}/oauth2/v2.0/authorize",
                     "--token-url", f"{authority}/oauth2/v2.0/token",
                     "--client-id", REFERENCE_RP_CLIENT_ID,
                     "--redirect-uri", "http://127.0.0.1:8500/auth/callback"]
        code = main([*base_args, "--client-secret-env", "TEST_RP_SECRET"])
        out = capsys.readouterr().out
        assert code == 0, out
        assert "client-credentials  PASS" in out and REFERENCE_RP_SECRET not in out
        assert "rp7***" in out

        code = main([*base_args, "--client-secret", "wrong-secret-value-1234", "--json"])
        out = capsys.readouterr().out
        assert code == 1
        report = json.loads(out)
        assert report["ok"] is False and report["summary"]["FAIL"] == 1
        failed = [c for c in report["checks"] if c["status"] == "FAIL"]
        assert failed[0]["name"] == "client-credentials" and failed[0]["fix"]
        assert "wrong-secret-value-1234" not in out


def test_config_file_and_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with MockIdp() as mock:
        config = tmp_path / "doctor.toml"
        config.write_text(
            f'authorization_uri = "{mock.authority}/oauth2/v2.0/authorize"\n'
            f'token_url = "{mock.authority}/oauth2/v2.0/token"\n'
            f'client_id = "{REFERENCE_RP_CLIENT_ID}"\nclient_secret_env = "TEST_RP_SECRET"\n',
            encoding="utf-8")
        monkeypatch.setenv("TEST_RP_SECRET", REFERENCE_RP_SECRET)
        assert main(["doctor", "--config", str(config)]) == 0
        capsys.readouterr()
    monkeypatch.delenv("TEST_RP_SECRET")
    assert main(["doctor", "--config", str(config)]) == 2
    assert "TEST_RP_SECRET" in capsys.readouterr().err


def test_json_from_the_environment_or_the_config_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "doctor.toml"
    config.write_text("json = true\n", encoding="utf-8")
    with MockIdp() as mock:
        monkeypatch.setenv("TEST_RP_SECRET", REFERENCE_RP_SECRET)
        args = ["doctor", "--discovery-url",
                f"{mock.authority}/v2.0/.well-known/openid-configuration",
                "--client-id", REFERENCE_RP_CLIENT_ID, "--client-secret-env", "TEST_RP_SECRET"]
        monkeypatch.setenv("SSO_DOCTOR_JSON", "1")
        assert main(args) == 0
        assert json.loads(capsys.readouterr().out)["ok"] is True
        monkeypatch.setenv("SSO_DOCTOR_JSON", "0")  # the environment wins over the file
        assert main([*args, "--config", str(config)]) == 0
        assert "client-credentials  PASS" in capsys.readouterr().out
        assert main([*args, "--config", str(config), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["ok"] is True
        monkeypatch.delenv("SSO_DOCTOR_JSON")
        assert main([*args, "--config", str(config)]) == 0
        assert json.loads(capsys.readouterr().out)["ok"] is True


def test_untrusted_certificate_then_ca_file() -> None:
    with MockIdp(https=True) as mock:
        assert mock.ca_file is not None
        from scenarios.doctor.probe import make_client

        with make_client(ca_file=None, timeout=5) as http:
            results = by_name(diagnose(options(mock.url), http, clock=Clock()))
        status, detail, fix, _ = results["tls"]
        assert status == "FAIL" and "not trusted" in detail and fix and "--ca-file" in fix
        assert results["discovery"][0] == "FAIL"
        with make_client(ca_file=mock.ca_file, timeout=5) as http:
            diagnosis = diagnose(options(mock.url, ca_file=mock.ca_file), http, clock=Clock())
        assert not diagnosis.failed, by_name(diagnosis)
        assert by_name(diagnosis)["tls"][0] == "PASS"


def test_certificate_for_another_host(tmp_path: Path) -> None:
    from scenarios.doctor.probe import make_client

    tls = ensure_tls_files(tmp_path, [])  # 127.0.0.1, localhost
    with run_in_thread(create_app(), host="127.0.0.2", ssl=tls) as server:
        base = f"https://127.0.0.2:{server.port}"
        with make_client(ca_file=tls.ca_cert, timeout=5) as http:
            results = by_name(diagnose(options(base, ca_file=tls.ca_cert), http, clock=Clock()))
    status, detail, fix, _ = results["tls"]
    assert status == "FAIL" and "not valid for this host" in detail
    assert fix and "host name" in fix


def test_http_on_a_public_host_is_refused_before_any_request() -> None:
    from scenarios.doctor.probe import make_client

    with make_client(ca_file=None, timeout=1) as http:
        diagnosis = diagnose(options("http://login.example.com"), http, clock=Clock())
    assert by_name(diagnosis)["https"][0] == "FAIL"


def test_unreachable_endpoint() -> None:
    from mock_idp.testing import bind_socket
    from scenarios.doctor.probe import make_client

    sock = bind_socket("127.0.0.1", 0)  # bound, never accepted: refused after close
    port = sock.getsockname()[1]
    sock.close()
    with make_client(ca_file=None, timeout=2) as http:
        results = by_name(diagnose(options(f"http://127.0.0.1:{port}"), http, clock=Clock()))
    assert results["discovery"][0] == "FAIL" and "cannot connect" in results["discovery"][1]
    assert results["token-endpoint"][0] == "FAIL"
    assert results["client-credentials"][0] == "SKIP"


def test_a_mistyped_discovery_url_is_fetched_as_given_and_blamed(idp: InProcess) -> None:
    """A --discovery-url that names a document already (``/.well-known/``) is not extended;
    its 404 is the fault of --discovery-url, not of the authorization URI."""
    typo = f"{BASE}/{DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuratoin"
    diagnosis = idp.diagnose(replace(options(), discovery_url=typo))
    assert diagnosis.discovery_url == typo
    status, detail, fix, _ = by_name(diagnosis)["discovery"]
    assert status == "FAIL" and detail == f"GET {typo} answered HTTP 404", detail
    assert fix and "--discovery-url" in fix and "authorization URI" not in fix, fix


def test_an_issuer_given_as_discovery_url_gets_the_well_known_suffix(idp: InProcess) -> None:
    issuer = f"{BASE}/{DEFAULT_TENANT_ID}/v2.0"
    diagnosis = idp.diagnose(replace(options(), discovery_url=issuer))
    assert diagnosis.discovery_url == f"{issuer}/.well-known/openid-configuration"
    assert not diagnosis.failed, by_name(diagnosis)


def test_the_token_request_takes_the_shape_of_the_token_urls_version() -> None:
    """A v1 authorization URI with a v2 token URL: the v2 endpoint wants a scope, not a
    resource (the mismatch is the endpoints check's finding, not a refused request)."""
    from scenarios.doctor.diagnose import GRAPH_DEFAULT_SCOPE, client_credentials_request

    v1_authorize = replace(options(), authorization_uri=f"{BASE}/{DEFAULT_TENANT_ID}/oauth2/"
                           "authorize")
    form, _ = client_credentials_request(v1_authorize, "entra-v1", "post")
    assert form.get("scope") == GRAPH_DEFAULT_SCOPE and "resource" not in form
    v1_token = replace(options(), token_url=f"{BASE}/{DEFAULT_TENANT_ID}/oauth2/token")
    form, _ = client_credentials_request(v1_token, "entra-v2", "post")
    assert "resource" in form and "scope" not in form


def test_a_v1_authorization_uri_with_a_v2_token_url_is_one_finding(idp: InProcess) -> None:
    results = by_name(idp.diagnose(replace(
        options(), authorization_uri=f"{BASE}/{DEFAULT_TENANT_ID}/oauth2/authorize")))
    assert results["endpoints"][0] == "FAIL", results["endpoints"]
    status, detail, _, _ = results["client-credentials"]
    assert status == "SKIP" and "a prerequisite failed" in detail, detail
    assert "AADSTS" not in detail


def test_an_authority_given_as_authorization_uri_skips_the_redirect_check(
        idp: InProcess) -> None:
    """The authority pasted where the authorization endpoint belongs: the endpoints check
    names it; the redirect URI (probed at that URL) is not blamed for its 404."""
    results = by_name(idp.diagnose(replace(
        options(), authorization_uri=f"{BASE}/{DEFAULT_TENANT_ID}/v2.0")))
    assert results["endpoints"][0] == "FAIL" and "authorization URI" in results["endpoints"][1]
    status, detail, _, _ = results["redirect-uri"]
    assert status == "SKIP" and "a prerequisite failed" in detail, detail
    assert results["client-credentials"][0] == "PASS", results["client-credentials"]


def test_the_endpoints_come_from_the_discovery_document_when_not_given(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with MockIdp() as mock:
        monkeypatch.setenv("TEST_RP_SECRET", REFERENCE_RP_SECRET)
        discovery = f"{mock.authority}/v2.0/.well-known/openid-configuration"
        code = main(["doctor", "--discovery-url", discovery, "--client-id",
                     REFERENCE_RP_CLIENT_ID, "--client-secret-env", "TEST_RP_SECRET", "--json"])
        report = json.loads(capsys.readouterr().out)
        assert code == 0, report
        assert report["provider"]["authorization_uri"] == \
            f"{mock.authority}/oauth2/v2.0/authorize"
        assert report["provider"]["token_url"] == f"{mock.authority}/oauth2/v2.0/token"
        statuses = {c["name"]: c["status"] for c in report["checks"]}
        assert statuses["endpoints"] == statuses["client-credentials"] == "PASS", statuses
        # A given one wins, and its mismatch with the document stays a finding.
        code = main(["doctor", "--discovery-url", discovery, "--client-id",
                     REFERENCE_RP_CLIENT_ID, "--client-secret-env", "TEST_RP_SECRET",
                     "--token-url", f"{mock.authority}/oauth2/v2.0/tokens"])
        out = capsys.readouterr().out
        assert code == 1 and "endpoints           FAIL" in out, out


def test_an_unusable_discovery_url_alone_is_its_finding(idp: InProcess) -> None:
    typo = f"{BASE}/{DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuratoin"
    diagnosis = idp.diagnose(replace(options(), authorization_uri="", token_url="",
                                     discovery_url=typo))
    status, detail, fix, _ = by_name(diagnosis)["discovery"]
    assert status == "FAIL" and typo in detail and fix and "--discovery-url" in fix
    assert diagnosis.exit_code == 1
