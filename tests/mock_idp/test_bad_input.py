"""Bad input gets a clear Entra-style 4xx, never a 500 or a traceback."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import BASE, CLIENT_ID, GRAPH_DEFAULT, REDIRECT, SECRET, TENANT, paths
from leaks import unclosed
from starlette.applications import Starlette

TOKEN = paths(TENANT, "2.0")["token"]
AUTHORIZE = paths(TENANT, "2.0")["authorize"]
FORM = {"content-type": "application/x-www-form-urlencoded"}
HUGE = "x" * 100_000
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def lenient(idp_app: Starlette) -> Iterator[AppClient]:
    """A client that reports a server error as a 500 response instead of raising it."""
    with AppClient(idp_app, follow_redirects=False, raise_server_exceptions=False) as c:
        yield c


def _clean(response: httpx.Response) -> httpx.Response:
    assert response.status_code < 500, response.text[:300]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return response


def _entra_json(response: httpx.Response, code: int | None = None) -> dict[str, Any]:
    _clean(response)
    assert 400 <= response.status_code < 500
    body: dict[str, Any] = response.json()
    assert list(body)[:7] == ["error", "error_description", "error_codes", "timestamp",
                              "trace_id", "correlation_id", "error_uri"]
    if code is not None:
        assert body["error_codes"] == [code], body
    return body


def _raw_jwt(header: dict[str, Any], payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(payload)}.c2lnbmF0dXJl"


# --- token endpoint ---------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b"a=%zz&&=&b&grant_type", b"%%%", b"=", b"&&&&", b"grant_type",
    b"grant_type=\xff\xfe&client_id=\xc3", b"grant_type=%ff%fe&client_id=%c3",
])
def test_malformed_or_non_utf8_form_bodies(lenient: AppClient, body: bytes) -> None:
    _entra_json(lenient.post(TOKEN, content=body, headers=FORM))


@pytest.mark.parametrize("body", [
    "&".join(f"f{i}=1" for i in range(1001)).encode(),  # more fields than Starlette's 1,000
    b"grant_type=" + b"x" * (1024 * 1024),  # one field above its 1 MiB
])
def test_a_form_beyond_the_parsers_limits_is_90056(lenient: AppClient, body: bytes) -> None:
    _entra_json(lenient.post(TOKEN, content=body, headers=FORM), 90056)


def test_a_form_decodes_as_starlettes_parser_did(lenient: AppClient) -> None:
    """Percent escapes as UTF-8, ``+`` as a space, raw bytes as Latin-1, and a field without
    ``=`` as an empty value; the unknown grant type is echoed back as it was read."""
    for body, echoed in [(b"grant_type=a+b%C3%A9&client_id=x", "a bé"),
                         (b"grant_type=\xe9&client_id=x", "é"),
                         (b"client_id=x&grant_type", None)]:
        answer = lenient.post(TOKEN, content=body, headers=FORM)
        if echoed is None:
            _entra_json(answer, 900144)  # present but empty: named as missing
        else:
            assert echoed in _entra_json(answer, 70003)["error_description"]


@pytest.mark.parametrize("headers, content", [
    ({"content-type": "application/json"}, b'{"grant_type": "client_credentials"}'),
    ({"content-type": "text/plain"}, b"grant_type=client_credentials"),
    ({}, b"grant_type=client_credentials"),
    ({"content-type": "multipart/form-data; boundary=xx"}, b"--xx\r\nbroken"),
    ({"content-type": "multipart/form-data"}, b"--xx\r\nbroken"),
    ({"content-type": "application/x-www-form-urlencoded; charset=utf-16"}, b"\xff\xfe"),
])
def test_wrong_content_types(lenient: AppClient, headers: dict[str, str],
                             content: bytes) -> None:
    body = _entra_json(lenient.post(TOKEN, content=content, headers=headers))
    assert body["error"] == "invalid_request"


def test_json_body_is_missing_grant_type(lenient: AppClient) -> None:
    body = _entra_json(lenient.post(TOKEN, json={"grant_type": "client_credentials"}), 900144)
    assert "'grant_type'" in body["error_description"]


def test_file_upload_instead_of_a_field(lenient: AppClient) -> None:
    with unclosed() as left:  # the file's spooled copy is closed, not left to the collector
        _entra_json(lenient.post(TOKEN, files={"grant_type": ("a.txt", b"client_credentials")}),
                    90056)
    assert left == []


@pytest.mark.parametrize("grant_type", ["urn:ietf:params:oauth:grant-type:saml2-bearer",
                                        "implicit", "urn:example:grant-type:x",
                                        "CLIENT_CREDENTIALS", "PASSWORD", "é"])
def test_unknown_grant_types(lenient: AppClient, grant_type: str) -> None:
    body = _entra_json(lenient.post(TOKEN, data={"grant_type": grant_type,
                                                 "client_id": CLIENT_ID}), 70003)
    assert body["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("field", ["grant_type", "client_id", "client_secret", "code",
                                   "redirect_uri", "code_verifier", "scope",
                                   "client_assertion"])
def test_huge_token_parameters(lenient: AppClient, field: str) -> None:
    data = {"grant_type": "authorization_code", "client_id": CLIENT_ID,
            "client_secret": SECRET, "code": "x", "redirect_uri": REDIRECT, field: HUGE}
    _entra_json(lenient.post(TOKEN, data=data))


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_wrong_methods_on_token(lenient: AppClient, method: str) -> None:
    body = _entra_json(lenient.request(method, TOKEN), 900561)
    assert body["error"] == "invalid_request"


@pytest.mark.parametrize("path, method, taken", [
    *((f"/{TENANT}/oauth2/v2.0/devicecode", m, "POST") for m in ("GET", "PUT", "OPTIONS")),
    ("/organizations/oauth2/devicecode", "DELETE", "POST"),
    (AUTHORIZE, "PUT", "GET, POST"), (f"/{TENANT}/oauth2/authorize", "PATCH", "GET, POST"),
    (f"/{TENANT}/oauth2/v2.0/logout", "DELETE", "GET, POST"),
    ("/common/oauth2/deviceauth", "POST", "GET"),
])
def test_wrong_methods_on_the_other_oauth_endpoints_are_900561(
        lenient: AppClient, path: str, method: str, taken: str) -> None:
    """As the token endpoint's: Entra's OAuth error body naming the methods taken, not the
    test-control API's error."""
    response = lenient.request(method, path)
    body = _entra_json(response, 900561)
    assert body["error"] == "invalid_request"
    assert body["error_description"].startswith(
        f"AADSTS900561: The endpoint only accepts {taken} requests. Received a {method} "
        "request.\r\n")
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("grant, field", [("authorization_code", "code"),
                                          ("refresh_token", "refresh_token")])
