"""Hypothesis over what a provider answers the relying party during a sign-in, through the fake
provider's knobs: the ID token's claims and header of any JSON type, members added to the token
response, the token endpoint's raw or error answers, UserInfo's status, and the groups overage
lookup's answer in any charset.

Every sign-in ends signed in or on the failure page (a 4xx or 502/503/504 with its reference),
never a 500 or a traceback, and nothing is logged as an error. ``FUZZ_NEW_EXAMPLES`` sets how
many examples each test draws (more to explore; vary ``--hypothesis-seed``).
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

import pytest
from fake_op import SAME, Faults
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rp_support import RpHarness
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

EXAMPLES = int(os.environ.get("FUZZ_NEW_EXAMPLES", "20"))

fuzz_settings = settings(max_examples=EXAMPLES, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck),
                         derandomize="FUZZ_NEW_EXAMPLES" not in os.environ)

text = st.text(max_size=8) | st.sampled_from([
    "", "\x00", "\u202e", "\ud800", "a\udfffb", "A" * 5000, "https://login.op.test/x",
    "alice@contoso.test", "RS256", "none", "HS256", "JWT", "kid-0", "Bearer", "²", "٣",
    "9" * 5000])
scalar = st.one_of(st.none(), st.booleans(), text,
                   st.integers(-(2**70), 2**70), st.sampled_from([10**30, 1e308, -1e308, 0.5,
                                                                  -0.0, 2**63, -(2**63)]))
value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(text, inner, max_size=3), max_leaves=5)
CLAIMS = ["iss", "aud", "exp", "iat", "nbf", "nonce", "sub", "oid", "tid", "sid", "name",
          "email", "preferred_username", "xms_edov", "email_verified", "at_hash", "c_hash",
          "azp", "ver", "groups", "_claim_names", "_claim_sources", "hasgroups", "login_hint",
          "roles", "auth_time", "acr", "amr"]
HEADER = ["alg", "kid", "typ", "x5t", "jku", "crit", "cty", "b64"]
MEMBERS = ["access_token", "id_token", "token_type", "expires_in", "ext_expires_in", "scope",
           "refresh_token", "error", "error_description", "error_codes", "id_token_expires_in"]
RAW = [b"", b"{", b"null", b"[]", b'{"a": NaN}', b'{"id_token": "\\ud800"}', b"[" * 5000,
       b'{"expires_in": ' + b"9" * 5000 + b"}", b"\xff\xfe", b'{"a":1,"a":2}', b"<html>x</html>"]


def _sound(rp: RpHarness, response: Any, where: object) -> None:
    assert "Traceback" not in response.text and 'File "' not in response.text, where
    if response.status_code in (502, 503, 504):
        assert "Sign-in failed" in response.text, (where, response.text[:300])
        assert re.search(r'id="error-ref">RP-[0-9A-F]{10}<', response.text), where
    else:
        assert response.status_code < 500, (where, response.status_code, response.text[:400])


def _sign_in(rp: RpHarness, faults: Faults, caplog: pytest.LogCaptureFixture) -> None:
    rp.op.faults = faults
    rp.client.cookies.clear()
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        response = rp.sign_in()
        _sound(rp, response, faults)
        for path in ("/api/me", "/widget", "/logout"):
            _sound(rp, rp.client.get(path), (path, faults))
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, (errors[:3], faults)


@pytest.fixture
def connected(rp: RpHarness) -> RpHarness:
    rp.add_connection()
    return rp


@fuzz_settings
@given(claims=st.dictionaries(st.sampled_from(CLAIMS), value, max_size=4),
       header=st.dictionaries(st.sampled_from(HEADER), value, max_size=2))
def test_an_id_token_with_claims_of_any_type_signs_in_or_fails_cleanly(
        connected: RpHarness, caplog: pytest.LogCaptureFixture, claims: dict[str, Any],
        header: dict[str, Any]) -> None:
    _sign_in(connected, Faults(claims=claims, header=header, any_json=True), caplog)


@fuzz_settings
@given(members=st.lists(st.tuples(st.sampled_from(MEMBERS), value) | st.tuples(st.sampled_from(
           ["access_token", "id_token", "token_type", "expires_in", "scope"]), st.just(SAME)),
           max_size=4),
       raw=st.none() | st.tuples(st.sampled_from([200, 400, 401, 500, 503]),
                                 st.sampled_from(RAW)),
       error=st.none() | st.tuples(st.sampled_from([200, 400, 401, 429]),
                                   st.dictionaries(st.sampled_from(MEMBERS), value, max_size=4)),
       userinfo=st.none() | st.sampled_from([401, 403, 404, 500, 200]))
def test_a_token_response_of_any_shape_signs_in_or_fails_cleanly(
        connected: RpHarness, caplog: pytest.LogCaptureFixture,
        members: list[tuple[str, Any]], raw: tuple[int, bytes] | None,
        error: tuple[int, dict[str, Any]] | None, userinfo: int | None) -> None:
    _sign_in(connected, Faults(token_members=members, token_raw=raw, token_error=error,
                               userinfo_status=userinfo), caplog)


GRAPH = "/graph/getMemberObjects"
OVERAGE = {"_claim_names": {"groups": "src1"},
           "_claim_sources": {"src1": {"endpoint": "https://login.op.test" + GRAPH}}}
CHARSETS = ["utf-7", "unicode_escape", "raw_unicode_escape", "utf-16", "latin-1", "nope",
            "base64", "utf-8", ""]


@fuzz_settings
@given(status=st.sampled_from([200, 400, 403, 404, 429, 500, 503]),
       charset=st.sampled_from(CHARSETS),
       body=st.sampled_from([b"+2AA-", b"\\ud800", b'{"value": ["+2AA-"]}', b"\xff\xfe",
                             b'{"value": "\\ud800"}', b"<html>x</html>", b""]) | st.binary())
def test_a_groups_lookup_answered_in_any_charset_signs_in_or_fails_cleanly(
        connected: RpHarness, caplog: pytest.LogCaptureFixture, status: int, charset: str,
        body: bytes) -> None:
    media = "text/plain" + (f"; charset={charset}" if charset else "")

    async def graph(request: Request) -> Response:
        return Response(body, status_code=status, headers={"Content-Type": media})

    connected.op.app.router.routes[:] = [r for r in connected.op.app.router.routes
                                         if getattr(r, "path", None) != GRAPH]
    connected.op.app.router.routes.append(Route(GRAPH, graph, methods=["POST"]))
    _sign_in(connected, Faults(claims=OVERAGE), caplog)
