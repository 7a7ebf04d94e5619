"""The doctor's judgement where the set-up is fine but unusual, or the provider struggles, over
hand-made exchanges; and the options it reads (CA file, secrets)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mock_idp.tls import ensure_tls_files
from scenarios.__main__ import main
from scenarios.doctor import checks
from scenarios.doctor.checks.transport import retry_after
from scenarios.doctor.config import ConfigError, Secret, load_options
from scenarios.doctor.probe import Exchange, Failure, make_client

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TENANT = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
OTHER = "11111111-2222-3333-4444-555555555555"
LOGIN = "https://login.microsoftonline.com"
ENTRA = f"{LOGIN}/{TENANT}/oauth2/v2.0"
BY_DOMAIN = f"{LOGIN}/contoso.onmicrosoft.com/oauth2/v2.0"
REDIRECT = "http://localhost:8500/auth/callback"


def exchange(status: int | None = 200, body: object = None, *, text: str | None = None,
             headers: tuple[tuple[str, str], ...] = (), url: str = f"{ENTRA}/token",
             failure: Failure | None = None) -> Exchange:
    return Exchange(method="GET", url=url, received_at=NOW, status=status, headers=headers,
                    text=text if text is not None else json.dumps(body), failure=failure)


def document(tenant: str = TENANT, version: str = "v2.0") -> dict[str, object]:
    if version == "v2.0":
        issuer, base = f"{LOGIN}/{tenant}/v2.0", f"{LOGIN}/{tenant}/oauth2/v2.0"
    else:
        issuer, base = f"https://sts.windows.net/{tenant}/", f"{LOGIN}/{tenant}/oauth2"
    return {"issuer": issuer, "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token", "jwks_uri": f"{LOGIN}/{tenant}/discovery/keys",
            "response_types_supported": ["code"], "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"]}


# -- a query in the authorization URI -----------------------------------------------------------

@pytest.mark.parametrize(("query", "status", "named"), [
    ("", "PASS", ""),
    ("?prompt=none", "FAIL", "login_required"),
    ("?prompt=None&domain_hint=contoso.com", "FAIL", "domain_hint=contoso.com"),
    ("?response_mode=form_post", "FAIL", "response_mode is the relying party's"),
    ("?client_id=x&redirect_uri=y", "FAIL", "client_id, redirect_uri are the relying party's"),
    ("?response_type=id_token", "FAIL", "response_type"),
    ("?domain_hint=contoso.com", "WARN", "domain_hint=contoso.com"),
    ("?prompt=select_account", "WARN", "prompt=select_account"),
])
def test_a_query_in_the_authorization_uri_is_named(query: str, status: str, named: str) -> None:
    result = checks.check_authorization_query(f"{ENTRA}/authorize{query}")
    assert result.status == status, result
    assert named in result.detail
    if query:
        assert result.fix and f"Remove the query ({query})" in result.fix


# -- tenants named two ways -----------------------------------------------------------------------

@pytest.mark.parametrize(("authorize", "token", "expected"), [
    (f"{BY_DOMAIN}/authorize", f"{ENTRA}/token", None),
    (f"{ENTRA}/authorize", f"{ENTRA}/token", None),
    (f"{ENTRA}/authorize", f"{BY_DOMAIN}/token",
     f"{LOGIN}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration"),
    (f"{LOGIN}/{TENANT}/oauth2/authorize", f"{LOGIN}/contoso.com/oauth2/token/",
     f"{LOGIN}/contoso.com/.well-known/openid-configuration"),
    ("https://kc.example/realms/a/protocol/openid-connect/auth",
     "https://kc.example/realms/b/protocol/openid-connect/token", None),
])
def test_the_token_urls_tenant_is_looked_up_only_when_it_is_not_a_guid(
    authorize: str, token: str, expected: str | None
) -> None:
    assert checks.token_tenant_discovery_url(authorize, token) == expected


def test_a_domain_and_its_guid_are_one_tenant() -> None:
    result = checks.check_endpoints(document(), authorization_uri=f"{BY_DOMAIN}/authorize",
                                    token_url=f"{ENTRA}/token", flavour="entra-v2")
    assert result.status == "PASS", result
    resolved = exchange(200, document())
    result = checks.check_endpoints(document(), authorization_uri=f"{ENTRA}/authorize",
                                    token_url=f"{BY_DOMAIN}/token", flavour="entra-v2",
                                    token_tenant=resolved)
    assert result.status == "PASS", result


def test_both_endpoints_off_the_document_are_both_named() -> None:
    advertised = {"authorization_endpoint": "https://idp.test/oauth/authorize",
                  "token_endpoint": "https://idp.test/oauth/token"}
    result = checks.check_endpoints(advertised, authorization_uri="https://idp.test/authorize",
                                    token_url="https://idp.test/token", flavour="generic")
    assert result.status == "FAIL", result
    assert result.blames == ("authorization URI", "token URL")
    assert "https://idp.test/oauth/authorize as the authorization URI" in result.fix
    assert "https://idp.test/oauth/token as the token URL" in result.fix
    assert "the token URL https://idp.test/token is not the advertised" in result.detail


def test_a_v1_domain_and_its_guid_are_one_tenant() -> None:
    v1 = f"{LOGIN}/contoso.onmicrosoft.com/oauth2"
    result = checks.check_endpoints(document(version="v1.0"),
                                    authorization_uri=f"{v1}/authorize",
                                    token_url=f"{LOGIN}/{TENANT}/oauth2/token",
                                    flavour="entra-v1")
    assert result.status == "PASS", result


def test_a_domain_of_another_tenant_fails() -> None:
    result = checks.check_endpoints(document(), authorization_uri=f"{ENTRA}/authorize",
                                    token_url=f"{BY_DOMAIN}/token", flavour="entra-v2",
                                    token_tenant=exchange(200, document(OTHER)))
    assert result.status == "FAIL" and "two different tenants" in result.detail
    assert f"contoso.onmicrosoft.com ({OTHER})" in result.detail


def test_a_tenant_whose_document_did_not_come_is_a_warning() -> None:
    down = exchange(None, failure=Failure(kind="connect", message="refused"))
    busy = exchange(503, {"error": "temporarily_unavailable", "error_codes": [90033]})
    for token_tenant in (down, busy):
        result = checks.check_endpoints(document(), authorization_uri=f"{ENTRA}/authorize",
                                        token_url=f"{BY_DOMAIN}/token", flavour="entra-v2",
                                        token_tenant=token_tenant)
        assert result.status == "WARN", result


def test_an_alias_against_a_guid_still_fails() -> None:
    result = checks.check_endpoints(document(), authorization_uri=f"{ENTRA}/authorize",
                                    token_url=f"{LOGIN}/organizations/oauth2/v2.0/token",
                                    flavour="entra-v2",
                                    token_tenant=exchange(200, document("{tenantid}")))
    assert result.status == "FAIL" and "Use the same tenant ID" in (result.fix or "")


# -- the discovery document's own shape -----------------------------------------------------------

def test_the_document_is_labelled_by_its_own_version() -> None:
    url = f"{LOGIN}/{TENANT}/v2.0/.well-known/openid-configuration"
    result, _ = checks.check_discovery(url, exchange(200, document()), "entra-v1")
    assert result.detail.endswith("(Entra ID v2.0)"), result.detail
    v1 = f"{LOGIN}/{TENANT}/.well-known/openid-configuration"
    result, _ = checks.check_discovery(v1, exchange(200, document(version="v1.0")), "entra-v2")
    assert result.detail.endswith("(Entra ID v1.0)"), result.detail


# -- TLS only for hosts that answered -------------------------------------------------------------

def test_tls_vouches_only_for_hosts_that_answered() -> None:
    nowhere = exchange(None, url="https://login.nowhere.invalid/x",
                       failure=Failure(kind="connect", message="Name or service not known"))
    result = checks.check_tls([nowhere], ca_file_given=False)
    assert result.status == "SKIP" and "login.nowhere.invalid" in result.detail
    result = checks.check_tls([exchange(), nowhere], ca_file_given=False)
    assert result.status == "PASS"
    assert result.detail.startswith("certificate verified: login.microsoftonline.com;")
    assert "not checked (no answer): login.nowhere.invalid" in result.detail


# -- a provider that struggles --------------------------------------------------------------------

THROTTLED = {"error": "invalid_request", "error_description": "AADSTS50196: loop",
             "error_codes": [50196]}


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after(exchange(429, headers=(("retry-after", "30"),))) == 30
    date = format_datetime(NOW + timedelta(minutes=2), usegmt=True)
    assert retry_after(exchange(429, headers=(("retry-after", date),))) == 120
    assert retry_after(exchange(429, headers=(("retry-after", "soon"),))) is None
    assert retry_after(exchange(429)) is None


def test_throttling_says_wait_with_or_without_retry_after() -> None:
    waited = checks.check_client_credentials(
        exchange(429, THROTTLED, headers=(("Retry-After", "12"),)), flavour="entra-v2",
        secret="value")
    assert waited.status == "FAIL" and "throttling" in waited.detail
    assert waited.fix and waited.fix.startswith("Wait 12 s")
    plain = checks.check_client_credentials(exchange(429, {"error": "slow_down"}),
                                            flavour="generic", secret="value")
    assert plain.fix and plain.fix.startswith("Wait a minute") and "client" not in plain.fix


def test_a_gateway_error_page_is_not_a_missing_token_endpoint() -> None:
    page = exchange(502, text="<html>Bad Gateway</html>")
    endpoint = checks.check_token_endpoint(page)
    assert endpoint.status == "FAIL" and "temporarily unavailable" in endpoint.detail
    assert "token_endpoint" not in (endpoint.fix or "")
    credentials = checks.check_client_credentials(page, flavour="generic", secret="value")
    assert credentials.status == "SKIP"


def test_an_unavailable_authorization_endpoint_says_retry() -> None:
    page = exchange(503, text="<p>AADSTS90033: A transient error has occurred.</p>",
                    url=f"{ENTRA}/authorize", headers=(("retry-after", "20"),))
    result = checks.check_redirect_uri(page, redirect_uri=REDIRECT, flavour="entra-v2")
    assert result.status == "FAIL" and "temporarily unavailable" in result.detail
    assert result.fix and result.fix.startswith("Retry after 20 s") and result.portal is None


def test_jwks_down_is_not_a_wrong_jwks_uri_but_a_404_may_be() -> None:
    keys = f"{LOGIN}/{TENANT}/discovery/v2.0/keys"
    refused = exchange(None, url=keys, failure=Failure(kind="connect", message="refused"))
    result = checks.check_jwks(document(), refused)
    assert result.status == "FAIL" and result.fix and "discovery document advertises" in (
        result.fix)
    assert "Check the host name" not in result.fix
    missing = checks.check_jwks(document(), exchange(404, {"error": "not found"}, url=keys))
    assert "Fix jwks_uri" in (missing.fix or "")


def test_a_time_out_at_a_host_that_answered_suggests_a_larger_timeout() -> None:
    slow = exchange(None, failure=Failure(kind="timeout",
                                          message="no answer within 2 s (ReadTimeout)"))
    result = checks.check_token_endpoint(slow, answered={"login.microsoftonline.com"})
    assert "no answer within 2 s" in result.detail and "--timeout" in (result.fix or "")
    blocked = checks.check_token_endpoint(slow)
    assert "firewall" in (blocked.fix or "") and "--timeout" not in (blocked.fix or "")


# -- options: the CA file and the secret ----------------------------------------------------------

def _args(**values: object) -> argparse.Namespace:
    base: dict[str, object] = {name: None for name in (
        "authorization_uri", "token_url", "client_id", "client_secret", "client_secret_env",
        "client_secret_file", "redirect_uri", "discovery_url", "scope", "client_auth_method",
        "ca_file", "timeout", "config")}
    base.update(authorization_uri=f"{ENTRA}/authorize", token_url=f"{ENTRA}/token",
                client_id="app")
    base.update(values)
    return argparse.Namespace(**base)


@pytest.fixture(scope="module")
def not_pem(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("ca")
    tls = ensure_tls_files(directory)
    der = directory / "ca.der"
    der.write_bytes(x509.load_pem_x509_certificate(tls.ca_cert.read_bytes())
                    .public_bytes(Encoding.DER))
    empty = directory / "empty.pem"
    empty.write_bytes(b"")
    return {"der": der, "key": tls.ca_key, "empty": empty, "pem": tls.ca_cert}


@pytest.mark.parametrize("kind", ["der", "key", "empty"])
def test_a_ca_file_that_is_not_pem_is_a_bad_option(not_pem: dict[str, Path], kind: str) -> None:
    with pytest.raises(ConfigError, match="not a readable PEM CA certificate") as caught:
        load_options(_args(ca_file=str(not_pem[kind])), {})
    assert str(not_pem[kind]) in str(caught.value)
    with pytest.raises(ConfigError, match="not a readable PEM CA certificate"):
        make_client(ca_file=not_pem[kind], timeout=1)
    assert load_options(_args(ca_file=str(not_pem["pem"])), {}).ca_file == not_pem["pem"]


def test_the_command_exits_2_for_a_der_ca_file(not_pem: dict[str, Path],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "--authorization-uri", f"{ENTRA}/authorize", "--token-url",
                 f"{ENTRA}/token", "--client-id", "app", "--ca-file", str(not_pem["der"])])
    err = capsys.readouterr().err
    assert code == 2 and f"--ca-file {not_pem['der']}: not a readable PEM" in err
    assert "Traceback" not in err


def test_secrets_are_trimmed_from_every_source(tmp_path: Path) -> None:
    padded = " rp7Q~value-with-spaces-around \n"
    assert load_options(_args(client_secret_env="S"), {"S": padded}).client_secret == Secret(
        padded.strip())
    assert load_options(_args(client_secret=padded), {}).client_secret == Secret(padded.strip())
    assert load_options(_args(), {"SSO_DOCTOR_CLIENT_SECRET": padded}).client_secret == Secret(
        padded.strip())
    with pytest.raises(ConfigError, match="environment variable S .client secret. is empty"):
        load_options(_args(client_secret_env="S"), {"S": "  \t"})
    blank = tmp_path / "blank.txt"
    blank.write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is empty"):
        load_options(_args(client_secret_file=str(blank)), {})


def test_a_private_key_as_ca_file_is_named_as_such(not_pem: dict[str, Path]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_options(_args(ca_file=str(not_pem["key"])), {})
    said = str(caught.value)
    assert "holds a private key, not a certificate" in said and "inform der" not in said, said


def test_an_empty_secret_variable_is_empty_not_unset() -> None:
    with pytest.raises(ConfigError, match="environment variable S .client secret. is empty"):
        load_options(_args(client_secret_env="S"), {"S": ""})
    with pytest.raises(ConfigError, match="environment variable S .client secret. is not set"):
        load_options(_args(client_secret_env="S"), {})


def test_a_zero_timeout_is_refused_in_words_that_exclude_it() -> None:
    with pytest.raises(ConfigError, match="^--timeout must be more than 0 and at most 120 "
                       "seconds$"):
        load_options(_args(timeout="0"), {})


@pytest.mark.parametrize("option", ["authorization_uri", "token_url", "discovery_url"])
def test_a_provider_url_without_a_scheme_is_a_bad_option(
        option: str, capsys: pytest.CaptureFixture[str]) -> None:
    bare = "login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
    flag = "--" + option.replace("_", "-")
    with pytest.raises(ConfigError, match=f"^{flag} {bare} needs https://"):
        load_options(_args(**{option: bare}), {})
    code = main(["doctor", "--authorization-uri", f"{ENTRA}/authorize", "--token-url",
                 f"{ENTRA}/token", "--client-id", "app", flag, bare])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"doctor: {flag} {bare} needs https://"), err


@pytest.mark.parametrize("bad", ["/auth/callback", "localhost:8500/auth/callback",
                                 "myapp://callback", "", " "])
def test_a_redirect_uri_given_that_is_not_absolute_http_is_a_bad_option(
        bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Refused before any check runs, as the provider URLs are, not one FAIL row that skips
    every other check."""
    with pytest.raises(ConfigError, match=f"^--redirect-uri {re.escape(repr(bad))} needs "
                       "http:// or https://"):
        load_options(_args(redirect_uri=bad), {})
    code = main(["doctor", "--authorization-uri", f"{ENTRA}/authorize", "--token-url",
                 f"{ENTRA}/token", "--client-id", "app", "--redirect-uri", bad])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == "", captured
    assert captured.err == (f"doctor: --redirect-uri {bad!r} needs http:// or https:// (the "
                            "full URI the app registers: https://host/path)\n")
    with pytest.raises(ConfigError, match="^SSO_DOCTOR_REDIRECT_URI '/auth/callback' needs"):
        load_options(_args(), {"SSO_DOCTOR_REDIRECT_URI": "/auth/callback"})
    assert load_options(_args(redirect_uri=REDIRECT), {}).redirect_uri == REDIRECT