@pytest.mark.parametrize("value", ["garbage", "1.Agarbage", "eyJhbGciOiJub25lIn0.e30.",
                                   "\x00\x01", " "])
def test_garbage_codes_and_refresh_tokens(lenient: AppClient, grant: str, field: str,
                                          value: str) -> None:
    body = _entra_json(lenient.post(TOKEN, data={
        "grant_type": grant, "client_id": CLIENT_ID, "client_secret": SECRET,
        "redirect_uri": REDIRECT, field: value}))
    assert body["error"] in ("invalid_grant", "invalid_request")


@pytest.mark.parametrize("authorization", [
    "Basic !!!", "Basic ", "Basic " + base64.b64encode(b"no-colon").decode(),
    "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(), "Bearer x", "Basic a b c",
])
def test_garbage_basic_headers(lenient: AppClient, authorization: str) -> None:
    _entra_json(lenient.post(TOKEN, data={"grant_type": "client_credentials",
                                          "scope": GRAPH_DEFAULT},
                             headers={"Authorization": authorization}))


def test_non_ascii_basic_header(lenient: AppClient) -> None:
    _entra_json(lenient.post(TOKEN, data={"grant_type": "client_credentials"},
                             headers=[(b"Authorization", "Basic éé".encode())]))


@pytest.mark.parametrize("assertion", [
    "garbage", "a.b.c", "e30.e30.", _raw_jwt({"alg": ["x"], "x5t": {"a": 1}}, {}),
    _raw_jwt({"alg": "none"}, {"iss": CLIENT_ID}),
    _raw_jwt({"alg": "RS256", "x5t": "abc"}, {"iss": CLIENT_ID, "aud": 5, "exp": "soon"}),
])
def test_garbage_client_assertions(lenient: AppClient, assertion: str) -> None:
    _entra_json(lenient.post(TOKEN, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "scope": GRAPH_DEFAULT,
        "client_assertion": assertion, "client_assertion_type": ASSERTION_TYPE}))


