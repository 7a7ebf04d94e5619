"""Where the clock may be moved: one check, :mod:`mock_idp.clock_range`, which the control API
and the Python API (``MockIdp.advance``) share without the Python API reaching into the HTTP
layer."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest

import mock_idp.testing_checks
from mock_idp.clock import MockClock
from mock_idp.clock_range import EARLIEST, LATEST, ClockRangeError, clock_target
from mock_idp.endpoints import payload
from mock_idp.testing_checks import clock_move
from mock_idp.testing_records import MockIdpError


def test_the_range_runs_from_1971_to_9000_both_ends_included() -> None:
    assert clock_target(EARLIEST, "now") == EARLIEST
    assert clock_target(LATEST, "now") == LATEST
    for outside in (EARLIEST - timedelta(seconds=1), LATEST + timedelta(seconds=1)):
        with pytest.raises(ClockRangeError) as refused:
            clock_target(outside, "advance")
        assert refused.value.field == "advance"
        assert refused.value.message == "'advance' would move the clock outside 1971..9000"


def test_the_control_api_refuses_as_the_shared_check_does() -> None:
    with pytest.raises(payload.BadInput) as refused:
        payload.clock_target(LATEST + timedelta(days=1), "advance_seconds")
    assert refused.value.field == "advance_seconds" and refused.value.status == 400
    assert refused.value.message == ("'advance_seconds' would move the clock outside "
                                     "1971..9000")


def test_the_python_api_refuses_as_the_shared_check_does() -> None:
    clock = MockClock(frozen_at=LATEST - timedelta(days=1))
    with pytest.raises(MockIdpError, match="^'days' would move the clock outside 1971..9000$"):
        clock_move(clock, days=2)
    assert clock_move(clock, days=1) == timedelta(days=1)


def test_the_python_apis_checks_import_nothing_of_the_http_layer() -> None:
    source = Path(mock_idp.testing_checks.__file__).read_text(encoding="utf-8")
    imported = [node.module or "" for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.ImportFrom)]
    assert not [name for name in imported if "endpoints" in name.split(".")], imported
