"""The conformance command against live relying parties: the reference RP passes every row; one
with the nonce check removed fails exactly the nonce row, with a clear message."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from relying_party import logout
from relying_party.oidc import id_token
from relying_party.oidc.errors import LogoutTokenInvalid, UnknownSigningKey
from scenarios.__main__ import main
from scenarios.conformance.rows import BACKCHANNEL_ROWS, LOGIN_ROWS, ROWS
from scenarios.live import LiveStack, live_stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # whole conformance runs


@pytest.fixture
def stack() -> Iterator[LiveStack]:
    with live_stack() as live:
        yield live


def _argv(stack: LiveStack, *extra: str) -> list[str]:
    return ["conformance", "--rp", stack.rp.base_url, "--idp", stack.idp.base_url,
            "--start", f"/sso/{stack.connection_id}/widget", *extra]


def test_reference_rp_through_its_profile_passes_every_row_the_spec_requires(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["conformance", "--app", "reference-rp", "--json"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    results = {r["id"]: r["result"] for r in report["rows"]}
    failed = {r["id"]: r["reason"] for r in report["rows"] if r["result"] in ("FAIL", "SKIP")}
    assert failed == {}
    assert code == 0 and report["ok"] is True
    assert [r["id"] for r in report["rows"]] == [row.id for row in ROWS]
    # The code flow makes at_hash and c_hash optional: informational, whatever the RP does.
    assert {i for i, result in results.items() if result == "INFO"} == {
        "rp-id_token-bad-at_hash", "rp-id_token-bad-c_hash"}
    rows = {r["id"]: r for r in report["rows"]}
    assert rows["rp-id_token-bad-at_hash"]["reason"].endswith(
        "checks at_hash when present and refused the token")
    did = {r["id"]: r["did"] for r in report["rows"]}
    assert did["rp-response_type-code"] == "signed in"
    assert did["rp-nonce-invalid"].startswith('not signed in; page HTTP 502: "Sign-in failed')
    assert did["rp-backchannel-rpinitlogout"] == "HTTP 200; session ended"
    assert did["rp-backchannel-rpinitlogout-lt-with-nonce"] == "HTTP 400; session kept"
    assert "reference relying party at http://127.0.0.1:" in captured.err


def test_rp_without_the_nonce_check_fails_the_nonce_row_only(
        stack: LiveStack, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setattr(id_token, "ID_TOKEN_CHECKS", tuple(
        check for check in id_token.ID_TOKEN_CHECKS if check is not id_token.check_nonce))
    code = main(_argv(stack, "--explain", "--report", str(tmp_path)))
    out = capsys.readouterr().out
    assert code == 1
    lines = out.strip().splitlines()
    nonce_line = next(line for line in lines if line.startswith("rp-nonce-invalid "))
    assert nonce_line.split()[-1] == "FAIL" and "signed in" in nonce_line
    assert ("FAIL rp-nonce-invalid: the RP signed in although the ID token's nonce differs "
            "from the one the RP sent") in lines
    others = [line for line in lines[1:len(LOGIN_ROWS) + 1]
              if not line.startswith("rp-nonce-invalid ")]
    assert len(others) == len(LOGIN_ROWS) - 1
    assert all(line.endswith(("PASS", "INFO")) for line in others), out
    # no --backchannel: the logout-token rows are listed, not tested
    assert (f"{len(LOGIN_ROWS) - 3} passed, 1 failed, {len(BACKCHANNEL_ROWS)} not tested, "
            "2 informational") in lines
    # --explain: the failed row's exchange, the nonce the fault changed marked
    explained = out[out.index("rp-nonce-invalid: "):]
    assert "[token]" in explained and "<- CHANGED (was" in explained
    assert "result: FAIL: the RP signed in although" in explained
    # --report: every row with its exchange
    rows = {r["id"]: r for r in json.loads((tmp_path / "results.json").read_text())["rows"]}
    assert set(rows) == {row.id for row in ROWS}
    assert all(r["protocol_text"] and "[authorize]" in r["protocol_text"] for r in rows.values()
               if r["kind"] == "login")
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    nonce_row = page[page.index('id="rp-nonce-invalid"'):]
    nonce_row = nonce_row[:nonce_row.index('<section class="row')]
    assert 'class="claim changed" data-part="claims" data-claim="nonce"' in nonce_row
    assert stack.client_secret not in page and "P@ssw0rd" not in page


def test_a_refusal_counts_for_a_reject_row_only_if_a_plain_sign_in_then_works(
        stack: LiveStack, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """An RP that skips the nonce check and, after its first sign-in, refuses every ID token
    for another reason (a stale key cache): the nonce row is refused for that reason, not its
    own. The plain sign-in right after the row shows it, and the row fails, saying so, where
    it would have passed."""
    signed: list[str] = []

    def refuse_after_the_first(claims: Mapping[str, Any], ctx: id_token.TokenContext) -> None:
        signed.append(str(claims.get("nonce")))
        if len(signed) > 1:
            raise UnknownSigningKey("no key fits the token's kid, even after a re-fetch")

    monkeypatch.setattr(id_token, "ID_TOKEN_CHECKS", (*(
        check for check in id_token.ID_TOKEN_CHECKS if check is not id_token.check_nonce),
        refuse_after_the_first))
    code = main(_argv(stack, "--only", "rp-nonce-invalid", "--json"))
    captured = capsys.readouterr()
    rows = {r["id"]: r for r in json.loads(captured.out)["rows"]}
    assert code == 1, captured.err
    assert rows["rp-nonce-invalid"]["result"] == "FAIL"
    assert rows["rp-nonce-invalid"]["did"].startswith("not signed in")
    assert rows["rp-nonce-invalid"]["reason"].startswith(
        "the RP refused this sign-in, and a plain, correct one right after it too (no fault "
        "armed (\"Sign-in failed"), rows["rp-nonce-invalid"]["reason"]
    assert "its refusal cannot be credited to the row's fault (the ID token's nonce differs " \
           "from the one the RP sent)" in rows["rp-nonce-invalid"]["reason"]
    assert len(signed) == 3  # the preflight, the row, the plain sign-in after it


def test_a_reject_row_an_rp_refuses_for_its_own_reason_passes_after_a_plain_sign_in(
        stack: LiveStack, capsys: pytest.CaptureFixture[str]) -> None:
    """The plain sign-in after a refused REJECT row comes from the browser's session at the
    provider: a few redirects, no sign-in pages."""
    code = main(_argv(stack, "--only", "rp-nonce-invalid,rp-id_token-aud", "--json"))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert {r["id"]: r["result"] for r in json.loads(captured.out)["rows"]} == {
        "rp-nonce-invalid": "PASS", "rp-id_token-aud": "PASS"}
    log = stack.provider_requests()
    passwords = [r for r in log if r["method"] == "POST" and r["path"].endswith("/login")]
    authorize = [r for r in log if r["path"].endswith("/oauth2/v2.0/authorize")
                 and "client_id=" in r.get("query", "")]
    assert (len(passwords), len(authorize)) == (3, 5)  # 3 fresh browsers, 2 plain sign-ins


def test_an_rp_that_refuses_every_logout_post_has_its_invalid_token_rows_not_tested(
        stack: LiveStack, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A back-channel endpoint behind a filter that answers 400 to every POST (a CSRF check)
    refuses the invalid tokens for no reason of theirs. Without the valid token's row in the
    selection, the command delivers a valid token itself first, and its 400 makes the invalid
    tokens' rows "not tested", not passed."""
    async def refuse_all(*_args: object) -> object:
        raise LogoutTokenInvalid("csrf_token_missing")

    monkeypatch.setattr(logout, "_validate_for_any", refuse_all)
    code = main(_argv(stack, "--backchannel", "/auth/backchannel-logout", "--json", "--only",
                      "rp-backchannel-rpinitlogout-lt-with-nonce"))
    report = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["result"], r["did"]) for r in report["rows"]] == [
        ("rp-backchannel-rpinitlogout-lt-with-nonce", "SKIP", "HTTP 400; session kept")]
    assert report["rows"][0]["reason"].startswith(
        "not tested: the back-channel logout URI answered a valid logout token 400 too")
    assert code == 1 and report["ok"] is False  # nothing was tested