@pytest.mark.parametrize("iss", [123, ["a"], {"a": 1}, None, True])
def test_assertion_issuer_of_the_wrong_type_without_client_id(lenient: AppClient,
                                                              iss: object) -> None:
    assertion = _raw_jwt({"alg": "RS256", "x5t": "abc"}, {"iss": iss})
    body = _entra_json(lenient.post(TOKEN, data={
        "grant_type": "client_credentials", "scope": GRAPH_DEFAULT,
        "client_assertion": assertion, "client_assertion_type": ASSERTION_TYPE}), 900144)
    assert "'client_id'" in body["error_description"]


@pytest.mark.parametrize("resource", ["::::", "/", "https://nope.example/"])
def test_garbage_resources_v1(lenient: AppClient, resource: str) -> None:
    _entra_json(lenient.post(paths(TENANT, "1.0")["token"], data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "resource": resource}))


@pytest.mark.parametrize("segment", ["%ff%fe", "a..b", "-", "x" * 400])
def test_garbage_tenant_segments(lenient: AppClient, segment: str) -> None:
    _entra_json(lenient.post(f"/{segment}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials"}), 900023)
    _entra_json(lenient.get(f"/{segment}/v2.0/.well-known/openid-configuration"), 900023)
    _entra_json(lenient.get(f"/{segment}/discovery/v2.0/keys"), 900023)


# --- authorize and the sign-in form -----------------------------------------------------------

def _auth(**overrides: str) -> dict[str, str]:
    return {"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT,
            "scope": "openid", **overrides}


def _page(response: httpx.Response, status: int = 400) -> None:
    _clean(response)
    assert response.status_code == status
    assert "AADSTS" in response.text


@pytest.mark.parametrize("field", ["client_id", "redirect_uri", "state", "nonce", "login_hint",
                                   "scope", "prompt", "response_type", "code_challenge",
                                   "domain_hint", "response_mode"])
def test_huge_authorize_parameters(lenient: AppClient, field: str) -> None:
    _page(lenient.post(AUTHORIZE, data=_auth(**{field: HUGE})))
    _page(lenient.get(AUTHORIZE, params=_auth(**{field: "y" * 60_000})))


@pytest.mark.parametrize("query", [
    "client_id=%ff%fe&redirect_uri=%c3&scope=%80", "client_id=a&client_id=b", "",
    "%%%", "client_id=" + CLIENT_ID + "&redirect_uri=http://[::1",
])
def test_garbage_authorize_queries(lenient: AppClient, query: str) -> None:
    _page(lenient.get(f"{AUTHORIZE}?{query}"))


@pytest.mark.parametrize("redirect_uri", [
    "http://[::1", "javascript:alert(1)", "", "http://localhost/auth/callback#frag",
    "//localhost/auth/callback", "http://localhost:abc/auth/callback",
])
def test_bad_redirect_uris_render_the_error_page(lenient: AppClient,
                                                 redirect_uri: str) -> None:
    response = lenient.get(AUTHORIZE, params=_auth(redirect_uri=redirect_uri))
    _clean(response)
    assert response.status_code in (200, 400)
    assert "location" not in response.headers


