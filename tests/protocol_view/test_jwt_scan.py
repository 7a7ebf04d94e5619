"""Signed JWTs are found in free text at the cost of one read, however many ``eyJ`` a run
holds: a run that is no JWT from its first ``eyJ`` is not read again from each later one."""

from __future__ import annotations

import re

import pytest

from mock_idp.redaction import REDACTED
from scenarios.protocol_view import tokens
from scenarios.protocol_view.tokens import mask_jwts

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"


def test_jwts_among_runs_of_eyj_are_masked() -> None:
    text = f"eyJeyJ.x {JWT} 3D{JWT}, eyJa.eyJb. eyJeyJ{JWT}"
    head = JWT.rsplit(".", 1)[0]
    assert mask_jwts(text) == (f"eyJeyJ.x {head}.{REDACTED} 3D{head}.{REDACTED}, eyJa.eyJb. "
                               f"eyJeyJ{head}.{REDACTED}")


def test_a_long_run_of_eyj_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # read again from each eyJ, 40,000 of them cost 40,000 matches (about ten seconds); once,
    # one match
    matches: list[int] = []
    pattern = tokens.BARE_JWT

    class Counted:
        def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
            matches.append(pos)
            return pattern.match(text, pos)

    monkeypatch.setattr(tokens, "BARE_JWT", Counted())
    text = "eyJ" * 40_000
    assert mask_jwts(text) == text
    assert matches == [0]
