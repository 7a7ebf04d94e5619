"""The doctor's pure checks, over hand-made exchanges: each failure class is named."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from scenarios.doctor import checks
from scenarios.doctor.checks import CheckResult
from scenarios.doctor.config import ConfigError, Secret, load_options, read_config_file
from scenarios.doctor.diagnose import Diagnosis
from scenarios.doctor.probe import Exchange, Failure
from scenarios.doctor.report import MASK, format_table, to_json

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TENANT = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
ENTRA = f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0"
SECRET_ID = "8523bc10-8fc1-435a-bfbb-e8f9af7d1790"


def exchange(status: int | None = 200, body: object = None, *, text: str | None = None,
             headers: tuple[tuple[str, str], ...] = (), url: str = f"{ENTRA}/token",
             failure: Failure | None = None, sent: dict[str, str] | None = None) -> Exchange:
    return Exchange(method="POST", url=url, received_at=NOW, status=status, headers=headers,
                    text=text if text is not None else json.dumps(body), failure=failure,
                    sent=sent or {})


def entra_error(code: int, error: str = "invalid_client") -> dict[str, object]:
    return {"error": error, "error_description": f"AADSTS{code}: words. Trace ID: x",
            "error_codes": [code]}


# -- shapes -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("uri", "flavour"), [
    (f"{ENTRA}/authorize", "entra-v2"),
    (f"https://login.microsoftonline.com/{TENANT}/oauth2/authorize", "entra-v1"),
    ("http://127.0.0.1:4000/contoso.onmicrosoft.com/oauth2/v2.0/authorize", "entra-v2"),
    ("https://kc.example/realms/acme/protocol/openid-connect/auth", "generic"),
    ("http://127.0.0.1:3000/auth", "generic"),
])
def test_flavour_follows_the_endpoint_shape(uri: str, flavour: str) -> None:
    assert checks.provider_flavour(uri) == flavour


def test_a_secret_id_is_a_guid_and_a_secret_value_is_not() -> None:
    assert checks.looks_like_guid(SECRET_ID)
    assert not checks.looks_like_guid("rp7Q~Reference.Relying.Party.Secret-Value01")


# -- client credentials -------------------------------------------------------------------------

def test_token_issued_passes() -> None:
    result = checks.check_client_credentials(
        exchange(200, {"access_token": "t", "token_type": "Bearer"},
                 sent={"scope": "https://graph.microsoft.com/.default"}),
        flavour="entra-v2", secret="value")
    assert result.status == "PASS" and "graph.microsoft.com/.default" in result.detail


def test_secret_id_pasted_instead_of_value_is_named_with_the_portal_place() -> None:
    result = checks.check_client_credentials(exchange(401, entra_error(7000215)),
                                             flavour="entra-v2", secret=SECRET_ID)
    assert result.status == "FAIL"
    assert "AADSTS7000215" in result.detail and "Secret ID" in result.detail
    assert result.fix is not None and "Value, not its Secret ID" in result.fix
    assert result.portal is not None and result.portal.endswith("Certificates & secrets")


def test_a_wrong_secret_value_is_not_called_a_secret_id() -> None:
    result = checks.check_client_credentials(exchange(401, entra_error(7000215)),
                                             flavour="entra-v2", secret="nope-not-a-guid-value")
    assert result.status == "FAIL" and "Secret ID" not in result.detail
    assert "invalid client secret" in result.detail


@pytest.mark.parametrize(("code", "error", "words", "portal_end"), [
    (7000222, "invalid_client", "expired", "Certificates & secrets"),
    (700016, "unauthorized_client", "wrong app or wrong tenant", "Overview"),
    (90002, "invalid_tenant", "tenant not found", "Overview"),
    (7000218, "invalid_client", "no client secret", "Certificates & secrets"),
])
def test_entra_codes_are_named(code: int, error: str, words: str, portal_end: str) -> None:
    result = checks.check_client_credentials(exchange(400, entra_error(code, error)),
                                             flavour="entra-v2", secret="some-secret-value")
    assert result.status == "FAIL", result
    assert f"AADSTS{code}" in result.detail and words in result.detail
    assert result.fix and result.portal and result.portal.endswith(portal_end)


def test_an_unknown_aadsts_code_points_at_the_error_lookup() -> None:
    result = checks.check_client_credentials(exchange(400, entra_error(123456, "x")),
                                             flavour="entra-v2", secret="s3cret-value")
    assert result.status == "FAIL" and "error?code=123456" in (result.fix or "")


def test_generic_invalid_client_fails_with_a_fix() -> None:
    result = checks.check_client_credentials(
        exchange(401, {"error": "invalid_client", "error_description": "client authentication "
                       "failed"}), flavour="generic", secret="x")
    assert result.status == "FAIL" and "invalid_client" in result.detail
    assert "client secret" in (result.fix or "")


def test_generic_grant_refusal_falls_back_to_an_unusable_code() -> None:
    refused = exchange(400, {"error": "unauthorized_client"})
    assert checks.needs_credential_fallback(refused, "generic")
    assert not checks.needs_credential_fallback(refused, "entra-v2")
    accepted = checks.check_client_credentials(
        refused, flavour="generic", secret="x", fallback=exchange(400, {"error": "invalid_grant"}))
    assert accepted.status == "PASS" and "client authenticated" in accepted.detail
    rejected = checks.check_client_credentials(
        refused, flavour="generic", secret="x", fallback=exchange(401, {"error": "invalid_client"}))
    assert rejected.status == "FAIL" and "invalid_client" in rejected.detail
    unknown = checks.check_client_credentials(refused, flavour="generic", secret="x")
    assert unknown.status == "WARN"


def test_no_secret_warns_and_an_unreached_endpoint_skips() -> None:
    assert checks.check_client_credentials(exchange(), flavour="generic",
                                           secret=None).status == "WARN"
    down = exchange(None, failure=Failure(kind="connect", message="refused"))
    assert checks.check_client_credentials(down, flavour="generic", secret="x").status == "SKIP"
    assert checks.check_token_endpoint(down).status == "FAIL"


def test_an_html_token_url_is_not_a_token_endpoint() -> None:
    result = checks.check_token_endpoint(exchange(404, text="<html>not found</html>"))
    assert result.status == "FAIL" and "token_endpoint" in (result.fix or "")


# -- redirect URI -------------------------------------------------------------------------------

REDIRECT = "http://localhost:8500/auth/callback"


def test_entra_error_page_with_50011_is_an_unregistered_redirect_uri() -> None:
    page = exchange(200, text="<html><h1>Sorry, but we're having trouble signing you in."
                    "</h1><p>AADSTS50011: The redirect URI ...</p></html>")
    result = checks.check_redirect_uri(page, redirect_uri=REDIRECT, flavour="entra-v2")
    assert result.status == "FAIL" and "AADSTS50011" in result.detail and REDIRECT in result.detail
    assert result.portal is not None and result.portal.endswith("Authentication")


@pytest.mark.parametrize(("location", "words"), [
    ("https://login.microsoftonline.com/common/login?x=1", "sign-in page"),
    ("/interaction/abc", "sign-in page"),
    (f"{REDIRECT}?code=abc&state=s", "redirected back"),
    (f"{REDIRECT}?error=access_denied&state=s", "error=access_denied"),
])
def test_a_redirect_means_the_uri_is_registered(location: str, words: str) -> None:
    result = checks.check_redirect_uri(exchange(302, text="", headers=(("location", location),)),
                                       redirect_uri=REDIRECT, flavour="generic")
    assert result.status == "PASS" and words in result.detail


def test_a_plain_sign_in_page_passes() -> None:
    result = checks.check_redirect_uri(exchange(200, text="<form>Sign in</form>"),
                                       redirect_uri=REDIRECT, flavour="entra-v2")
    assert result.status == "PASS"


@pytest.mark.parametrize(("text", "words"), [
    ("<pre>error: invalid_redirect_uri</pre>", "not registered"),
    ("Invalid parameter: redirect_uri", "not registered"),
    ("<pre>error: invalid_client</pre><pre>client is invalid</pre>", "client ID"),
])
def test_generic_error_pages_are_read(text: str, words: str) -> None:
    result = checks.check_redirect_uri(exchange(400, text=text), redirect_uri=REDIRECT,
                                       flavour="generic")
    assert result.status == "FAIL" and words in result.detail


def test_without_a_redirect_uri_the_check_is_skipped() -> None:
    assert checks.check_redirect_uri(None, redirect_uri=None, flavour="generic").status == "SKIP"


def test_an_unknown_client_names_the_client_id_in_the_credentials_check() -> None:
    credentials = CheckResult(name="client-credentials", status="FAIL",
                              detail="the provider refused the client (invalid_client)")
    redirect = CheckResult(name="redirect-uri", status="FAIL",
                           detail="the authorization endpoint does not know this client ID")
    refined = checks.refine_client_credentials(credentials, redirect)
    assert "client ID is unknown" in refined.detail


# -- clock --------------------------------------------------------------------------------------

def _dated(offset: timedelta, *, extra: str | None = None) -> Exchange:
    headers = [("date", format_datetime(NOW + offset, usegmt=True))]
    if extra is not None:
        headers.insert(0, ("date", extra))
    return exchange(headers=tuple(headers))


@pytest.mark.parametrize(("seconds", "status"), [
    (0, "PASS"), (59, "PASS"), (-59, "PASS"), (61, "WARN"), (-299, "WARN"),
    (301, "FAIL"), (-600, "FAIL"),
])
def test_clock_skew_thresholds(seconds: int, status: str) -> None:
    result = checks.check_clock([_dated(timedelta(seconds=seconds))])
    assert result.status == status, result
    if seconds <= -300:
        assert "10 min 0 s behind" in result.detail


@pytest.mark.parametrize(("offset", "said"), [
    (timedelta(seconds=42), "42 s ahead of"),
    (timedelta(minutes=-59, seconds=-59), "59 min 59 s behind"),
    (timedelta(hours=1), "1 h ahead of"),
    (timedelta(hours=2, minutes=5, seconds=30), "2 h 5 min ahead of"),
    (timedelta(days=1, minutes=3), "1 day 3 min ahead of"),
    (timedelta(days=181, minutes=59, seconds=59), "181 days 59 min ahead of"),
    (-timedelta(days=400, hours=7), "400 days 7 h behind"),
])
def test_large_skews_read_in_days_hours_and_minutes(offset: timedelta, said: str) -> None:
    result = checks.check_clock([_dated(offset)])
    assert f"login.microsoftonline.com is {said} this machine" == result.detail


def test_the_last_date_header_counts() -> None:
    stale = format_datetime(NOW - timedelta(hours=1), usegmt=True)
    assert checks.check_clock([_dated(timedelta(0), extra=stale)]).status == "PASS"


def test_no_date_header_warns() -> None:
    assert checks.check_clock([exchange()]).status == "WARN"


# -- transport, TLS, endpoints, keys ------------------------------------------------------------

def test_http_on_a_public_host_fails_and_loopback_passes() -> None:
    bad = checks.check_transport({"authorization URI": "http://login.example/authorize"})
    assert bad.status == "FAIL" and "https" in (bad.fix or "")
    assert checks.check_transport({"token URL": "http://[::1]:80/token",
                                   "redirect URI": "http://localhost/cb"}).status == "PASS"
    assert checks.check_transport({"token URL": "login.example/token"}).status == "FAIL"


def test_tls_failures_name_the_fix() -> None:
    untrusted = exchange(None, failure=Failure(kind="tls-untrusted", message="self-signed"))
    result = checks.check_tls([untrusted], ca_file_given=False)
    assert result.status == "FAIL" and "--ca-file" in (result.fix or "")
    assert "did not sign" in (checks.check_tls([untrusted], ca_file_given=True).fix or "")
    mismatch = exchange(None, failure=Failure(kind="tls-hostname", message="mismatch"))
    assert "host name" in (checks.check_tls([mismatch], ca_file_given=False).fix or "")
    assert checks.check_tls([exchange()], ca_file_given=False).status == "PASS"


def _doc(**changes: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "issuer": f"https://login.microsoftonline.com/{TENANT}/v2.0",
        "authorization_endpoint": f"{ENTRA}/authorize", "token_endpoint": f"{ENTRA}/token",
        "jwks_uri": f"https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys",
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    doc.update(changes)
    return doc


def test_endpoints_by_domain_match_the_guid_document() -> None:
    by_domain = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0"
    result = checks.check_endpoints(_doc(), authorization_uri=f"{by_domain}/authorize",
                                    token_url=f"{by_domain}/token", flavour="entra-v2")
    assert result.status == "PASS", result


def test_a_v1_token_url_with_a_v2_authorization_uri_fails() -> None:
    v1_token = f"https://login.microsoftonline.com/{TENANT}/oauth2/token"
    result = checks.check_endpoints(_doc(), authorization_uri=f"{ENTRA}/authorize",
                                    token_url=v1_token, flavour="entra-v2")
    assert result.status == "FAIL" and "v2.0" in result.detail


def test_a_token_url_of_another_tenant_fails() -> None:
    other = "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/v2.0"
    result = checks.check_endpoints(_doc(), authorization_uri=f"{ENTRA}/authorize",
                                    token_url=f"{other}/token", flavour="entra-v2")
    assert result.status == "FAIL" and "tenant" in result.detail


def test_issuer_must_match_the_discovery_url() -> None:
    url = f"https://login.microsoftonline.com/{TENANT}/v2.0/.well-known/openid-configuration"
    assert checks.check_issuer(_doc(), url).status == "PASS"
    moved = checks.check_issuer(_doc(issuer="https://other.example/v2.0"), url)
    assert moved.status == "FAIL"


def _rsa_jwk() -> dict[str, object]:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return {**json.loads(RSAAlgorithm.to_jwk(key)), "kid": "k1", "use": "sig"}


def test_jwks_needs_a_usable_rsa_key_and_rs256() -> None:
    keys = exchange(200, {"keys": [_rsa_jwk()]}, url="https://idp/keys")
    assert checks.check_jwks(_doc(), keys).status == "PASS"
    assert checks.check_jwks(_doc(id_token_signing_alg_values_supported=["ES256"]),
                             keys).status == "WARN"
    broken = exchange(200, {"keys": [{"kty": "RSA", "n": "!!", "e": "AQAB"}]})
    assert checks.check_jwks(_doc(), broken).status == "FAIL"
    assert checks.check_jwks(_doc(), exchange(200, {"keys": []})).status == "FAIL"


def test_discovery_with_aadsts90002_is_a_wrong_tenant() -> None:
    result, doc = checks.check_discovery("https://x/.well-known/openid-configuration",
                                         exchange(400, entra_error(90002, "invalid_tenant")),
                                         "entra-v2")
    assert doc is None and result.status == "FAIL" and "tenant not found" in result.detail


# -- report and options -------------------------------------------------------------------------

def test_secrets_are_masked_in_the_table_and_the_json() -> None:
    secret = 'pa"ss\\word-0123456789'
    diagnosis = Diagnosis(flavour="generic", discovery_url="https://idp/.well-known", results=(
        CheckResult(name="client-credentials", status="FAIL", detail=f"echoed {secret}",
                    fix=f"not {secret}"),))
    table = format_table(diagnosis, secrets=[secret])
    document = to_json(diagnosis, secrets=[secret], target={"client_secret": secret})
    assert secret not in table and MASK in table
    assert "word-0123456789" not in document and json.loads(document)["ok"] is False


def test_secret_prints_masked() -> None:
    secret = Secret("rp7Q~Reference.Relying.Party.Secret-Value01")
    assert "Reference" not in repr(secret) and "Reference" not in f"{secret}"
    assert secret.masked.startswith("rp7***") and Secret("short").masked.startswith("***")


def _args(**values: object) -> argparse.Namespace:
    base: dict[str, object] = {name: None for name in (
        "authorization_uri", "token_url", "client_id", "client_secret", "client_secret_env",
        "client_secret_file", "redirect_uri", "discovery_url", "scope", "client_auth_method",
        "ca_file", "timeout", "config")}
    base.update(values)
    return argparse.Namespace(**base)


def test_options_command_line_over_environment_over_file(tmp_path: Path) -> None:
    config = tmp_path / "doctor.toml"
    config.write_text('[doctor]\nauthorization-uri = "https://file/authorize"\n'
                      'token_url = "https://file/token"\nclient_id = "file-id"\n'
                      'client_secret_env = "MY_SECRET"\n', encoding="utf-8")
    env = {"SSO_DOCTOR_CLIENT_ID": "env-id", "MY_SECRET": "from-env-var"}
    options = load_options(_args(config=config, token_url="https://cli/token"), env)
    assert options.authorization_uri == "https://file/authorize"
    assert options.token_url == "https://cli/token"
    assert options.client_id == "env-id"
    assert options.client_secret == Secret("from-env-var")


def test_options_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--token-url"):
        load_options(_args(authorization_uri="https://a", client_id="x"), {})
    with pytest.raises(ConfigError, match="NOT_SET .client secret. is not set"):
        load_options(_args(authorization_uri="https://a", token_url="https://t", client_id="x",
                           client_secret_env="NOT_SET"), {})
    leaky = tmp_path / "leaky.json"
    leaky.write_text('{"client_secret": "oops"}', encoding="utf-8")
    with pytest.raises(ConfigError, match="keep secrets out"):
        read_config_file(leaky)
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("from-a-file\n", encoding="utf-8")
    options = load_options(_args(authorization_uri="https://a", token_url="https://t",
                                 client_id="x", client_secret_file=str(secret_file)), {})
    assert options.client_secret == Secret("from-a-file")


def test_a_discovery_url_stands_in_for_the_endpoints() -> None:
    """The document names both endpoints: --discovery-url with a client ID is enough."""
    options = load_options(_args(discovery_url="https://idp/.well-known/openid-configuration",
                                 client_id="x"), {})
    assert (options.authorization_uri, options.token_url) == ("", "")
    with pytest.raises(ConfigError, match=r"missing --authorization-uri, --token-url \(or "
                       r"--discovery-url"):
        load_options(_args(client_id="x"), {})


def test_entra_v1_token_endpoint_over_http_fails_even_on_loopback() -> None:
    """Its ID tokens are unsigned, which the reference relying party refuses over http: the
    set-up that every sign-in of run --idp fails with does not pass as local testing."""
    v1 = checks.check_transport({"token URL": "http://127.0.0.1:8400/contoso/oauth2/token"})
    assert v1.status == "FAIL" and "v1.0" in v1.detail, v1
    assert "id_token_unsigned_over_http" in v1.detail and "v2.0" in (v1.fix or ""), v1
    assert checks.check_transport({"token URL": "http://127.0.0.1:8400/contoso/oauth2/v2.0/token",
                                   "authorization URI": "http://127.0.0.1:8400/contoso/oauth2/"
                                   "authorize"}).status == "PASS"
