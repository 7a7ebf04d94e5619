"""A provider's refusal of a ``mock_idp`` / :class:`MockIdp` helper's call fails the test at the
test's own line: its traceback holds no frame of the helpers' modules (the refusal's message
names the field), while an error that is not a refusal still shows where it arose."""

from __future__ import annotations

import importlib

import pytest

from mock_idp.testing import MockIdpError
from scenarios.stack_app import StackError

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
    # In a process of its own: an in-process run forgets the modules it imported, and a mock
    # started afterwards in this process would miss the routes their import registered.
    done = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    done.assert_outcomes(failed=2)
    out = "\n".join(done.outlines)
    assert "MockIdpError" in out and "kind" in out and "password" in out.lower(), out
    assert "testing.py:" not in out and "stack_idp.py:" not in out, out
    assert "test_project.py:9: MockIdpError" in out, out
    assert "test_project.py:18: MockIdpError" in out, out


def info_of(exc: BaseException) -> pytest.ExceptionInfo[BaseException]:
    try:
        raise exc
    except BaseException:
        return pytest.ExceptionInfo.from_current()


@pytest.mark.parametrize("module", ["mock_idp.testing", "scenarios.stack_idp", "scenarios.live"])
def test_only_a_refusal_hides_the_helpers_frames(module: str) -> None:
    """``sso_stack``'s helpers (:class:`LiveStack`) raise :class:`StackError` for a refusal."""
    hide = importlib.import_module(module).__tracebackhide__
    assert hide(info_of(MockIdpError("POST /_mock/faults: 400")))
    assert hide(info_of(StackError("POST /_mock/faults -> 400"))) == (module == "scenarios.live")
    assert not hide(info_of(KeyError("id")))
