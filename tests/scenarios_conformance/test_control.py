"""The conformance command's hold on the mock provider (:class:`MockControl`)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mock_idp import MockIdp
from mock_idp.config import DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID
from scenarios.conformance.control import MockControl

ALICE = "alice@contoso.onmicrosoft.com"


@pytest.fixture
def idp() -> Iterator[MockIdp]:
    with MockIdp() as mock:
        yield mock


def test_end_session_ends_the_browsers_only_account_without_a_picker(idp: MockIdp) -> None:
    """The back-channel rows end the session with the browser's cookies alone: the v2.0
    endpoint would ask "Pick an account" and end nothing."""
    with httpx.Client(timeout=15) as http:
        started = http.post(f"{idp.url}/_mock/sessions", json={"user": ALICE})
        assert started.status_code == 201, started.text
        sid = started.json()["session"]["sid"]
        control = MockControl(idp.url, tenant=DEFAULT_TENANT_ID,
                              client_id=REFERENCE_RP_CLIENT_ID, http=http)
        control.end_session(dict(started.cookies))
        sessions = http.get(f"{idp.url}/_mock/sessions").json()["sessions"]
    assert [s["active"] for s in sessions if s["sid"] == sid] == [False]
