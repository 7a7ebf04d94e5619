"""The judged rows as a table, JSON for CI and a progress line: pure, no browser."""

from __future__ import annotations

import json

from scenarios.conformance.rows import (
    RowResult,
    Verdict,
    format_progress,
    format_table,
    judge,
    to_json,
)
from scenarios_conformance.judging_kit import (
    HAPPY,
    KID_MULTIPLE,
    LT_NONCE,
    LT_VALID,
    NONCE,
    USERINFO,
    bc,
    login,
)


def _results() -> list[RowResult]:
    return [
        RowResult(row=HAPPY, verdict=Verdict(result="PASS", did="signed in"), seconds=1.234),
        RowResult(row=NONCE, verdict=judge(NONCE, login(200)), seconds=0.5),
        RowResult(row=USERINFO, verdict=judge(USERINFO, login(200, fired=False)), seconds=0.7),
        RowResult(row=KID_MULTIPLE, verdict=judge(KID_MULTIPLE, login(401)), seconds=0.6),
    ]


def test_table_has_a_line_per_row_and_a_reason_per_failure() -> None:
    lines = format_table(_results()).splitlines()
    assert lines[0].split() == ["ROW", "EXPECTED", "RP", "DID", "RESULT"]
    assert lines[1].split()[:3] == ["rp-response_type-code", "ACCEPT", "signed"]
    assert lines[2].endswith("FAIL") and lines[2].startswith("rp-nonce-invalid ")
    assert ("FAIL rp-nonce-invalid: the RP signed in although the ID token's nonce differs "
            "from the one the RP sent") in lines
    # a row not tested says why in its own cell, and only there when the cell holds it whole
    reason = _results()[2].verdict.reason
    assert len(reason) <= 100 and lines[3].startswith("rp-userinfo-bad-sub-claim ")
    assert lines[3].endswith(f"{reason}  SKIP"), lines[3]
    assert not any(line.startswith("SKIP rp-userinfo-bad-sub-claim") for line in lines), lines
    assert any(line.startswith("note rp-id_token-kid-absent-multiple-jwks: rejected;")
               for line in lines)
    assert lines[-1] == "2 passed, 1 failed, 1 not tested, 0 informational"


def test_a_row_not_tested_says_why_in_its_cell_not_what_the_rp_answered() -> None:
    """A logout-token row not tested because the URI refused a valid token too: its cell is
    the reason (cut, whole under the table), not ``HTTP 400; session kept`` beside ``EXPECTED
    HTTP 400``, which reads as a pass; a row tested keeps what the RP did."""
    skipped = RowResult(row=LT_NONCE, verdict=judge(LT_NONCE, bc(400, after=200, valid=400)),
                        seconds=0.1)
    passed = RowResult(row=LT_VALID, verdict=judge(LT_VALID, bc(200, after=401)), seconds=0.1)
    lines = format_table([passed, skipped]).splitlines()
    assert lines[1].split()[3:] == ["HTTP", "200;", "session", "ended", "PASS"]
    assert "HTTP 400; session kept" not in lines[2], lines[2]
    cell = lines[2].split("HTTP 400", 1)[1].strip().removesuffix("SKIP").strip()
    assert cell.startswith("not tested: the back-channel logout URI answered a valid logout "
                           "token 400 too") and cell.endswith("…") and len(cell) == 100, cell
    assert f"SKIP {LT_NONCE.id}: {skipped.verdict.reason}" in lines
    quoted = "not signed in; page HTTP 502: " + "x" * 90  # a tested row's cell is not cut
    refused = RowResult(row=NONCE, verdict=Verdict(result="PASS", did=quoted), seconds=0.1)
    assert quoted + "  PASS" in format_table([refused])


def test_table_columns_line_up() -> None:
    lines = format_table(_results()).splitlines()[:5]
    for column in ("EXPECTED", "RP DID", "RESULT"):
        start = lines[0].index(column)
        assert all(line[start - 2:start] == "  " and line[start] != " " for line in lines[1:])


def test_json_output_for_ci() -> None:
    data = json.loads(json.dumps(to_json(_results(), rp="http://rp.test",
                                         provider="http://idp.test", client_id="c")))
    assert (data["rp"], data["provider"], data["client_id"]) == (
        "http://rp.test", "http://idp.test", "c")
    assert data["ok"] is False
    assert (data["passed"], data["failed"], data["skipped"], data["informational"]) == (
        2, 1, 1, 0)
    nonce = data["rows"][1]
    assert nonce == {
        "id": "rp-nonce-invalid", "kind": "login", "fault": "wrong_nonce", "expect": "REJECT",
        "result": "FAIL", "did": "signed in",
        "reason": "the RP signed in although the ID token's nonce differs from the one the RP "
                  "sent",
        "note": "", "seconds": 0.5, "protocol_text": None,  # no exchange recorded here
        "app_log": None}
    assert data["rows"][0]["seconds"] == 1.23


def test_progress_line() -> None:
    assert format_progress(_results()[1]) == "FAIL  rp-nonce-invalid  0.50s"
