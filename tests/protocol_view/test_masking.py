"""What reports show of free text and of the exchange: secrets masked by name in every spelling
an app prints them, and by value; error codes and empty values left as they are; control
characters escaped; tokens that cannot be decoded not said to be; bodies too large to keep said
to be; secrets the run knows gathered from its environment and masked in a drawn exchange."""

from __future__ import annotations

import base64
import json
import sys
import traceback
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from asgi_client import AppClient

from mock_idp import create_app
from mock_idp.config import REFERENCE_RP_CLIENT_ID, IdpConfig
from mock_idp.redaction import REDACTED, fingerprint
from scenarios.masking import masked_text, quoted
from scenarios.protocol_view import (
    BrowserHit,
    Collected,
    Exchange,
    correlate,
    exchange_of,
    explanation,
    render_text,
)
from scenarios.protocol_view.known import known_values, mask_exchange
from scenarios.protocol_view.tokens import (
    mask_pairs,
    mask_text,
    printable,
    token_view,
    value_mask,
)
from scenarios.real_idp import load_idp_config

from .activity_samples import APP, CODE, activity, collected

SECRET = "pfc3Q~_e9W73NALCf-uRm_XcWj-dCG5m32VdP6h3"
TOKEN = "Jq3vKx9-admin-token-value_0123456789"
BASIC = base64.b64encode(f"2b8e4f61:{SECRET}".encode()).decode()


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(("text", "kept"), [
    (f"Settings(client_id='2b8e4f61', client_secret='{SECRET}')",
     "Settings(client_id='2b8e4f61', client_secret='[redacted]')"),
    (f"config: {{ clientID: '2b8e4f61', clientSecret: '{SECRET}' }}",
     "config: { clientID: '2b8e4f61', clientSecret: '[redacted]' }"),
    (f"OIDC_CLIENT_SECRET={SECRET}", "OIDC_CLIENT_SECRET=[redacted]"),
    (f"export CLIENT-SECRET = \"{SECRET}\" # set", "export CLIENT-SECRET = \"[redacted]\" # set"),
    (f"token request headers: Authorization: Basic {BASIC}",
     "token request headers: Authorization: Basic [redacted]"),
    (f"Authorization: Bearer {TOKEN}", "Authorization: Bearer [redacted]"),
    (f"token response: {{'token_type': 'Bearer', 'refresh_token': '{TOKEN}', 'x': 1}}",
     "token response: {'token_type': 'Bearer', 'refresh_token': '[redacted]', 'x': 1}"),
    (f'{{"secret": "{SECRET}", "totp_secret": "JBSWY3DPEHPK3PXP"}}',
     '{"secret": "[redacted]", "totp_secret": "[redacted]"}'),
    (f"new_password={SECRET}&otc=123456&user_code=QW3RT8YZP",
     f"new_password=[redacted]&otc={fingerprint('123456')}&user_code={fingerprint('QW3RT8YZP')}"),
    ("otpauth://totp/Contoso:alice?secret=JBSWY3DPEHPK3PXP&issuer=Contoso",
     "otpauth://totp/Contoso:alice?secret=[redacted]&issuer=Contoso"),
    (f'"{{\\"client_secret\\": \\"{SECRET}\\"}}"', '"{\\"client_secret\\": \\"[redacted]\\"}"'),
    ("password = 'correct horse battery staple' was typed",
     "password = '[redacted]' was typed"),
    (f"https://app/cb?code={CODE}&state=s", f"https://app/cb?code={fingerprint(CODE)}&state=s"),
    (f"ADMIN_TOKEN={TOKEN} admin token: {TOKEN}, csrfToken: '{TOKEN}'",
     "ADMIN_TOKEN=[redacted] admin token: [redacted], csrfToken: '[redacted]'"),
    # Node's util.inspect in colour (an app's error page or output quoted in a message).
    (f"{{ clientSecret: \x1b[32m'{SECRET}'\x1b[39m, csrfToken: \x1b[32m'{TOKEN}'\x1b[39m }}",
     "{ clientSecret: \x1b[32m'[redacted]'\x1b[39m, csrfToken: \x1b[32m'[redacted]'\x1b[39m }"),
    # A coloured name: a pretty logger's key, a key util.inspect quotes (and so colours).
    (f"\x1b[36mclient_secret\x1b[39m: '{SECRET}'", "\x1b[36mclient_secret\x1b[39m: '[redacted]'"),
    (f"{{ \x1b[32mclientSecret\x1b[39m: \x1b[32m'{SECRET}'\x1b[39m }}",
     "{ \x1b[32mclientSecret\x1b[39m: \x1b[32m'[redacted]'\x1b[39m }"),
    (f"{{ \x1b[32m'refresh-token'\x1b[39m: \x1b[32m'{TOKEN}'\x1b[39m }}",
     "{ \x1b[32m'refresh-token'\x1b[39m: \x1b[32m'[redacted]'\x1b[39m }"),
    (f"level=info\x1b[1mpassword\x1b[22m=\x1b[31m{SECRET}\x1b[0m done",
     "level=info\x1b[1mpassword\x1b[22m=\x1b[31m[redacted]\x1b[0m done"),
    (f"headers: authorization: \x1b[32mBasic {BASIC}\x1b[39m",
     "headers: authorization: \x1b[32mBasic [redacted]\x1b[39m"),
])
def test_mask_text_masks_the_value_of_every_spelling_and_keeps_the_line(text: str,
                                                                        kept: str) -> None:
    assert mask_text(text) == kept
    assert mask_text(kept) == kept


