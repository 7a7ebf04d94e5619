"""A test that hangs ends its process with every thread's stack, instead of holding the run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent


def test_a_test_past_the_limit_is_ended_with_its_stack(pytester: pytest.Pytester,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(TESTS_DIR))
    pytester.makepyfile(test_hangs="""
        import time

        def test_quick():
            pass

        def test_waits_for_ever():
            time.sleep(60)
        """)
    started = time.monotonic()
    done = pytester.runpytest_subprocess("-p", "hang_guard", "-o", "hang_timeout=1",
                                         "-p", "no:cacheprovider", timeout=50)
    assert time.monotonic() - started < 30
    assert done.ret != 0
    err = done.stderr.str()
    assert "Timeout (0:00:01)!" in err, err
    assert "test_waits_for_ever" in err and "time.sleep" not in done.stdout.str()
