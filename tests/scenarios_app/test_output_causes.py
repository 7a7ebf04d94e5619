"""The known causes ``app check`` names under an app's output, from what MSAL Python and
``requests`` print when an app built on them meets the mock."""

from __future__ import annotations

from pathlib import Path

from sample_apps import SECTIONS

from scenarios.app import parse_profile
from scenarios.app.output_causes import known_cause
from scenarios.refusals import with_sign_in_cause

INSTANCE_DISCOVERY = (
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='login.microsoftonline.com', "
    "port=443): Max retries exceeded with url: /common/discovery/instance?authorization_endpoint="
    "https%3A%2F%2Flocalhost%2Ft%2Foauth2%2Fv2.0%2Fauthorize&api-version=1.0 (Caused by "
    "NameResolutionError(...))")
UNTRUSTED = (
    'File "site-packages/requests/adapters.py", line 727, in send\n'
    "    raise SSLError(e, request=request)\n"
    "requests.exceptions.SSLError: HTTPSConnectionPool(host='localhost', port=39647): Max "
    "retries exceeded with url: /t/v2.0/.well-known/openid-configuration (Caused by SSLError("
    "SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
    "unable to get local issuer certificate (_ssl.c:1006)')))")
CI_IMAGE = {"REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"}


def _cause(output: str, *, https: bool = True, app_env: dict[str, str] | None = None,
           environ: dict[str, str] | None = None) -> str | None:
    return known_cause(output, https=https, app_env=app_env or {}, environ=environ or {})


def test_msal_s_refusal_of_an_http_authority_asks_for_an_https_provider() -> None:
    output = ("ValueError: Your given address (http://localhost:33389/t) should consist of an "
              "https url with hostname and a minimum of one segment in a path")
    assert _cause(output, https=False) == (
        "hint: MSAL takes only https authorities: set [provider] https = true, and hand the "
        "app {ca_file} (the mock's CA) in [app.env]")
    assert _cause(output, https=True) is None  # not the profile's to fix then


def test_msal_s_instance_discovery_at_microsoft_is_named() -> None:
    assert _cause(INSTANCE_DISCOVERY) == (
        "hint: MSAL asked login.microsoftonline.com for instance discovery of the mock's "
        "authority, which is not Microsoft's: build the app's MSAL client with "
        "instance_discovery=False and validate_authority=False")


def test_a_ca_bundle_variable_of_the_environment_overriding_verify_is_named() -> None:
    """The app hands its requests session the mock's CA, and REQUESTS_CA_BUNDLE (set by the
    CI image) wins over it."""
    assert _cause(UNTRUSTED, app_env={"OIDC_CA_FILE": "{ca_file}"}, environ=CI_IMAGE) == (
        "hint: the app does not trust the mock's certificate: this environment sets "
        "REQUESTS_CA_BUNDLE, which the requests library uses instead of a session's verify=, "
        "so set REQUESTS_CA_BUNDLE = \"{ca_file}\" in [app.env]")


def test_a_ca_bundle_variable_the_profile_sets_to_the_ca_is_not_blamed() -> None:
    app_env = {"OIDC_CA_FILE": "{ca_file}", "REQUESTS_CA_BUNDLE": "{ca_file}"}
    assert _cause(UNTRUSTED, app_env=app_env, environ=CI_IMAGE) == (
        "hint: the app does not trust the mock's certificate, though [app.env] hands it "
        "{ca_file}: check that its HTTP client is given that file (Node reads "
        "NODE_EXTRA_CA_CERTS only as it starts, Go SSL_CERT_FILE at its first TLS connection)")


def test_a_curl_ca_bundle_requests_does_not_read_is_not_blamed() -> None:
    """requests reads ``REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE``: with the first set to the CA
    by the profile, the environment's CURL_CA_BUNDLE is never read, so it is not the cause."""
    app_env = {"REQUESTS_CA_BUNDLE": "{ca_file}"}
    environ = {"CURL_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"}
    assert "CURL_CA_BUNDLE" not in (_cause(UNTRUSTED, app_env=app_env, environ=environ) or "")
    both = {**environ, **CI_IMAGE}
    assert "sets CURL_CA_BUNDLE" in (_cause(UNTRUSTED, app_env={"REQUESTS_CA_BUNDLE": ""},
                                           environ=both) or "")


def test_an_app_given_no_ca_is_told_to_take_it() -> None:
    assert _cause(UNTRUSTED) == (
        "hint: the app does not trust the mock's certificate: hand it {ca_file} (the mock's CA) "
        "in [app.env] and have its HTTP client trust that file (httpx and Python's ssl read "
        "SSL_CERT_FILE, requests REQUESTS_CA_BUNDLE, Node NODE_EXTRA_CA_CERTS, Go's net/http "
        "SSL_CERT_FILE on Linux)")


GO_UNTRUSTED = (
    '2026/12/07 23:44:29 Get "https://localhost:36265/t/v2.0/.well-known/openid-configuration":'
    " x509: certificate signed by unknown authority")