def test_a_failure_message_quoting_coloured_output_masks_the_secret_a_coloured_name_holds(
        ) -> None:
    message = ("AssertionError: the app failed to start; it printed:\n"
               f"{{ \x1b[32mclientSecret\x1b[39m: \x1b[32m'{SECRET}'\x1b[39m,\n"
               f"  \x1b[36mclient_secret\x1b[39m: {SECRET} }}")
    shown = masked_text(message) or ""
    assert SECRET not in shown and SECRET[:12] not in shown
    assert "\\x1b[32mclientSecret\\x1b[39m: \\x1b[32m'[redacted]'\\x1b[39m," in shown


@pytest.mark.parametrize("text", [
    '{"code": "AADSTS50105", "message": "not assigned"}',
    "assert code == 'nonce_mismatch', code = 'nonce_mismatch'",
    "the app answered HTTP 500 (Status code: 500)",
    "client_secret='' and code= and id_token_hint=&x=1",
    "Bearer authentication failed: the Basic scheme is not allowed",
    "token: expired, token_type: Bearer, the access token: invalid_grant",
    'token = issued["refresh_token"]', "the answer has no id_token: missing",
])
def test_mask_text_leaves_what_no_secret_is(text: str) -> None:
    assert mask_text(text) == text


def test_mask_text_masks_known_values_wherever_they_stand() -> None:
    encoded = "c2VjcmV0+dmFsdWU/x="
    text = (f"fatal: {SECRET} refused; admin {TOKEN}; redirect=https://x/?s="
            "c2VjcmV0%2BdmFsdWU%2Fx%3D; as a form c2VjcmV0%2BdmFsdWU%2Fx%3D; "
            f"{CODE} again; pw abc")
    masked = mask_text(text, {SECRET: REDACTED, TOKEN: REDACTED, encoded: REDACTED,
                              CODE: fingerprint(CODE), "abc": REDACTED})
    assert masked == ("fatal: [redacted] refused; admin [redacted]; redirect=https://x/?s="
                      f"[redacted]; as a form [redacted]; {fingerprint(CODE)} again; pw abc")
    assert mask_text(text, [SECRET]).startswith("fatal: [redacted] refused")


def test_control_characters_are_escaped_in_text_errors_and_explanations() -> None:
    assert printable("a\x1b[31mred\x1b[0m\tb\nc\ufffe\udcff\u202e\x85") == (
        "a\\x1b[31mred\\x1b[0m\tb\nc\\ufffe\\udcff\\u202e\\x85")
    described = activity()
    described["requests"][0] = {
        **described["requests"][0], "status": 302,
        "location": "http://127.0.0.1:9100/auth/callback?error=access_denied&"
                    "error_description=AADSTS0%3A+bad+%1B%5B31mthing%1B%5B0m+%01+%EF%BF%BE&state=s"}
    text = render_text(correlate(collected(provider=described)))
    assert "\x1b" not in text and "\x01" not in text and "\ufffe" not in text
    assert "error: access_denied: AADSTS0: bad \\x1b[31mthing\\x1b[0m \\x01 \\ufffe" in text
    shown = explanation(text, "t", "FAIL: AssertionError: \x1b[31mTokenError\x1b[0m")
    assert shown.endswith("result: FAIL: AssertionError: \\x1b[31mTokenError\\x1b[0m")


