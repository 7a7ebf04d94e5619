"""A refused event names the member at fault in ``fields``, the envelope's as much as ``data``'s:
``id``, ``api_version`` (only "1" is known), ``type``, ``created_at`` and ``data``, and ``body``
for the JSON text as a whole. JSON is UTF-8 (RFC 8259 §8.1): a body in another encoding, or with
a byte order mark, is refused naming ``body``, on the admin API as on ``POST /events``. Nothing
refused is stored."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fake_op import TID, USERS, event, sign_event
from rp_support import (
    INSTALLATION,
    VALID_CONNECTION,
    RpHarness,
    install,
    installed_body,
    launch,
    post_event,
)

from relying_party.inputs import MAX_PARSED_DEPTH, InputError, parse_json_object
from relying_party.oidc.errors import EventMalformed
from relying_party.oidc.event_signature import parse_event_time

DROP = object()


def envelope(rp: RpHarness, **changes: object) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(installed_body(rp))
    for key, change in changes.items():
        if change is DROP:
            del value[key]
        else:
            value[key] = change
    return value


def refused(rp: RpHarness, body: bytes) -> dict[str, Any]:
    response = post_event(rp, body, sign_event(body))
    assert response.status_code == 400, response.text
    answer: dict[str, Any] = response.json()
    assert answer["error"] in ("event_malformed", "event_stale"), answer
    assert rp.client.get("/api/admin/installations").json() == []
    return answer


def deeply_nested() -> dict[str, Any]:
    value: dict[str, Any] = {"a": 1}
    for _ in range(40):
        value = {"n": value}
    return value


ENVELOPE_CASES: dict[str, tuple[dict[str, object], dict[str, str]]] = {
    "id missing": ({"id": DROP}, {"id": "is required"}),
    "id a number": ({"id": 5}, {"id": "must be a string"}),
    "id of 200 characters": ({"id": "x" * 200}, {"id": "must be at most 128 characters"}),
    "id with surrounding space": ({"id": " abc"}, {"id": "must not start or end with white space"}),
    "id with a control character": (
        {"id": "a\x00b"}, {"id": "must not contain control characters or line breaks"}),
    "type missing": ({"type": DROP}, {"type": "is required"}),
    "type a list": ({"type": ["app.installed"]}, {"type": "must be a string"}),
    "created_at missing": ({"created_at": DROP},
                           {"created_at": "is required (an ISO 8601 instant)"}),
    "created_at a number": ({"created_at": 1234},
                            {"created_at": "must be a string (an ISO 8601 instant)"}),
    "created_at without a time zone": ({"created_at": "2026-03-01T09:00:00"},
                                       {"created_at": "has no time zone"}),
    "created_at not a time": ({"created_at": "yesterday"},
                              {"created_at": "is not an ISO 8601 instant"}),
    "api_version missing": ({"api_version": DROP}, {"api_version": 'must be "1"'}),
    "api_version 2": ({"api_version": "2"}, {"api_version": 'must be "1"'}),
    "api_version a number": ({"api_version": 1}, {"api_version": 'must be "1"'}),
    "api_version 1.0": ({"api_version": "1.0"}, {"api_version": 'must be "1"'}),
    "data missing": ({"data": DROP}, {"data": "must be an object"}),
    "data a list": ({"data": []}, {"data": "must be an object"}),
    "data nested too deep": ({"data": deeply_nested()}, {"data": "nests deeper than 16 levels"}),
}


@pytest.mark.parametrize("case", sorted(ENVELOPE_CASES))
def test_envelope_refusals_name_the_member(rp: RpHarness, case: str) -> None:
    changes, fields = ENVELOPE_CASES[case]
    answer = refused(rp, json.dumps(envelope(rp, **changes)).encode())
    assert answer["error"] == "event_malformed"
    assert answer["fields"] == fields
    [problem] = fields.values()
    assert problem in answer["error_description"]


def test_a_stale_event_names_created_at(rp: RpHarness) -> None:
    old = (rp.clock.now() - timedelta(minutes=31)).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = refused(rp, json.dumps(envelope(rp, created_at=old)).encode())
    assert answer["error"] == "event_stale"
    assert list(answer["fields"]) == ["created_at"]


BODY_CASES: dict[str, tuple[bytes, str]] = {
    "not JSON": (b"not json", "is not valid JSON"),
    "an array": (b"[1, 2]", "must be a JSON object"),
    "an array nested 5000 deep": (b'{"id": "x", "n": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                                  "nests deeper than 16 levels"),
    "Latin-1 text": ('{"id": "sécret"}'.encode("latin-1"), "is not UTF-8 text (RFC 8259 §8.1)"),
}


@pytest.mark.parametrize("case", sorted(BODY_CASES))
def test_a_body_that_is_not_a_json_object_names_body(rp: RpHarness, case: str) -> None:
    body, problem = BODY_CASES[case]
    assert refused(rp, body)["fields"] == {"body": problem}


def test_a_signed_event_that_repeats_a_member_is_refused(rp: RpHarness) -> None:
    """The platform's parser may keep the first of a repeated member and this app's the last
    (RFC 7493 §2.3): a signed event that repeats one means two things, and is refused."""
    good = installed_body(rp)
    text = good.decode()
    again = text[:-1] + ', "type": "app.uninstalled"}'
    assert refused(rp, again.encode())["fields"] == {
        "type": "is given more than once (RFC 7493 §2.3)"}
    field = '"installation_id": '
    inner = text.replace(field, f'{field}"other", {field}', 1)
    assert inner != text
    assert refused(rp, inner.encode())["fields"] == {
        "data": 'has the member "installation_id" more than once (RFC 7493 §2.3)'}
    assert post_event(rp, good).json()["status"] == "processed"


@pytest.mark.parametrize(("encoding", "problem"), [
    ("utf-16", "is not UTF-8 text (RFC 8259 §8.1)"),
    ("utf-16-le", "is not valid JSON"),
    ("utf-32", "is not UTF-8 text (RFC 8259 §8.1)"),
    ("utf-8-sig", "must not start with a byte order mark (RFC 8259 §8.1)"),
])
def test_an_event_not_in_utf8_is_refused(rp: RpHarness, encoding: str, problem: str) -> None:
    body = installed_body(rp).decode().encode(encoding)
    assert refused(rp, body)["fields"] == {"body": problem}
    assert post_event(rp, installed_body(rp)).status_code == 200  # the same event in UTF-8


@pytest.mark.parametrize(("encoding", "problem"), [
    ("utf-16", "is not UTF-8 text (RFC 8259 §8.1)"),
    ("utf-8-sig", "must not start with a byte order mark (RFC 8259 §8.1)"),
])
def test_an_admin_api_body_not_in_utf8_is_refused(
    rp: RpHarness, encoding: str, problem: str
) -> None:
    body = json.dumps(VALID_CONNECTION).encode(encoding)
    response = rp.client.post("/api/admin/connections", content=body,
                              headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["fields"] == {"body": problem}
    assert rp.client.get("/api/admin/connections").json() == []


def test_parse_json_object_decodes_strictly() -> None:
    assert parse_json_object('{"a": "é"}'.encode()) == {"a": "é"}
    assert parse_json_object('{"a": "é"}') == {"a": "é"}
    for raw in (b'\xef\xbb\xbf{"a": 1}', "\ufeff{}", '{"a": 1}'.encode("utf-16"), b'{"a": "\xff"}'):
        with pytest.raises(InputError) as refusal:
            parse_json_object(raw)
        assert list(refusal.value.errors) == ["body"]
    long_name = "k" * 100
    for raw, problem in (
            (f'{{"{long_name}": 1, "{long_name}": 2}}', f'has the member "{"k" * 64}…" more than '
                                                        "once (RFC 7493 §2.3)"),
            ('{"\\ud800": 1, "\\ud800": 2}', 'has the member "\\ud800" more than once '
                                              "(RFC 7493 §2.3)")):
        with pytest.raises(InputError) as refusal:
            parse_json_object(raw)
        assert refusal.value.errors == {"body": problem}


def test_what_a_deep_refusal_names_does_not_depend_on_the_python_version() -> None:
    """Python's parser gives up at a depth that depends on its version: text nested past
    MAX_PARSED_DEPTH is refused as a whole before it is parsed, shallower text names its member,
    and brackets inside strings do not count."""
    def nested(levels: int) -> str:
        return '{"n": ' + "[" * levels + "]" * levels + "}"

    for levels, field in ((MAX_PARSED_DEPTH - 1, "n"), (MAX_PARSED_DEPTH, "body"),
                          (20_000, "body")):
        with pytest.raises(InputError) as refusal:
            parse_json_object(nested(levels))
        assert refusal.value.errors == {field: "nests deeper than 16 levels"}, levels
    assert parse_json_object('{"n": "' + "[" * 2000 + '\\"{"}') == {"n": "[" * 2000 + '"{'}


@pytest.mark.parametrize(("created_at", "problem"), [
    (None, "is required (an ISO 8601 instant)"),
    (5, "must be a string (an ISO 8601 instant)"),
    ("2026-03-01", "has no time zone"),
    ("2026-03-01T09:00:00Z and more", "is not an ISO 8601 instant"),
])
def test_parse_event_time_names_created_at(created_at: object, problem: str) -> None:
    with pytest.raises(EventMalformed) as refusal:
        parse_event_time(created_at)
    assert refusal.value.fields == {"created_at": problem}


def test_created_at_is_read_in_both_shapes_the_platform_writes() -> None:
    # The app.* events' references write whole seconds and Z, user.logout's milliseconds and
    # +00:00 (docs.talkdesk.com/reference/app-installed, /reference/userlogout).
    whole = parse_event_time("2017-08-18T10:29:52Z")
    assert parse_event_time("2017-08-18T10:29:52.000+00:00") == whole
    assert parse_event_time("2017-08-18T10:29:52.250+00:00") == whole + timedelta(milliseconds=250)


@pytest.mark.parametrize("shape", ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.000+00:00"],
                         ids=["whole-seconds-z", "milliseconds-offset"])
def test_a_logout_in_either_shape_ends_the_session(rp: RpHarness, shape: str) -> None:
    install(rp)
    assert launch(rp, "alice").status_code == 303
    now = rp.clock.now()
    body = json.loads(event("user.logout", {"account_id": TID, "user_id": USERS["alice"].oid,
                                            "installation_id": INSTALLATION}, created_at=now))
    body["created_at"] = now.strftime(shape)
    response = post_event(rp, json.dumps(body).encode())
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "logged_out:1"
    assert rp.me().status_code != 200


def test_an_accepted_event_is_unchanged_by_these_checks(rp: RpHarness) -> None:
    response = post_event(rp, installed_body(rp))
    assert response.status_code == 200, response.text
    [stored] = rp.client.get("/api/admin/installations").json()
    assert stored["installation_id"] == INSTALLATION



def test_a_logout_of_another_api_version_ends_no_session(rp: RpHarness) -> None:
    install(rp)
    assert launch(rp, "alice").status_code == 303
    body = event("user.logout", {"account_id": TID, "user_id": USERS["alice"].oid,
                                 "installation_id": INSTALLATION}, created_at=rp.clock.now())
    response = post_event(rp, body.replace(b'"api_version": "1"', b'"api_version": "2"'))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "event_malformed"
    assert response.json()["fields"] == {"api_version": 'must be "1"'}
    assert rp.me().status_code == 200
    assert post_event(rp, body).json()["outcome"] == "logged_out:1"  # the same event, version 1
