"""Input that enters the relying party is checked where it enters (``relying_party.inputs``):
every refusal is a 4xx in the route's own shape naming the field, nothing is half-stored, and a
value that slipped in earlier (a database from before these checks) never turns into a 500."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from fake_op import CLIENT_ID, TOKEN, event, installed_links, sign_event
from rp_support import (
    ANY_VERSION,
    INSTALLATION,
    OP_CONNECTION,
    VALID_CONNECTION,
    RpHarness,
    post_event,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from relying_party.db import Connection

BAD_URLS = {
    "control character": "http://localhost/a\u0000b",
    "two ports": "http://localhost:80:80/a",
    "port out of range": "http://localhost:99999/a",
    "unclosed IPv6 bracket": "http://[::1/a",
    "space": "https://login.example.test/a b",
    "IDNA the HTTP client refuses": "https://xn--.example/authorize",
    "user and password": "https://user:pw@login.example.test/authorize",
}
URL_FIELDS = ("authorization_uri", "token_url", "discovery_url")


def _api(rp: RpHarness) -> list[dict[str, object]]:
    found: list[dict[str, object]] = rp.client.get("/api/admin/connections").json()
    return found


@pytest.mark.parametrize("field", URL_FIELDS)
@pytest.mark.parametrize("case", sorted(BAD_URLS))
def test_api_refuses_unusable_urls_naming_the_field(rp: RpHarness, case: str, field: str) -> None:
    response = rp.client.post(
        "/api/admin/connections", json={**VALID_CONNECTION, field: BAD_URLS[case]}
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    assert set(body["fields"]) == {field}
    assert _api(rp) == []


@pytest.mark.parametrize("case", sorted(BAD_URLS))
def test_api_edit_with_an_unusable_url_changes_nothing(rp: RpHarness, case: str) -> None:
    cid = rp.add_connection()
    before = rp.client.get(f"/api/admin/connections/{cid}").json()
    response = rp.client.patch(
        f"/api/admin/connections/{cid}",
        json={"token_url": BAD_URLS[case], "name": "Renamed"}, headers=ANY_VERSION)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"token_url"}
    assert rp.client.get(f"/api/admin/connections/{cid}").json() == before


@pytest.mark.parametrize("case", ["control character", "two ports", "port out of range",
                                  "unclosed IPv6 bracket"])
def test_admin_form_refuses_unusable_urls_naming_the_field(rp: RpHarness, case: str) -> None:
    rp.admin_sign_in()
    response = rp.client.post(
        "/admin/connections",
        data={**VALID_CONNECTION, "authorization_uri": BAD_URLS[case], "csrf_token": rp.csrf()},
    )
    assert response.status_code == 400
    assert 'id="new-authorization_uri-error"' in response.text
    assert _api(rp) == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"[" * 60_000, 400, "body"),
        (json.dumps({**VALID_CONNECTION, "name": [[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]}), 400,
         "name"),
        (json.dumps({**VALID_CONNECTION, "client_id": "\ud800"}), 400, "client_id"),
        (json.dumps({**VALID_CONNECTION, "\udfff": "x"}), 400, "body"),
        (json.dumps({**VALID_CONNECTION, "name": "x" * 70_000}), 413, "body"),
        (json.dumps({**VALID_CONNECTION, "name": "x" * 2_000_000}), 413, "body"),
        ('{"client_id": ' + "9" * 5001 + "}", 400, "body"),
        ('{"client_id": NaN}', 400, "body"),
        (b"\xff\xfe{}", 400, "body"),
        (json.dumps(VALID_CONNECTION)[:-1] + ', "client_id": "other"}', 400, "client_id"),
    ],
    ids=["deep", "nested member", "lone surrogate", "surrogate key", "too large",
         "past the app's body limit", "huge integer", "NaN", "not UTF-8", "repeated member"],
)
def test_api_refuses_malformed_json_in_its_error_shape(
    rp: RpHarness, body: str | bytes, status: int, field: str
) -> None:
    response = rp.client.post(
        "/api/admin/connections", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert response.json()["error"] == "invalid_request"
    assert set(response.json()["fields"]) == {field}
    assert _api(rp) == []


@pytest.mark.parametrize("number", ["1" + "0" * 5000, "-" + "9" * 21])
def test_a_huge_number_is_refused_as_too_large_not_as_invalid_json(
    rp: RpHarness, number: str
) -> None:
    response = rp.client.post("/api/admin/connections", content='{"name": ' + number + "}",
                              headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    message = response.json()["fields"]["body"]
    assert "more than 20 digits" in message and "valid JSON" in message
    assert "not valid JSON" not in message


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", None, "application/json; charset=utf-16",
    "application/jsonp", "text/json",
])
def test_api_refuses_a_body_not_sent_as_json_naming_content_type(
        rp: RpHarness, content_type: str | None) -> None:
    cid = rp.add_connection()
    headers = {} if content_type is None else {"Content-Type": content_type}
    body = json.dumps({**VALID_CONNECTION, "name": "Fabrikam"})
    for method, path in (("POST", "/api/admin/connections"),
                         ("PATCH", f"/api/admin/connections/{cid}")):
        response = rp.client.request(method, path, content=body, headers=headers)
        assert response.status_code == 415, response.text
        assert response.json()["error"] == "invalid_request"
        assert set(response.json()["fields"]) == {"content-type"}
    assert [c["name"] for c in _api(rp)] == [OP_CONNECTION["name"]]


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=UTF-8", 'application/json;charset="utf-8"',
    "application/merge-patch+json",
])
def test_api_takes_json_by_its_media_types(rp: RpHarness, content_type: str) -> None:
    cid = rp.add_connection()
    response = rp.client.patch(f"/api/admin/connections/{cid}", content=json.dumps(
        {"name": "Fabrikam"}), headers={"Content-Type": content_type, **ANY_VERSION})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Fabrikam"


def test_api_takes_an_empty_body_without_a_content_type(rp: RpHarness) -> None:
    cid = rp.add_connection()
    response = rp.client.post(f"/api/admin/connections/{cid}/disable",
                              headers=ANY_VERSION)
    assert response.status_code == 200, response.text
    assert "content-type" not in response.request.headers


def test_a_connection_name_with_nothing_visible_is_refused(rp: RpHarness) -> None:
    response = rp.client.post("/api/admin/connections",
                              json={**VALID_CONNECTION, "name": "\u200b\u200b"})
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"name"}
    assert _api(rp) == []


def test_control_characters_in_text_fields_are_refused(rp: RpHarness) -> None:
    response = rp.client.post(
        "/api/admin/connections",
        json={**VALID_CONNECTION, "support_contact": "help\u0007desk", "name": "a\u2028b"},
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"support_contact", "name"}


def test_a_huge_form_body_is_refused_before_it_is_read(rp: RpHarness) -> None:
    rp.admin_sign_in()
    response = rp.client.post(
        "/admin/connections", content=b"name=" + b"x" * (2 * 1024 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert "<h1>Error 413</h1>" in response.text or "413" in response.text



def _multipart(fields: dict[str, str], charset: str) -> tuple[bytes, str]:
    """``fields`` as a multipart body whose type names ``charset``: a name or value written
    ``\\ud800`` (``+2AA-`` in UTF-7) is a lone surrogate once decoded in it."""
    parts = b"".join(b'--xyz\r\nContent-Disposition: form-data; name="' + name.encode()
                     + b'"\r\n\r\n' + value.encode() + b"\r\n" for name, value in fields.items())
    return parts + b"--xyz--\r\n", f"multipart/form-data; boundary=xyz; charset={charset}"


LONE = {"unicode_escape": "\\ud800", "utf-7": "+2AA-"}
"""A lone surrogate as each charset spells it."""


@pytest.mark.parametrize("charset", sorted(LONE))
@pytest.mark.parametrize("path, field", [
    ("/admin/sign-in", "admin_token"), ("/admin/sign-out", "csrf_token"),
    ("/logout", "csrf_token"), ("/auth/backchannel-logout", "logout_token"),
])
def test_a_form_field_decoding_to_a_lone_surrogate_is_refused_naming_it(
        rp: RpHarness, path: str, field: str, charset: str) -> None:
    fields = {"csrf_token": rp.csrf(), field: LONE[charset]}
    body, content_type = _multipart(fields, charset)
    response = rp.client.post(path, content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    if path == "/auth/backchannel-logout":
        assert set(response.json()["fields"]) == {field}
    else:
        assert f"Refused: {field}: contains invalid Unicode" in response.text


def test_a_form_field_name_decoding_to_a_lone_surrogate_is_refused_naming_the_body(
        rp: RpHarness) -> None:
    body, content_type = _multipart({LONE["unicode_escape"]: "x"}, "unicode_escape")
    response = rp.client.post("/auth/backchannel-logout", content=body,
                              headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"body"}


def test_an_admin_form_with_a_lone_surrogate_stores_nothing(rp: RpHarness) -> None:
    rp.admin_sign_in()
    fields = {**rp.form_fields("/admin", "/admin/connections"),
              **{k: str(v) for k, v in OP_CONNECTION.items()}, "name": LONE["unicode_escape"]}
    body, content_type = _multipart(fields, "unicode_escape")
    response = rp.client.post("/admin/connections", content=body,
                              headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert "Refused: name: contains invalid Unicode" in response.text
    assert _api(rp) == []



def test_a_groups_lookup_refused_in_utf_7_ends_on_the_failure_page(rp: RpHarness) -> None:
    """The provider's answer to the groups overage lookup names UTF-7, in which its body spells
    a lone surrogate: the sign-in fails on the failure page, its error kept in the log."""
    async def graph(request: Request) -> Response:
        return Response(b"denied +2AA- here", status_code=403,
                        headers={"Content-Type": "text/plain; charset=utf-7"})

    rp.op.app.router.routes.append(Route("/graph/getMemberObjects", graph, methods=["POST"]))
    rp.op.faults.claims = {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {
        "endpoint": "https://login.op.test/graph/getMemberObjects"}}}
    rp.add_connection()
    record = rp.assert_failure_page(rp.sign_in(), status=502, code="groups_unavailable")
    assert "answered HTTP 403: denied " in str(record["detail"])


@pytest.mark.parametrize("path", ["/auth/backchannel-logout", "/api/admin/connections",
                                  "/events"])
def test_a_content_length_in_other_digits_is_no_length(rp: RpHarness, path: str) -> None:
    """``²`` (one byte in Latin-1, as headers are read) is a digit to ``str.isdigit`` but not to
    ``int``; the body is read as it comes and the route answers in its own shape."""
    response = rp.client.post(path, content=b"{}", headers={
        "Content-Length": b"\xb2", "Content-Type": "application/json"})  # type: ignore[dict-item]
    assert 400 <= response.status_code < 500, response.text

# -- values stored before these checks --------------------------------------------------------


def _store_unusable(rp: RpHarness, url: str) -> str:
    """A connection written straight into the database, as one saved before URLs were checked."""
    rp_state = rp.client.app.state.rp  # type: ignore[attr-defined]
    good = rp_state.db.connections.get(rp.add_connection(name="Template"))
    assert good is not None
    bad: Connection = replace(good, id="unusable0000", name="Unusable", authorization_uri=url,
                              token_url=url)
    rp_state.db.connections.insert(bad)
    rp_state.db.connections.update(replace(good, enabled=False))
    return bad.id


@pytest.mark.parametrize("case", ["control character", "two ports", "port out of range",
                                  "unclosed IPv6 bracket"])
def test_a_stored_unusable_url_gives_a_failure_page_not_a_500(rp: RpHarness, case: str) -> None:
    cid = _store_unusable(rp, BAD_URLS[case])
    response = rp.client.get(f"/sso/{cid}/widget")
    assert response.status_code in (502, 503), response.text
    assert "Sign-in failed" in response.text
    assert rp.client.get("/api/admin/connections").status_code == 200
    rp.admin_sign_in()
    assert rp.client.get("/admin").status_code == 200


@pytest.mark.parametrize("case", ["control character", "two ports", "port out of range",
                                  "unclosed IPv6 bracket"])
def test_a_stored_unusable_connection_does_not_break_backchannel_logout(
    rp: RpHarness, case: str
) -> None:
    """It shares the client id with a working connection: logouts for that client id still
    work (a user stays signed in after revokeSignInSessions otherwise)."""
    _store_unusable(rp, BAD_URLS[case])
    rp.client.post(f"/api/admin/connections/{rp.add_connection()}/enable",
                   headers=ANY_VERSION)
    rp.sign_in(f"/sso/{_api(rp)[-1]['id']}/widget")
    assert rp.me().status_code == 200
    response = rp.client.post("/auth/backchannel-logout",
                              data={"logout_token": rp.op.logout_token()})
    assert response.status_code == 200, response.text
    assert rp.me().status_code == 401


# -- tokens and events ---------------------------------------------------------------------------


@pytest.mark.parametrize("aud", [True, 5, 1.5, None, {"x": 1}, [CLIENT_ID, 7]])
def test_logout_token_with_an_aud_of_the_wrong_type_is_400(rp: RpHarness, aud: object) -> None:
    rp.add_connection()
    token = rp.op.logout_token(aud=aud) if aud is not None else rp.op.logout_token(aud=None)
    response = rp.client.post("/auth/backchannel-logout", data={"logout_token": token})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("claim", ["sid", "sub", "jti", "iss"])
def test_logout_token_with_invalid_unicode_is_400(rp: RpHarness, claim: str) -> None:
    rp.add_connection()
    rp.sign_in()
    token = rp.op.logout_token(**{claim: "\ud800"})
    response = rp.client.post("/auth/backchannel-logout", data={"logout_token": token})
    assert response.status_code == 400, response.text
    assert rp.me().status_code == 200


def test_id_token_with_invalid_unicode_ends_on_the_failure_page(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.claims.update(name="\udfff", email="a\ud800@contoso.test")
    rp.assert_failure_page(rp.sign_in(), status=502, code="id_token_malformed")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda e: {**e, "id": "\ud800"},
        lambda e: {**e, "data": {**e["data"], "installation_id": "\udfff"}},
        lambda e: {**e, "data": json.loads("[" * 40 + "]" * 40)},
        lambda e: {**e, "_links": {"authorization": {"href": "http://[::1/a"}}},
        lambda e: {**e, "type": ["app.installed"]},
    ],
    ids=["surrogate id", "surrogate data", "deep data", "unusable link", "type not a string"],
)
def test_signed_but_malformed_events_are_400_and_leave_nothing(rp: RpHarness, mangle) -> None:  # type: ignore[no-untyped-def]
    envelope = json.loads(event("app.installed", {
        "installation_id": INSTALLATION, "account_id": "acct", "client_id": CLIENT_ID,
        "client_secret": OP_CONNECTION["client_secret"]}, created_at=rp.clock.now(),
        links=installed_links()))
    body = json.dumps(mangle(envelope)).encode()
    response = post_event(rp, body, sign_event(body))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "event_malformed"
    assert rp.client.get("/api/admin/installations").json() == []
    again = post_event(rp, json.dumps(envelope).encode())  # the good one is not a "duplicate"
    assert again.json()["status"] == "processed"


def test_token_url_from_the_database_that_httpx_refuses_is_a_502_page(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp_state = rp.client.app.state.rp  # type: ignore[attr-defined]
    stored = rp_state.db.connections.get(cid)
    rp_state.db.connections.update(replace(stored, token_url=TOKEN.replace("https://",
                                                                            "https://xn--.")))
    rp.assert_failure_page(rp.sign_in(), status=502, code="idp_unreachable")
