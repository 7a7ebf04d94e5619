"""A known value inside base64 (a cookie or a ``state`` that base64-encodes JSON, an unsigned
JWT's claims) is masked, the whole run with it; base64 with no known value in it, words and runs
too long to be a cookie are left as they are."""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path

from mock_idp.redaction import REDACTED, fingerprint
from scenarios.masking import mask_trace, masked_text
from scenarios.protocol_view.base64_values import MAX_RUN
from scenarios.protocol_view.tokens import mask_text, value_mask

SECRET = "pfc3Q~_e9W73NALCf-uRm_XcWj-dCG5m32VdP6h3"
REFRESH = "0.AXYAabcdefghijklmnopqrstuvwxyz0123456789"
CODE = "1.AXYA-Ok-code-ZmFrZS1hdXRob3JpemF0aW9uLWNvZGUtdmFsdWU"
KNOWN = {SECRET: REDACTED, REFRESH: REDACTED, CODE: fingerprint(CODE)}


def _b64(value: object, *, url: bool = False) -> str:
    data = json.dumps(value, separators=(",", ":")).encode()
    if url:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")
    return base64.b64encode(data).decode()


def test_a_known_value_in_a_base64_json_cookie_or_state_is_masked() -> None:
    hide = value_mask(KNOWN)
    # Express's cookie-session: base64 JSON.
    express = _b64({"passport": {"user": "alice", "refreshToken": REFRESH}})
    assert hide(f"Set-Cookie: session={express}; path=/") == (
        f"Set-Cookie: session={REDACTED}; path=/")
    # Flask's session cookie (itsdangerous): base64url JSON, a timestamp, a signature.
    flask = _b64({"token": {"refresh_token": REFRESH, "token_type": "Bearer"}}, url=True)
    assert hide(f'"value": "{flask}.Z1x2Yw.c2lnbmF0dXJl"') == (
        f'"value": "{REDACTED}.Z1x2Yw.c2lnbmF0dXJl"')
    # A state that carries JSON, its member escaped as JSON writes it (~ kept, / as \/).
    state = _b64({"returnTo": "/home", "secret": SECRET}, url=True)
    assert hide(f"/cb?code=x&state={state}&session_state=s") == (
        f"/cb?code=x&state={REDACTED}&session_state=s")
    # What a value is shown as is kept: a code's fingerprint.
    assert hide(f"state={_b64({'c': CODE})}") == f"state={fingerprint(CODE)}"


def test_a_known_value_in_an_unsigned_jwts_claims_is_masked() -> None:
    header = _b64({"alg": "none", "typ": "JWT"}, url=True)
    claims = _b64({"sub": "alice", "client_secret": SECRET}, url=True)
    shown = masked_text(f"the app sent client_assertion {header}.{claims}. and failed",
                        value_mask(KNOWN))
    assert shown == f"the app sent client_assertion {header}.{REDACTED}. and failed"
    assert mask_text(f"hint {header}.{claims}.", [SECRET]) == f"hint {header}.{REDACTED}."


def test_a_known_value_in_base64_is_masked_in_a_trace(tmp_path: Path) -> None:
    state = _b64({"refresh": REFRESH}, url=True)
    network = {"snapshot": {"request": {"url": f"https://app/cb?state={state}&x=1"}}}
    path = tmp_path / "t.zip"
    with zipfile.ZipFile(path, "w") as trace:
        trace.writestr("trace.network", json.dumps(network))
    assert mask_trace(path, KNOWN) is True
    with zipfile.ZipFile(path) as trace:
        text = trace.read("trace.network").decode()
    assert state not in text and f"state={REDACTED}&x=1" in text


def test_base64_without_a_known_value_words_and_long_runs_stay() -> None:
    hide = value_mask(KNOWN)
    kept = (f"session={_b64({'user': 'alice', 'n': 1})} Basic-looking QWxhZGRpbjpvcGVu "
            "token_endpoint_auth_method client_secret_post 9f86d081884c7d659a2feaa0c55ad015")
    assert hide(kept) == kept
    # A picture's data: URI is not decoded: a cookie is at most 4 KB.
    long_run = _b64({"pad": "A" * MAX_RUN, "secret": SECRET})
    assert hide(f"data:image/png;base64,{long_run}") == f"data:image/png;base64,{long_run}"


def test_a_base64_value_after_an_escaped_equals_sign_is_masked() -> None:
    # The hex digits of %3D, %253D or \u003d are base64 characters too: the run read from the
    # escape's start decodes misaligned, and the state it ends with held the secret in clear.
    hide = value_mask(KNOWN)
    state = _b64({"verifier": SECRET, "n": 1}, url=True)
    for escaped in ("%3D", "%3d", "%253D", "\\u003d"):
        shown = hide(f"next=%2Fcallback%3Fcode%3Dx%26state{escaped}{state}%26y%3D1")
        assert shown == f"next=%2Fcallback%3Fcode%3Dx%26state{escaped}{REDACTED}%26y%3D1"
