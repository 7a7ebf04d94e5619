"""The scenario stack's and the conformance command's calls to the mock's control and Graph
APIs take a redirect for a failure, as :class:`mock_idp.MockIdp`'s helpers do: those APIs
redirect nothing, so a 3xx came from another server at the provider's URL (or a path the mock
does not serve) and the change asked for was not made. httpx follows no redirect by default,
so the 3xx (empty body) was returned as if the call had succeeded."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import httpx
import pytest

from mock_idp.config import DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID
from scenarios.conformance.control import MockControl, SetupError
from scenarios.live import LiveStack, StackError

BASE = "http://idp.test:8443"


def _moved() -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(
        lambda request: httpx.Response(307, headers={"location": f"{request.url}/"})))


def test_the_stacks_call_answered_with_a_redirect_raises_naming_it() -> None:
    with _moved() as http:
        stack = cast(LiveStack, SimpleNamespace(http=http))
        with pytest.raises(StackError, match=(
                rf"^DELETE {BASE}/_mock/faults: 307 redirect to '{BASE}/_mock/faults/', "
                r"not the mock's answer$")):
            LiveStack._call(stack, "DELETE", f"{BASE}/_mock/faults")


def test_the_conformance_commands_call_answered_with_a_redirect_raises_naming_it() -> None:
    with _moved() as http:
        control = MockControl(BASE, tenant=DEFAULT_TENANT_ID, client_id=REFERENCE_RP_CLIENT_ID,
                              http=http)
        with pytest.raises(SetupError, match=(
                rf"^DELETE {BASE}/_mock/faults: 307 redirect to '{BASE}/_mock/faults/', "
                r"not the mock's answer$")):
            control.clear()
        with pytest.raises(SetupError, match=r"PATCH .*/applications\(appId=.*: 307 redirect"):
            control.patch_app({"displayName": "x"})