def test_a_token_is_said_to_be_decoded_only_when_it_is() -> None:
    header = _b64({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": "k"})
    jwe = f"{header}.ZW5jcnlwdGVka2V5.aXY.Y2lwaGVydGV4dA.dGFn"
    unreadable = "eyJ" + "x" * 10 + ".eyJ" + "y" * 10 + ".SIGSIGSIG"
    shown = dict(mask_pairs([("id_token_hint", unreadable), ("logout_token", jwe),
                             ("id_token", f"{_b64({'alg': 'none'})}.{_b64({'sub': 'x'})}.")]))
    assert shown["id_token_hint"] == "eyJxxxxxxxxxx.eyJyyyyyyyyyy.[redacted]"
    assert shown["logout_token"] == f"{header[:24]}... (encrypted: its header below)"
    assert shown["id_token"].endswith("... (decoded below)")
    assert token_view("id_token_hint", unreadable) is None
    view = token_view("id_token_hint", jwe)
    assert view is not None and view.encrypted and view.claims == ()
    assert dict(view.header) == {"alg": '"RSA-OAEP"', "enc": '"A256GCM"', "kid": '"k"'}
    assert "ZW5jcnlwdGVka2V5" not in repr(view) and "Y2lwaGVydGV4dA" not in repr(view)


def test_an_encrypted_hint_is_drawn_with_its_header() -> None:
    header = _b64({"alg": "RSA-OAEP", "enc": "A256GCM"})
    described = activity()
    described["requests"][-1] = {**described["requests"][-1],
                                 "query": f"id_token_hint={header}.[redacted]"}
    text = render_text(correlate(collected(provider=described)))
    assert 'header: alg="RSA-OAEP"; enc="A256GCM"' in text
    assert "claims: encrypted (a JWE): not shown" in text


def test_a_body_too_large_to_keep_says_so() -> None:
    described = activity()
    token = described["requests"][3]
    token["response"] = {"content_type": "application/json", "bytes": 3_145_728,
                         "too_large": True}
    step = next(s for s in correlate(collected(provider=described)).steps if s.name == "token")
    assert dict(step.answer)["body"] == "too large to keep (3145728 bytes)"
    assert "answer: body=too large to keep (3145728 bytes)" in render_text(
        correlate(collected(provider=described)))


def test_the_values_a_run_knows_come_from_its_environment_and_its_provider(
        tmp_path: Path) -> None:
    app = create_app(IdpConfig.default())
    graph = "/graph/contoso.onmicrosoft.com/v1.0"
    with AppClient(app) as client:
        created = client.post(f"{graph}/applications(appId='{REFERENCE_RP_CLIENT_ID}')"
                              "/addPassword", json={"passwordCredential": {}})
        added = created.json()["secretText"]
    adapter = SimpleNamespace(values={"admin_token": TOKEN, "client_secret": SECRET,
                                      "client_id": "2b8e4f61", "base_url": "http://x"})
    stack = SimpleNamespace(app=adapter, client_secret=SECRET, idp_app=app)
    (tmp_path / "idp.toml").write_text(
        '[provider]\nauthority = "https://login.example/t"\nclient_id = "id"\n'
        'client_secret_env = "S"\n[user]\nusername = "a@example.com"\npassword_env = "P"\n'
        '[driver]\nkind = "entra"\n', encoding="utf-8")
    real = SimpleNamespace(config=load_idp_config(  # what a run --idp stack holds
        tmp_path / "idp.toml", {"S": "real-secret", "P": "real-password"}))
    worker = SimpleNamespace(shared=SimpleNamespace(provider=SimpleNamespace(app=app)))
    known = known_values(stack, None, real, worker, object())
    assert {TOKEN, SECRET, added, "real-secret", "real-password"} <= set(known)
    assert "2b8e4f61" not in known and "http://x" not in known
    assert set(known_values(worker)) >= {added}  # the app's stack never came up
    assert known[added] == REDACTED


def test_an_exchange_is_masked_by_value() -> None:
    exchange = correlate(collected())
    secret = "frontchannel-logout"  # a value the sample exchange shows, in URLs
    masked = mask_exchange(exchange, value_mask({secret: REDACTED, "n-11-x": "[gone]"}))
    assert masked is not None and mask_exchange(None, str) is None
    assert secret in json.dumps(asdict(exchange))
    assert secret not in json.dumps(asdict(masked)) and isinstance(masked, Exchange)
    front = masked.steps[-1]
    assert front.target_url == "app /auth/[redacted]" and front.params == exchange.steps[-1].params


SIGNED = f"{_b64({'alg': 'RS256'})}.{_b64({'sub': 'alice'})}.c2lnbmF0dXJl-of_it"
UNSIGNED = SIGNED.replace("c2lnbmF0dXJl-of_it", REDACTED)


def test_a_jwt_no_name_tells_of_loses_its_signature_in_a_drawn_exchange() -> None:
    nested = quote(f"/signed-out?id_token_hint={SIGNED}", safe="")
    hits = (BrowserHit(wall=1.0, method="GET", url=f"{APP}/logout?next={nested}", status=302,
                       location=f"{APP}/tokens/{SIGNED}/show"),
            BrowserHit(wall=2.0, method="GET", url=f"{APP}/tokens/{SIGNED}/show", status=200))
    exchange = exchange_of(Collected(browser=hits, app_url=APP))
    assert exchange is not None
    shown = json.dumps(asdict(exchange)) + render_text(exchange)
    assert "c2lnbmF0dXJl" not in shown
    assert exchange.steps[1].target_url == f"app /tokens/{UNSIGNED}/show"
    assert exchange.steps[0].params == (("next", f"/signed-out?id_token_hint={UNSIGNED}"),)


@pytest.mark.parametrize("text", [
    f'form: state=%7B%22t%22%3A%22{SIGNED}%22%7D',  # JSON in a form: after "%22"
    f'{{"text": "token\\u003d{SIGNED}"}}',  # after a JSON escape
])
def test_a_jwt_in_free_text_loses_its_signature_after_a_letter_or_digit_too(text: str
                                                                             ) -> None:
    assert mask_text(text) == text.replace(SIGNED, UNSIGNED)


def test_a_value_mask_takes_the_longest_value_and_any_number_of_them() -> None:
    values = {f"1.A{n:05d}-refresh-token": REDACTED for n in range(3000)}
    values.update({"abcdefg": "[g]", "abcdefgh": "[h]", "abcdef": "[f]"})
    hide = value_mask(values)
    assert hide("1.A00042-refresh-token abcdefgh abcdefg abcdef abcde 1.A0004") == (
        "[redacted] [h] [g] [f] abcde 1.A0004")
    # Each value starts the next, a tree deeper than the interpreter's recursion allows. The
    # limit is lowered for the test: at the default one it takes about 600 values and a second.
    nested = ["a" * n for n in range(6, 300)]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(traceback.extract_stack()) + 100)
    try:
        hide = value_mask(nested)
    finally:
        sys.setrecursionlimit(limit)
    assert hide("a" * 10 + " aaaaa") == "[redacted] aaaaa"


def test_a_challenges_parameters_are_not_taken_for_a_credential() -> None:
    header = ('WWW-Authenticate: Bearer authorization_uri="https://login.example/t", '
              'error="invalid_token"')
    assert mask_text(header) == header
    assert mask_text("Authorization: Bearer opaque-access-token-1234") == (
        "Authorization: Bearer [redacted]")


def test_a_known_value_cut_short_is_masked_where_it_ends() -> None:
    """A failure message quotes a page up to a length: the start of a code or a token left
    before an ellipsis, or at the end of the text, is masked as the value is; a start too short
    to tell, or one not at a cut, is left as it is."""
    hide = value_mask({CODE: fingerprint(CODE), SECRET: REDACTED, TOKEN: REDACTED})
    assert hide(f"'Sign-in failed: code {CODE[:43]}…'") == (
        f"'Sign-in failed: code {fingerprint(CODE)}…'")
    assert hide(f"refused {SECRET[:20]}... and {TOKEN[:9]}") == (
        "refused [redacted]... and [redacted]")
    assert hide(f"{SECRET[:7]}… {SECRET[:20]} x") == f"{SECRET[:7]}… {SECRET[:20]} x"
    shared = value_mask({f"{TOKEN}-{n}": f"[t{n}]" for n in range(2)})
    assert shared(f"{TOKEN}-0 {TOKEN[:12]}…") == "[t0] [redacted]…"


def test_a_page_s_text_is_masked_before_it_is_cut_for_a_message() -> None:
    assert quoted(f"Failed: client_secret={SECRET} was refused", 40) == (
        "'Failed: client_secret=[redacted] was ref…'")
    assert quoted(f"refresh_token: {TOKEN} and more", 30) == "'refresh_token: [redacted] and…'"