def test_a_go_app_that_does_not_trust_the_ca_is_told_to_take_it() -> None:
    """go-oidc's ``NewProvider`` (Go's net/http) refuses the mock's certificate in Go's words,
    which a Go app prints as it stops: the hint names SSL_CERT_FILE, which Go reads on Linux;
    from Go 1.20 the words come after ``tls: failed to verify certificate:``."""
    for output in (GO_UNTRUSTED, GO_UNTRUSTED.replace("x509:", "tls: failed to verify "
                                                      "certificate: x509:")):
        assert "Go's net/http SSL_CERT_FILE" in (_cause(output) or ""), output
    assert "though [app.env] hands it {ca_file}" in (
        _cause(GO_UNTRUSTED, app_env={"SSL_CERT_FILE": "{ca_file}"}) or "")


def test_other_output_has_no_hint() -> None:
    assert _cause("fatal: cannot serve /login\nKeyError: 'OIDC_AUTHORITY'") is None


def test_a_go_app_stopped_by_the_template_issuer_of_organizations_is_told_why() -> None:
    """go-oidc's NewProvider compares the discovery document's issuer with the URL it was
    given, and /organizations names Entra's {tenantid} template there (as Entra does): the app
    stops as it starts, and the hint names the tenant's issuer, or skipping that comparison."""
    output = ('2026/12/07 23:44:18 oidc: issuer did not match the issuer returned by provider, '
              'expected "https://localhost:35829/organizations/v2.0" got '
              '"https://localhost:35829/{tenantid}/v2.0"')
    hint = _cause(output) or ""
    assert hint.startswith("hint: the app compares the discovery document's issuer"), hint
    assert "({authority}/v2.0)" in hint and "oidc.InsecureIssuerURLContext" in hint, hint
    assert "sts.windows.net" not in hint, hint


def test_a_logged_discovery_document_is_not_taken_for_the_issuer_refusal() -> None:
    """An app that logs the /common discovery document (MSAL Python does at DEBUG), whose
    issuer is the {tenantid} template, and then stops for another cause, is not told that it
    compares that issuer."""
    output = ("DEBUG:msal.authority:openid_config(\"https://localhost:35829/common/v2.0/"
              ".well-known/openid-configuration\") = {'token_endpoint': 'https://localhost:35829"
              "/common/oauth2/v2.0/token', 'issuer': 'https://localhost:35829/{tenantid}/v2.0'}\n"
              "Traceback (most recent call last):\nKeyError: 'OIDC_CLIENT_SECRET'")
    assert _cause(output) is None


def test_a_go_app_stopped_by_the_v1_template_issuer_is_told_the_v1_issuer() -> None:
    """The v1 /organizations document names https://sts.windows.net/{tenantid}/, and the
    tenant's own v1 document https://sts.windows.net/<tid>/: the hint says so and names the
    v2.0 issuer only as the way off the v1 endpoints, not as the v1 app's tenant issuer."""
    output = ('2026/12/07 23:44:18 oidc: issuer did not match the issuer returned by provider, '
              'expected "https://localhost:35829/organizations/" got '
              '"https://sts.windows.net/{tenantid}/"')
    hint = _cause(output) or ""
    assert hint.startswith("hint: the app compares the discovery document's issuer"), hint
    assert "https://sts.windows.net/<tenant id>/" in hint, hint
    assert "{authority}/.well-known/openid-configuration" in hint, hint
    assert "takes its tenant's issuer ({authority}/v2.0)" not in hint, hint


DJANGO_LOGGED = ("Invalid HTTP_HOST header: '127.0.0.1:8123'. You may need to add '127.0.0.1' "
                 "to ALLOWED_HOSTS.")
ALLOW_IT = ("hint: the app's Django ALLOWED_HOSTS leaves out 127.0.0.1, the host the harness "
            "reaches it by, so it answers every URL with HTTP 400: add '127.0.0.1' to "
            f"ALLOWED_HOSTS (Django says: {DJANGO_LOGGED})")


def test_django_s_refusal_of_the_host_names_the_host_to_allow() -> None:
    """Django logs its refusal of a Host header ALLOWED_HOSTS leaves out, and shows it
    (HTML-escaped) on its debug page: either names the host to add."""
    assert _cause(f"{DJANGO_LOGGED}\nTraceback (most recent call last):\n  ...") == ALLOW_IT
    debug_page = ("<title>DisallowedHost at /login</title><pre class=\"exception_value\">"
                  + DJANGO_LOGGED.replace("'", "&#x27;") + "</pre>")
    assert _cause(debug_page) == ALLOW_IT
    assert _cause("<title>Bad Request (400)</title>") is None  # any 400 of Django's (a bad state)


def test_a_run_s_sign_in_failure_names_the_host_to_allow(tmp_path: Path) -> None:
    """A run's scenario that meets the app's 400 instead of the provider's page says why,
    from the app's output, as app check does."""
    profile = parse_profile(f'[app]\ncommand = "true"\n{SECTIONS}', path=tmp_path / "app.toml")
    said = with_sign_in_cause(
        "the provider's sign-in page did not appear: the browser shows HTTP 400 at "
        "http://127.0.0.1:8123/login ('Bad Request (400)') instead", [],
        f"{DJANGO_LOGGED}\n[08/Dec/2026 00:55:00] \"GET /login HTTP/1.1\" 400 143", profile)
    assert said.splitlines()[-1] == ALLOW_IT, said