@pytest.mark.parametrize("overrides", [
    {"max_age": "-1"}, {"max_age": "9" * 50}, {"max_age": "abc"}, {"max_age": "²"},
    {"max_age": "١٢"},
    {"code_challenge": "abc", "code_challenge_method": "S512"},
    {"code_challenge_method": "S256"}, {"response_type": "code token"},
    {"response_type": "bogus"}, {"response_mode": "web_message"}, {"prompt": "bogus"},
])
def test_bad_optional_parameters_are_redirected_errors_or_ignored(
    lenient: AppClient, overrides: dict[str, str]
) -> None:
    response = _clean(lenient.get(AUTHORIZE, params=_auth(**overrides)))
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response.headers["location"].startswith("http://localhost")


@pytest.mark.parametrize("content, headers", [
    (b"%%%\xff", FORM), (b'{"client_id": "x"}', {"content-type": "application/json"}),
    (b"--b\r\n", {"content-type": "multipart/form-data; boundary=b"}),
])
def test_garbage_authorize_posts(lenient: AppClient, content: bytes,
                                 headers: dict[str, str]) -> None:
    _page(lenient.post(AUTHORIZE, content=content, headers=headers))


@pytest.mark.parametrize("path", [f"/{TENANT}/login", "/kmsi", f"/{TENANT}/Consent/Set",
                                  f"/{TENANT}/oauth2/v2.0/logout"])
@pytest.mark.parametrize("content, headers", [
    (b"", FORM), (b"ctx=nope&loginfmt=a&passwd=b&answer=Yes&account=x", FORM),
    (b"\xff\xfe%%", FORM), (b'{"ctx": "x"}', {"content-type": "application/json"}),
    (b"ctx=" + b"x" * 100_000, FORM),
])
def test_garbage_sign_in_posts(lenient: AppClient, path: str, content: bytes,
                               headers: dict[str, str]) -> None:
    response = _clean(lenient.post(path, content=content, headers=headers))
    if response.status_code != 200:  # a sign-out with nothing to sign out of is a page
        _page(response)


def test_huge_username_and_password(lenient: AppClient) -> None:
    from idp_testkit import ctx_of

    page = lenient.get(AUTHORIZE, params=_auth())
    response = lenient.post(f"/{TENANT}/login", data={"ctx": ctx_of(page.text),
                                                      "loginfmt": HUGE, "passwd": HUGE})
    _page(response, status=200)  # the username page again, with its message, as on Entra
    assert len(response.text) < 20_000
    page = lenient.get(AUTHORIZE, params=_auth())
    _page(lenient.post(f"/{TENANT}/login", data={"ctx": ctx_of(page.text), "loginfmt": HUGE}),
          status=200)


@pytest.mark.parametrize("content", [b"", b"otc=" + b"x" * 100_000, b"\xff\xfe%%",
                                     "otc=ÄÖ‮".encode(), b"otc=%00%01"])
def test_garbage_device_codes_typed(lenient: AppClient, content: bytes) -> None:
    response = _clean(lenient.post("/devicelogin", content=content, headers=FORM))
    assert response.status_code == 400 and "AADSTS70018" in response.text


@pytest.mark.parametrize("data, code", [
    ({}, 900144), ({"client_id": "nope"}, 700016), ({"client_id": CLIENT_ID}, 900144),
    ({"client_id": CLIENT_ID, "scope": "x" * 10_000}, 9002313),
])
def test_bad_device_authorization_requests(lenient: AppClient, data: dict[str, str],
                                           code: int) -> None:
    _entra_json(lenient.post(f"/{TENANT}/oauth2/v2.0/devicecode", data=data), code)


def test_device_authorization_wants_a_form(lenient: AppClient) -> None:
    _entra_json(lenient.post(f"/{TENANT}/oauth2/v2.0/devicecode", json={"client_id": "x"}),
                900144)


# --- userinfo and discovery -------------------------------------------------------------------

