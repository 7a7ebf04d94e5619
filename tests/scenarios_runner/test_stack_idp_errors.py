"""The ``mock_idp`` fixture's helpers (:class:`scenarios.stack_idp.StackIdp`) raise
:class:`MockIdpError` when the provider refuses a call, as :class:`MockIdp`'s do."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from mock_idp.testing import MockIdp, MockIdpError
from scenarios.stack_idp import StackIdp


def stack_of(idp: MockIdp) -> Any:
    """What :class:`StackIdp` reads of a live stack, for a provider already running."""
    return SimpleNamespace(
        idp_app=SimpleNamespace(state=SimpleNamespace(idp=SimpleNamespace(config=idp.config))),
        idp=idp.server, ca_file=None, client_id="", idp_url=lambda path: idp.url + path)


def test_arming_a_bad_fault_raises_mock_idp_error_naming_the_field() -> None:
    with MockIdp() as idp, StackIdp(stack_of(idp)) as helper:
        with pytest.raises(MockIdpError, match="kind"):
            helper.arm_fault("no_such_kind")
        armed = helper.arm_fault("status", endpoint="token")
        assert [f["id"] for f in idp.http.get("/_mock/faults").json()["faults"]] == [armed["id"]]
        helper.clear_faults()
        assert idp.http.get("/_mock/faults").json()["faults"] == []
        before = idp.http.get("/_mock/keys").json()["active"]
        helper.rotate_keys()
        assert idp.http.get("/_mock/keys").json()["active"] != before
