"""tokens (decoding without verifying, masking, a fault's changes) and render_text (the text
sequence diagram)."""

from __future__ import annotations

import re

import jwt as pyjwt
import pytest

from scenarios.protocol_view import correlate, render_text
from scenarios.protocol_view.tokens import (
    decode_jwt,
    fault_changes,
    mask_pairs,
    mask_text,
    token_view,
)

from .activity_samples import CODE, MASKED_CODE, collected


def test_a_signed_token_is_decoded_and_its_signature_never_kept() -> None:
    token = pyjwt.encode({"sub": "x", "nonce": "n"}, "k" * 32, algorithm="HS256",
                         headers={"kid": "k1"})
    decoded = decode_jwt(token)
    assert decoded is not None
    header, claims, signature = decoded
    assert header == {"alg": "HS256", "kid": "k1", "typ": "JWT"}
    assert claims == {"sub": "x", "nonce": "n"} and signature == "[redacted]"
    view = token_view("id_token", token)
    assert view is not None and token.split(".")[2] not in repr(view)


def test_an_unsigned_token_says_so_and_junk_is_not_a_token() -> None:
    unsigned = pyjwt.encode({"sub": "x"}, "", algorithm="none")
    view = token_view("logout_token", unsigned)
    assert view is not None and view.signature == "none" and view.name == "logout token"
    for junk in ("", "a.b", "not.a.jwt", "eyJ.eyJ.x"):
        assert decode_jwt(junk) is None


def test_fault_changes_read_the_mock_s_notes() -> None:
    notes = [{"fault": {"kind": "missing_sub"}, "target": "id_token",
              "changes": [{"part": "claims", "name": "sub", "before": "abc"},
                          {"part": "header", "name": "kid", "before": "k", "after": "k2"}],
              "signature": "signed with a key rotated in just now"},
             {"fault": {"kind": "other"}, "target": "logout_token", "changes": []}]
    changes, kind, signature = fault_changes(notes, "id_token")
    assert kind == "missing_sub" and signature == "signed with a key rotated in just now"
    assert [(c.part, c.name, c.how, c.before, c.after) for c in changes] == [
        ("claims", "sub", "removed", '"abc"', None), ("header", "kid", "changed", '"k"', '"k2"')]


@pytest.mark.parametrize("text", [
    f"navigated to http://app/cb?code={CODE}&state=s",
    f'{{"code": "{CODE}", "refresh_token": "1.AR-token-value"}}',
    "client_secret=abc.DEF~ghi, password=hunter2",
])
def test_mask_text_masks_secrets_in_messages(text: str) -> None:
    masked = mask_text(text, secrets=("hunter2",))
    for secret in (CODE, "1.AR-token-value", "abc.DEF~ghi", "hunter2"):
        assert secret not in masked


@pytest.mark.parametrize(("text", "kept"), [
    ("GET /portal HTTP/1.1\nCookie: rp_session=Sess-Value-1; rp_csrf=Csrf-Value-2\nHost: app",
     ["rp_session=[redacted-", "; rp_csrf=[redacted-", "\nHost: app"]),
    ("set-cookie: session=.eJx9kF.Flask-Value-3; HttpOnly; Path=/",
     ["set-cookie: session=[redacted-", "; HttpOnly; Path=/"]),
    ("headers: {'Cookie': 'MOCKIDP_SESSION=Idp-Value-4', 'Accept': '*/*'}",
     ["'Cookie': 'MOCKIDP_SESSION=[redacted-", "', 'Accept': '*/*'}"]),
    ('{"name":"Set-Cookie","value":"rp_login=Login-Value-5; Path=/"}',
     ['"value":"rp_login=[redacted-', '; Path=/"}']),
])
def test_mask_text_masks_cookie_values_and_keeps_their_names(text: str, kept: list[str]
                                                             ) -> None:
    masked = mask_text(text)
    assert not any(f"Value-{n}" in masked for n in range(1, 6)), masked
    assert all(part in masked for part in kept), masked


def test_mask_text_leaves_a_cookie_named_in_prose_and_a_deleted_one_alone() -> None:
    for text in ("the session cookie: it ends with the browser",
                 "Set-Cookie: MOCKIDP_SESSION=\"\"; Max-Age=0; Path=/"):
        assert mask_text(text) == text


def test_mask_pairs_cuts_tokens_and_keeps_masked_values() -> None:
    pairs = mask_pairs([("code", MASKED_CODE), ("client_secret", "x"),
                        ("id_token_hint", "eyJhIjoxfQ.eyJiIjoyfQ.sig"), ("state", "s")])
    assert dict(pairs) == {"code": MASKED_CODE, "client_secret": "[redacted]",
                           "id_token_hint": "eyJhIjoxfQ.eyJiIjoyfQ.[r... (decoded below)",
                           "state": "s"}


def test_the_text_diagram_draws_lifelines_arrows_and_the_changed_claim() -> None:
    text = render_text(correlate(collected()), title="failure.nonce-mismatch")
    lines = text.splitlines()
    assert lines[0] == "failure.nonce-mismatch"
    assert lines[1].split()[:3] == ["browser", "app", "provider"]
    step_lines = [line for line in lines if line[:3].strip().isdigit()]
    assert [re.findall(r"\[([^\]]+)\]", line)[-1] for line in step_lines][:5] == [
        "sign-in start", "authorize", "sign-in", "callback", "token"]
    assert "|------------>|" in step_lines[0]  # browser -> app
    assert step_lines[4].index(">") > step_lines[4].index("|-")  # app -> provider
    back = next(line for line in step_lines if "back-channel" in line)
    assert "|<" in back  # provider -> app points left
    assert 'nonce="n-11" <- CHANGED (was "n-1")' in text
    assert "failure reference: RP-0123456789" in text
    assert "error: AADSTS90014" in text


def test_the_text_diagram_marks_the_steps_that_went_wrong_as_the_html_does() -> None:
    exchange = correlate(collected())
    text = render_text(exchange, details=False)
    step_lines = [line for line in text.splitlines() if line[:3].strip().isdigit()]
    assert len(step_lines) == len(exchange.steps)
    marked = [line.endswith("  <- went wrong here") for line in step_lines]
    assert marked == [step.erred for step in exchange.steps]
    assert any(marked) and not all(marked), text
    callback = next(line for line in step_lines if "[callback" in line)
    assert callback.endswith("[callback]  <- went wrong here"), callback


def test_an_empty_exchange_says_so() -> None:
    from scenarios.protocol_view import Exchange

    text = render_text(Exchange(problems=("no log",)), details=False)
    assert "(nothing recorded)" in text and "note: no log" in text