@pytest.mark.parametrize("authorization", [
    None, "Bearer garbage", "Bearer ", "Basic abc", "Bearer a.b.c",
    "Bearer " + _raw_jwt({"alg": "none"}, {"a": 1}),
    "Bearer " + _raw_jwt({"alg": "RS256", "kid": ["a"]}, {"a": 1}),
    "Bearer " + _raw_jwt({"alg": "RS256", "kid": "nope"}, {"a": 1}),
])
def test_garbage_userinfo_tokens(lenient: AppClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for path in ("/oidc/userinfo", f"/{TENANT}/openid/userinfo"):
        response = _clean(lenient.get(path, headers=headers))
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_garbage_userinfo_post(lenient: AppClient) -> None:
    response = _clean(lenient.post("/oidc/userinfo", content=b"\xff%%", headers=FORM))
    assert response.status_code == 401


def test_instance_discovery_without_an_endpoint(lenient: AppClient) -> None:
    response = _clean(lenient.get("/common/discovery/instance"))
    assert response.status_code == 200
    assert response.json()["tenant_discovery_endpoint"].startswith(BASE)


@pytest.mark.parametrize("endpoint", ["http://[::1", "http://[bad/x", "::::", "%ff"])
def test_instance_discovery_with_a_garbage_endpoint_is_50049(lenient: AppClient,
                                                             endpoint: str) -> None:
    body = _entra_json(lenient.get("/common/discovery/instance",
                                   params={"authorization_endpoint": endpoint}), 50049)
    assert body["error"] == "invalid_instance"


@pytest.mark.parametrize("overrides", [
    {"redirect_uri": "https://evil.example/<script>alert(1)</script>"},
    {"client_id": "<script>alert(1)</script>"},
    {"login_hint": '"><script>alert(1)</script>'},
])
def test_pages_escape_what_the_request_carried(lenient: AppClient,
                                               overrides: dict[str, str]) -> None:
    response = _clean(lenient.get(AUTHORIZE, params=_auth(**overrides)))
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)" in response.text


# --- JSON bodies of the control and Graph APIs -------------------------------------------------

ALICE = "alice@contoso.onmicrosoft.com"
BOB = "bob@contoso.onmicrosoft.com"
JSON = {"content-type": "application/json"}


def test_a_member_named_twice_is_refused_not_read_last_wins(lenient: AppClient) -> None:
    """JSON parsers disagree on which of two values wins (RFC 8259 §4): a body naming a member
    twice is refused, naming it, before anything is stored."""
    twice = b'{"user": "%s", "user": "%s"}' % (ALICE.encode(), BOB.encode())
    response = _clean(lenient.post("/_mock/sessions", content=twice, headers=JSON))
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "user"
    assert lenient.get("/_mock/sessions").json()["sessions"] == []
    app = f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')"
    before = lenient.get(app).json()["web"]
    nested = b'{"web": {"redirectUris": ["https://a.test/cb"], "redirectUris": []}}'
    refused = _clean(lenient.patch(app, content=nested, headers=JSON))
    assert refused.status_code == 400
    assert refused.json()["error"]["target"] == "web.redirectUris"
    assert lenient.get(app).json()["web"] == before


@pytest.mark.parametrize("query", [
    "/_mock/requests?limit=1&limit=2", "/_mock/activity?limit=1&limit=2",
    f"/_mock/installations?tenant={TENANT}&tenant=b", "/_mock/events?type=x&type=x",
    "/_mock/deliveries?event_id=a&event_id=b",
    "/_mock/notifications?kind=backchannel&kind=frontchannel",
    "/_mock/requests?path=/&limit=5&path=/x",
])
def test_a_control_query_parameter_given_twice_is_refused_naming_it(lenient: AppClient,
                                                                      query: str) -> None:
    """The handlers read one value: ``limit=1&limit=2`` is refused rather than read as one."""
    response = _clean(lenient.get(query))
    assert response.status_code == 400, response.text
    name = query.split("?")[1].split("=")[0]
    assert response.json()["error"]["field"] == name
    assert "more than once" in response.json()["error"]["message"]
    once = _clean(lenient.get(query.split("&")[0]))
    assert once.status_code == 200, once.text
