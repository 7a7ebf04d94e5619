"""``doctor`` against the mock provider where the set-up works but is written unusually (a
query pasted with the authorization URI, a tenant by domain in one URL and by GUID in the
other), and where the provider struggles (throttled, unavailable, slow) without the set-up
being wrong."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from asgi_client import AppClient

from mock_idp import IdpConfig, MockClock, create_app
from mock_idp.config import DEFAULT_DOMAIN, DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID
from mock_idp.config import REFERENCE_RP_SECRET as SECRET
from mock_idp.testing import MockIdp, bind_socket
from scenarios.doctor import DoctorOptions, Secret, diagnose, probe
from scenarios.doctor.diagnose import Diagnosis

BASE = "http://localhost"
REDIRECT = "http://localhost:8500/auth/callback"
OTHER_TENANT = "0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874"
OTHER_DOMAIN = "fabrikam.onmicrosoft.com"


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def options(base: str = BASE, *, authorize: str = f"{DEFAULT_TENANT_ID}/oauth2/v2.0/authorize",
            token: str = f"{DEFAULT_TENANT_ID}/oauth2/v2.0/token",
            timeout: float = 5) -> DoctorOptions:
    return DoctorOptions(authorization_uri=f"{base}/{authorize}", token_url=f"{base}/{token}",
                         client_id=REFERENCE_RP_CLIENT_ID, client_secret=Secret(SECRET),
                         redirect_uri=REDIRECT, timeout=timeout)


Row = tuple[str, str, str | None]


def by_name(diagnosis: Diagnosis) -> dict[str, Row]:
    return {r.name: (r.status, r.detail, r.fix) for r in diagnosis.results}


@pytest.fixture
def idp() -> Iterator[AppClient]:
    app = create_app(IdpConfig.default(clock=MockClock()))
    with AppClient(app, base_url=BASE, follow_redirects=False) as client:
        yield client


def arm(client: AppClient, **fault: object) -> None:
    response = client.post("/_mock/faults", json=fault)
    assert response.status_code in (200, 201), response.text


# -- a query pasted with the authorization URI --------------------------------------------------

def test_the_probe_keeps_the_query_of_the_authorization_uri(idp: AppClient) -> None:
    pasted = f"{BASE}/{DEFAULT_TENANT_ID}/oauth2/v2.0/authorize?prompt=none&response_type=token"
    answer = probe.authorize(idp, Clock(), pasted, client_id=REFERENCE_RP_CLIENT_ID,
                             redirect_uri=REDIRECT)
    assert answer.sent["prompt"] == "none" and answer.sent["response_type"] == "code"
    assert "prompt=none" in answer.url
    location = answer.header("location") or ""
    assert location.startswith(REDIRECT) and "error=login_required" in location


def test_prompt_none_in_the_authorization_uri_fails(idp: AppClient) -> None:
    diagnosis = diagnose(options(authorize=f"{DEFAULT_TENANT_ID}/oauth2/v2.0/authorize"
                                 "?prompt=none&response_mode=form_post"), idp, clock=Clock())
    status, detail, fix = by_name(diagnosis)["authorize-query"]
    assert status == "FAIL" and "prompt=none" in detail and "response_mode=form_post" in detail
    assert "login_required" in detail
    assert fix and fix.startswith("Remove the query (?prompt=none&response_mode=form_post)")
    assert diagnosis.exit_code == 1


def test_a_harmless_query_warns(idp: AppClient) -> None:
    diagnosis = diagnose(options(authorize=f"{DEFAULT_TENANT_ID}/oauth2/v2.0/authorize"
                                 f"?domain_hint={DEFAULT_DOMAIN}"), idp, clock=Clock())
    status, detail, _ = by_name(diagnosis)["authorize-query"]
    assert status == "WARN" and f"domain_hint={DEFAULT_DOMAIN}" in detail
    assert not diagnosis.failed, by_name(diagnosis)


# -- one tenant, by domain in one URL and by GUID in the other ----------------------------------

@pytest.mark.parametrize(("authorize_tenant", "token_tenant"), [
    (DEFAULT_DOMAIN, DEFAULT_TENANT_ID),
    (DEFAULT_TENANT_ID, DEFAULT_DOMAIN),
    (DEFAULT_DOMAIN.upper(), DEFAULT_DOMAIN),
])
def test_a_tenant_by_domain_and_by_guid_is_one_tenant(
    idp: AppClient, authorize_tenant: str, token_tenant: str
) -> None:
    diagnosis = diagnose(options(authorize=f"{authorize_tenant}/oauth2/v2.0/authorize",
                                 token=f"{token_tenant}/oauth2/v2.0/token"), idp, clock=Clock())
    results = by_name(diagnosis)
    assert results["endpoints"][0] == "PASS", results["endpoints"]
    assert not diagnosis.failed, results


@pytest.mark.parametrize("token_tenant", [OTHER_DOMAIN, OTHER_TENANT])
def test_another_tenant_in_the_token_url_fails(idp: AppClient, token_tenant: str) -> None:
    response = idp.post("/_mock/tenants", json={"id": OTHER_TENANT, "domain": OTHER_DOMAIN,
                                                "name": "Fabrikam"})
    assert response.status_code == 201, response.text
    diagnosis = diagnose(options(authorize=f"{DEFAULT_DOMAIN}/oauth2/v2.0/authorize",
                                 token=f"{token_tenant}/oauth2/v2.0/token"), idp, clock=Clock())
    status, detail, fix = by_name(diagnosis)["endpoints"]
    assert status == "FAIL" and "two different tenants" in detail, detail
    assert DEFAULT_TENANT_ID in detail and OTHER_TENANT in detail
    assert fix and "same tenant" in fix


def test_an_unknown_domain_in_the_token_url_fails(idp: AppClient) -> None:
    diagnosis = diagnose(options(token="nowhere.onmicrosoft.com/oauth2/v2.0/token"), idp,
                         clock=Clock())
    status, detail, _ = by_name(diagnosis)["endpoints"]
    assert status == "FAIL" and "nowhere.onmicrosoft.com" in detail and "AADSTS90002" in detail


# -- a provider that struggles --------------------------------------------------------------------

def test_throttled_token_requests_say_wait_and_retry(idp: AppClient) -> None:
    arm(idp, kind="throttle", endpoint="token", retry_after=7)
    status, detail, fix = by_name(diagnose(options(), idp, clock=Clock()))["client-credentials"]
    assert status == "FAIL" and "throttling" in detail and "AADSTS50196" in detail
    assert fix and "Wait 7 s" in fix and "app registration" not in fix


def test_an_unavailable_discovery_document_says_retry_later(idp: AppClient) -> None:
    arm(idp, kind="status", endpoint="discovery", status=503)
    status, detail, fix = by_name(diagnose(options(), idp, clock=Clock()))["discovery"]
    assert status == "FAIL" and "temporarily unavailable" in detail and "HTTP 503" in detail
    assert fix and fix.startswith("Retry later") and "app registration" not in fix


def test_a_jwks_outage_is_not_a_wrong_jwks_uri(idp: AppClient) -> None:
    arm(idp, kind="outage", endpoint="jwks")
    status, detail, fix = by_name(diagnose(options(), idp, clock=Clock()))["jwks"]
    assert status == "FAIL" and "temporarily unavailable" in detail
    assert fix and "jwks_uri" not in fix and "Retry" in fix


def test_a_slow_token_endpoint_suggests_a_larger_timeout() -> None:
    with MockIdp() as mock:
        mock.http.post("/_mock/faults", json={"kind": "latency", "endpoint": "token",
                                              "delay_ms": 1500}).raise_for_status()
        opts = options(mock.url, timeout=0.5)
        with probe.make_client(ca_file=None, timeout=opts.timeout) as http:
            results = by_name(diagnose(opts, http, clock=Clock()))
    status, detail, fix = results["token-endpoint"]
    assert status == "FAIL" and "no answer within 0.5 s" in detail
    assert "answered other requests" in detail
    assert fix and "--timeout" in fix and "firewall" not in fix


def test_tls_is_not_vouched_for_a_host_that_never_answered() -> None:
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    sock.close()
    with probe.make_client(ca_file=None, timeout=2) as http:
        results = by_name(diagnose(options(f"https://127.0.0.1:{port}"), http, clock=Clock()))
    status, detail, _ = results["tls"]
    assert status == "SKIP" and "certificate verified" not in detail, results["tls"]
    assert results["discovery"][0] == "FAIL"