def test_a_relative_redirect_uri_from_a_config_file_is_the_https_checks_finding(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "doctor.toml"
    config.write_text('redirect_uri = "/auth/callback"\n')
    assert load_options(_args(config=config), {}).redirect_uri == "/auth/callback"
    code = main(["doctor", "--authorization-uri", f"{ENTRA}/authorize", "--token-url",
                 f"{ENTRA}/token", "--client-id", "app", "--config", str(config), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1, result
    assert "the redirect URI '/auth/callback' is not an absolute http(s) URL" in json.dumps(result)


@pytest.mark.parametrize(("env", "in_file", "wanted"), [
    ({}, None, False), ({"SSO_DOCTOR_JSON": "yes"}, None, True),
    ({"SSO_DOCTOR_JSON": "False"}, True, False), ({"SSO_DOCTOR_JSON": ""}, True, True),
    ({}, "on", True), ({}, False, False),
])
def test_json_is_an_option_like_the_others(tmp_path: Path, env: dict[str, str],
                                           in_file: object, wanted: bool) -> None:
    config = tmp_path / "doctor.json"
    config.write_text(json.dumps({} if in_file is None else {"json": in_file}), encoding="utf-8")
    assert load_options(_args(config=config), env).json is wanted


def test_json_takes_yes_or_no_words_only(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="^SSO_DOCTOR_JSON must be true or false"):
        load_options(_args(), {"SSO_DOCTOR_JSON": "please"})
    config = tmp_path / "doctor.toml"
    config.write_text('json = "please"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^json in {config} must be true or false"):
        load_options(_args(config=config), {})


# -- where the secret comes from: the command line, then the environment, then the file --------

@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.secret"
    path.write_text("from-the-command-line\n", encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "doctor.toml"
    path.write_text('[doctor]\nclient_secret_env = "WRONGSEC"\n', encoding="utf-8")
    return path


def test_the_command_line_wins_whichever_way_the_others_give_the_secret(
        good: Path, config: Path) -> None:
    wrong = {"WRONGSEC": "from-a-variable-the-file-or-environment-names"}
    from_file = _args(client_secret_file=str(good), config=config)
    assert load_options(from_file, wrong).client_secret == Secret("from-the-command-line")
    env = {**wrong, "SSO_DOCTOR_CLIENT_SECRET_ENV": "WRONGSEC"}
    assert load_options(from_file, env).client_secret == Secret("from-the-command-line")
    assert load_options(_args(client_secret_env="RIGHT"), {**env, "RIGHT": "right"}) \
        .client_secret == Secret("right")
    env = {"SSO_DOCTOR_CLIENT_SECRET": "from-the-environment"}
    assert load_options(_args(client_secret="given"), env).client_secret == Secret("given")


def test_the_environment_wins_over_the_config_file(good: Path, config: Path) -> None:
    env = {"WRONGSEC": "from-a-variable-the-file-names", "SSO_DOCTOR_CLIENT_SECRET_FILE": str(good)}
    assert load_options(_args(config=config), env).client_secret == \
        Secret("from-the-command-line")
    assert load_options(_args(config=config), {"WRONGSEC": "from-the-file"}).client_secret == \
        Secret("from-the-file")


@pytest.mark.parametrize(("option", "named"), [
    ("client_secret", "--client-secret is empty: give the client secret"),
    ("client_secret_env", "--client-secret-env is empty: name the environment variable"),
    ("client_secret_file", "--client-secret-file is empty: name the file"),
])
def test_an_empty_option_is_an_error_not_no_secret(option: str, named: str) -> None:
    """``--client-secret "$UNSET"`` in CI: not a green run that never tried the secret, nor
    the secret of the environment's variable."""
    for env in ({}, {"SSO_DOCTOR_CLIENT_SECRET": "from-the-environment"}):
        with pytest.raises(ConfigError, match=f"^{named}"):
            load_options(_args(**{option: ""}), env)


def test_an_empty_variable_or_key_of_the_other_sources_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="^SSO_DOCTOR_CLIENT_SECRET is empty"):
        load_options(_args(), {"SSO_DOCTOR_CLIENT_SECRET": ""})
    with pytest.raises(ConfigError, match="^SSO_DOCTOR_CLIENT_SECRET_ENV is empty"):
        load_options(_args(), {"SSO_DOCTOR_CLIENT_SECRET_ENV": ""})
    empty = tmp_path / "empty.toml"
    empty.write_text('client_secret_file = ""\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^client_secret_file in {empty} is empty"):
        load_options(_args(config=empty), {})


def test_two_ways_from_one_source_are_an_error(good: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="^SSO_DOCTOR_CLIENT_SECRET and "
                       "SSO_DOCTOR_CLIENT_SECRET_FILE both give the client secret: give one"):
        load_options(_args(), {"SSO_DOCTOR_CLIENT_SECRET": "a",
                               "SSO_DOCTOR_CLIENT_SECRET_FILE": str(good)})
    both = tmp_path / "both.toml"
    both.write_text(f'client_secret_env = "S"\nclient_secret_file = "{good}"\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="both give the client secret"):
        load_options(_args(config=both), {"S": "s"})


def test_the_command_exits_2_on_one_line_for_an_empty_secret(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSO_DOCTOR_CLIENT_SECRET", raising=False)
    code = main(["doctor", "--authorization-uri", f"{ENTRA}/authorize", "--token-url",
                 f"{ENTRA}/token", "--client-id", "app", "--client-secret", ""])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith("doctor: --client-secret is empty")
    assert len(captured.err.splitlines()) == 1, captured.err


def test_an_http_url_whose_server_hangs_up_suggests_https() -> None:
    """A plain request an HTTPS server closes without an answer: use https, not "check the host
    name and port"; an https URL that does the same keeps the usual advice."""
    hung_up = Failure(kind="protocol", message="Server disconnected without sending a response.")
    plain = checks.check_jwks(document(), exchange(
        None, url="http://127.0.0.1:8443/contoso/discovery/v2.0/keys", failure=hung_up))
    assert plain.status == "FAIL" and "use https://" in (plain.fix or ""), plain
    tls = checks.check_jwks(document(), exchange(
        None, url=f"{LOGIN}/{TENANT}/discovery/v2.0/keys", failure=hung_up))
    assert "use https://" not in (tls.fix or ""), tls
