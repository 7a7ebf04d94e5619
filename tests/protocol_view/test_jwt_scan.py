"""Signed JWTs are found in free text at the cost of one read, however many ``eyJ`` a run
holds: a run that is no JWT from its first ``eyJ`` is not read again from each later one."""

from __future__ import annotations

import time

from mock_idp.redaction import REDACTED
from scenarios.protocol_view.tokens import mask_jwts

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"


def test_jwts_among_runs_of_eyj_are_masked() -> None:
    text = f"eyJeyJ.x {JWT} 3D{JWT}, eyJa.eyJb. eyJeyJ{JWT}"
    head = JWT.rsplit(".", 1)[0]
    assert mask_jwts(text) == (f"eyJeyJ.x {head}.{REDACTED} 3D{head}.{REDACTED}, eyJa.eyJb. "
                               f"eyJeyJ{head}.{REDACTED}")


def test_a_long_run_of_eyj_is_read_in_linear_time() -> None:
    # 120,000 characters: read again from each eyJ, it took about ten seconds; once, a
    # millisecond
    text = "eyJ" * 40_000
    started = time.perf_counter()
    assert mask_jwts(text) == text
    assert time.perf_counter() - started < 1.0
