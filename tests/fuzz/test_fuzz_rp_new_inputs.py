"""Hypothesis over the reference relying party's newer inputs, in process, a few dozen examples
each: the admin users API (``GET /api/admin/users``, ``DELETE /api/admin/users/{id}``), the
admin page's Remove confirmation page and its form, JSON bodies holding odd numbers, and the
browser forms posted as multipart in any charset (``unicode_escape`` or ``utf-7`` spell lone
surrogates).

Each answer is below 500 with no traceback; each refusal is a 4xx in the route's shape naming
the field; a refused removal removes nobody. ``FUZZ_NEW_EXAMPLES`` sets how many examples each
test draws.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from asgi_client import AppClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relying_party import Settings, create_app

EXAMPLES = int(os.environ.get("FUZZ_NEW_EXAMPLES", "20"))
ADMIN_TOKEN = "fuzz-admin-token-0123456789"
BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

fuzz_settings = settings(max_examples=EXAMPLES, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck),
                         derandomize="FUZZ_NEW_EXAMPLES" not in os.environ)
"""The same examples on every run of the suite; set ``FUZZ_NEW_EXAMPLES`` to explore (then
``--hypothesis-seed`` chooses them)."""
segment_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=25) \
    | st.sampled_from(["0", "1", "2", "-1", "1.5", "١", "²", "9" * 19, "9" * 20,
                       "9223372036854775807", "9223372036854775808", "00000000000000000001",
                       "+1", " 1",
                       "1 ", "0x1", "1e3", "%00", "..", "1/remove"])


@pytest.fixture(scope="module")
def rp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppClient]:
    path: Path = tmp_path_factory.mktemp("rp") / "rp.db"
    app = create_app(Settings(db_path=str(path), public_url="http://testserver",
                              admin_token=ADMIN_TOKEN))
    with AppClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        # signed in to the admin page first: the wrong tokens below slow this address down
        client.get("/admin/sign-in")
        signed = client.post("/admin/sign-in", data={
            "csrf_token": client.cookies.get("rp_csrf") or "", "admin_token": ADMIN_TOKEN})
        assert signed.status_code == 303, signed.text
        yield client


@pytest.fixture(autouse=True)
def _forgiven(rp: AppClient) -> Iterator[None]:
    """Each test starts with its wrong admin tokens forgotten: another test's wrong tokens
    would have the API make every call wait (429), whatever order the tests run in."""
    yield
    rp.app.state.rp.admin_throttle.succeeded("testclient")  # type: ignore[attr-defined]


def _add_user(rp: AppClient, n: int) -> int:
    db = rp.app.state.rp.db  # type: ignore[attr-defined]
    user = db.users.create_with_identity(
        issuer="https://issuer.test/v2.0", subject=f"sub-{n}-{os.urandom(4).hex()}",
        email=None, name="Fuzz", source_kind="connection", source_id="c", at=NOW)
    return int(user.id)


def _ids(rp: AppClient) -> list[int]:
    response = rp.get("/api/admin/users", headers=BEARER)
    assert response.status_code == 200, response.text
    return [u["id"] for u in response.json()]


def _sound(response: Any, where: object) -> None:
    assert response.status_code < 500, (where, response.text[:400])
    assert "Traceback" not in response.text and 'File "' not in response.text, where


@fuzz_settings
@given(segment=segment_text, method=st.sampled_from(["DELETE", "GET", "POST", "PUT"]))
def test_removing_a_user_by_any_id_removes_it_or_refuses_naming_user_id(
        rp: AppClient, segment: str, method: str) -> None:
    _add_user(rp, 0)
    before = _ids(rp)
    response = rp.request(method, f"/api/admin/users/{quote(segment, safe='')}",
                          headers={**BEARER, "If-Match": "*"})
    _sound(response, segment)
    after = _ids(rp)
    if response.status_code == 204:
        assert method == "DELETE" and len(after) == len(before) - 1
        return
    assert after == before, segment
    if response.status_code == 400:
        body = response.json()
        assert body["error"] == "invalid_request" and "user_id" in body["error_description"], \
            body


@fuzz_settings
@given(query=st.dictionaries(segment_text, segment_text, max_size=3),
       token=st.sampled_from([ADMIN_TOKEN, "", "x", ADMIN_TOKEN + "x"]))
def test_the_user_list_answers_json_to_any_query(
        rp: AppClient, query: dict[str, str], token: str) -> None:
    response = rp.get("/api/admin/users", params=query,
                      headers={"Authorization": f"Bearer {token}"})
    _sound(response, query)
    assert response.headers["content-type"].startswith("application/json")


@fuzz_settings
@given(segment=segment_text | st.just("new"), csrf=st.sampled_from(["good", "", "bad"]),
       origin=st.none() | st.sampled_from(["http://testserver", "http://evil.test", "null"]),
       created_at=st.none() | st.just("as shown") | segment_text
       | st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
       email=st.none() | st.just("") | segment_text)
def test_the_remove_form_removes_a_user_or_answers_a_page_removing_nobody(
        rp: AppClient, segment: str, csrf: str, origin: str | None, created_at: str | None,
        email: str | None) -> None:
    new = _add_user(rp, 1)
    if segment == "new":
        segment = str(new)
    token = rp.cookies.get("rp_csrf") or ""
    before = _ids(rp)
    headers = {"Origin": origin} if origin else {}
    form = {"csrf_token": {"good": token, "bad": "x" * 43}.get(csrf, "")}
    if created_at is not None:
        form["created_at"] = NOW.isoformat() if created_at == "as shown" else created_at
    if email is not None:
        form["email"] = email
    response = rp.post(f"/admin/users/{quote(segment, safe='')}/remove", headers=headers,
                       data=form)
    _sound(response, segment)
    after = _ids(rp)
    if response.status_code == 303:
        assert len(after) == len(before) - 1, segment
        assert created_at == "as shown" and email == "", (created_at, email)
    else:
        assert 400 <= response.status_code < 500 and after == before, segment
        assert response.headers["content-type"].startswith("text/html"), response.headers


@fuzz_settings
@given(segment=segment_text | st.just("new"))
def test_the_remove_page_names_the_user_or_answers_a_404(rp: AppClient, segment: str) -> None:
    new = _add_user(rp, 2)
    if segment == "new":
        segment = str(new)
    response = rp.get(f"/admin/users/{quote(segment, safe='')}/remove")
    _sound(response, segment)
    assert response.status_code in (200, 404), segment
    assert response.headers["content-type"].startswith("text/html"), response.headers
    if response.status_code == 200:
        assert f'name="created_at" value="{NOW.isoformat()}"' in response.text


NUMBERS = st.one_of(st.integers(-(10**25), 10**25), st.floats(allow_nan=False),
                    st.sampled_from(["1e400", "-1e400", "1" * 21, "-" + "9" * 21, "1E+400",
                                     "0.1e-400", "9" * 20, "-0", "1" * 4300, "1.0" + "0" * 5000]))


@fuzz_settings
@given(field=st.sampled_from(["name", "client_id", "enabled", "secret_expires_on", "x"]),
       number=NUMBERS, nest=st.integers(0, 3))
def test_a_json_body_with_any_number_is_taken_or_refused_naming_a_field(
        rp: AppClient, field: str, number: Any, nest: int) -> None:
    text = number if isinstance(number, str) else json.dumps(number)
    value = "[" * nest + text + "]" * nest
    body = '{"id": "fuzz-num", "' + field + '": ' + value + "}"
    response = rp.post("/api/admin/connections", content=body,
                       headers={**BEARER, "Content-Type": "application/json"})
    _sound(response, body[:200])
    assert 400 <= response.status_code < 500, response.text[:300]
    error = response.json()
    assert error["error"] == "invalid_request", error
    assert rp.get("/api/admin/connections/fuzz-num", headers=BEARER).status_code == 404


FORM_ROUTES = {"/admin/sign-in": ["admin_token", "next"], "/admin/sign-out": [],
               "/logout": [], "/auth/backchannel-logout": ["logout_token"],
               "/admin/connections": ["name", "client_id", "client_secret", "support_contact",
                                      "authorization_uri", "secret_expires_on"]}
CHARSETS = {"unicode_escape": "\\ud800", "raw_unicode_escape": "\\ud800", "utf-7": "+2AA-",
            "utf-8": "\\ud800", "latin-1": "\\ud800", "utf-16": "\\ud800", "nope": "\\ud800"}
"""Charsets a multipart body may name, each with how it spells a lone surrogate."""


@fuzz_settings
@given(route=st.sampled_from(sorted(FORM_ROUTES)), charset=st.sampled_from(sorted(CHARSETS)),
       data=st.data())
def test_a_multipart_form_in_any_charset_is_read_or_refused_naming_a_field(
        rp: AppClient, route: str, charset: str, data: st.DataObject) -> None:
    names = [*FORM_ROUTES[route], "csrf_token"]
    fields = data.draw(st.dictionaries(
        st.sampled_from(names) | st.just(CHARSETS[charset]) | segment_text,
        st.just(CHARSETS[charset]) | st.just(rp.cookies.get("rp_csrf") or "") | segment_text,
        max_size=4), label="fields")
    body = b"".join(b'--xyz\r\nContent-Disposition: form-data; name="' + name.encode()
                    + b'"\r\n\r\n' + value.encode() + b"\r\n" for name, value in fields.items())
    response = rp.post(route, content=body + b"--xyz--\r\n", headers={
        "Content-Type": f"multipart/form-data; boundary=xyz; charset={charset}"})
    _sound(response, (route, charset, fields))
    if response.status_code == 400 and route == "/auth/backchannel-logout":
        assert response.json()["fields"], response.text
    elif response.status_code == 400:
        assert "Refused: " in response.text or 'role="alert"' in response.text, response.text
