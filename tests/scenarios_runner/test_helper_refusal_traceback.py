"""A provider's refusal of a ``mock_idp`` / :class:`MockIdp` helper's call fails the test at the
test's own line: its traceback holds no frame of the helpers' modules (the refusal's message
names the field), while an error that is not a refusal still shows where it arose."""

from __future__ import annotations

import pytest

from tests.scenarios_runner.plugin_pytest import run_plugin_pytest

TESTS = """
from types import SimpleNamespace

from mock_idp import MockIdp
from scenarios.stack_idp import StackIdp


def test_refused_user():
    with MockIdp() as idp:
        idp.add_user("x@contoso.onmicrosoft.com", password="short")


def test_refused_fault():
    with MockIdp() as idp:
        stack = SimpleNamespace(
            idp_app=SimpleNamespace(state=SimpleNamespace(idp=SimpleNamespace(config=idp.config))),
            idp=idp.server, ca_file=None, client_id="", idp_url=lambda path: idp.url + path)
        with StackIdp(stack) as helper:
            helper.arm_fault("no_such_kind")
"""


def test_a_refused_helper_call_fails_at_the_tests_line(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_project=TESTS)
    done = run_plugin_pytest(pytester, "--sso-key-pool", "0")
    done.assert_outcomes(failed=2)
    out = "\n".join(done.outlines)
    assert "MockIdpError" in out and "kind" in out and "password" in out.lower(), out
    assert "testing.py:" not in out and "stack_idp.py:" not in out, out
    assert "test_project.py:9: MockIdpError" in out, out
    assert "test_project.py:18: MockIdpError" in out, out


def test_an_error_that_is_no_refusal_keeps_the_helpers_frames() -> None:
    from mock_idp import testing

    hide = testing.__tracebackhide__
    assert callable(hide)
    try:
        raise KeyError("id")
    except KeyError:
        info = pytest.ExceptionInfo.from_current()
    assert not hide(info)
    try:
        raise testing.MockIdpError("POST /_mock/faults: 400")
    except testing.MockIdpError:
        refused = pytest.ExceptionInfo.from_current()
    assert hide(refused)
