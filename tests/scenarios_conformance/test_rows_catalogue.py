"""The conformance rows themselves: unique ids, faults the mock knows, the order they run in,
and choosing rows by id or glob."""

from __future__ import annotations

import pytest

from mock_idp.faults import ID_TOKEN_KINDS, LOGOUT_TOKEN_KINDS, USERINFO_KINDS
from scenarios.conformance.rows import (
    BACKCHANNEL_ROWS,
    LOGIN_ROWS,
    ROWS,
    SelectionError,
    select_rows,
)
from scenarios_conformance.judging_kit import BY_ID


def test_row_ids_are_unique_and_every_fault_is_one_the_mock_knows() -> None:
    assert len(BY_ID) == len(ROWS)
    assert {r.fault for r in LOGIN_ROWS} - {None} <= ID_TOKEN_KINDS | USERINFO_KINDS
    assert {r.fault for r in BACKCHANNEL_ROWS} - {None} <= LOGOUT_TOKEN_KINDS
    lt_rows = [r for r in BACKCHANNEL_ROWS if r.id.startswith("rp-backchannel-rpinitlogout-lt-")]
    assert len(lt_rows) == 7  # the catalogue's seven negative logout-token tests


def test_the_plain_flow_runs_first_and_key_rows_before_the_rest() -> None:
    faults = [r.fault for r in LOGIN_ROWS]
    assert faults[0] is None
    assert faults.index("kid_absent") < faults.index("key_rotated") < faults.index("unknown_key")


def test_select_rows_by_id_and_glob_in_catalogue_order() -> None:
    assert select_rows([]) == ROWS
    picked = select_rows(["rp-nonce-invalid,rp-response_type-code", "*lt-wrong-*"])
    assert [r.id for r in picked] == [
        "rp-response_type-code", "rp-nonce-invalid",
        "rp-backchannel-rpinitlogout-lt-wrong-alg", "rp-backchannel-rpinitlogout-lt-wrong-event",
        "rp-backchannel-rpinitlogout-lt-wrong-aud", "rp-backchannel-rpinitlogout-lt-wrong-issuer"]
    with pytest.raises(SelectionError, match="rp-nope"):
        select_rows(["rp-nonce-invalid", "rp-nope"])
