"""A :class:`MockIdp` started inside an in-process pytest run (``pytester``'s
``runpytest_inprocess`` or ``inline_run``) leaves the providers started after it whole, by
:class:`MockIdp` or by ``mock_idp.create_app``.

pytester forgets the modules an inner run imported, but a package imported before the run
keeps, as attributes, the submodules the run imported into it; a later
``from .endpoints import faults`` took that forgotten module, whose routes were made with a
forgotten ``starlette.routing``, and the fresh router matched none of them: every control
call not answered by a fresh route was Starlette's 307 to the path with a ``/``."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # a pytest of its own in a fresh interpreter (about 3 s)

OUTER = '''
import httpx

import mock_idp
import mock_idp.endpoints.payload  # a package of the provider's, imported before the inner run
from mock_idp.testing import MockIdp, run_in_thread

FAULT = {"kind": "status", "endpoint": "token", "status": 503}

INNER = """
from mock_idp.testing import MockIdp

def test_inner():
    with MockIdp():
        pass
"""


def test_mock_idp_after(pytester):
    pytester.makepyfile(test_inner=INNER)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    with MockIdp() as idp:
        armed = idp.http.post("/_mock/faults", json=FAULT)
    assert armed.status_code == 201, (armed.status_code, armed.headers.get("location"))


def test_create_app_after(pytester):
    pytester.makepyfile(test_inner=INNER)
    pytester.inline_run("-p", "no:cacheprovider").assertoutcome(passed=1)
    with run_in_thread(mock_idp.create_app()) as server:
        armed = httpx.post(server.url("/_mock/faults"), json=FAULT)
    assert armed.status_code == 201, (armed.status_code, armed.headers.get("location"))
'''


def test_a_provider_started_in_an_inner_run_leaves_later_ones_whole(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_outer=OUTER)
    result = pytester.runpytest_subprocess("-p", "pytester", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
