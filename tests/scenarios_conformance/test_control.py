"""The conformance command's hold on the mock provider (:class:`MockControl`)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import httpx
import pytest

from mock_idp import MockIdp
from mock_idp.config import DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID
from scenarios.conformance.browser_rows import RowDriver
from scenarios.conformance.control import MockControl
from scenarios.conformance.options import ConformanceOptions
from scenarios.conformance.rows import ROWS

if TYPE_CHECKING:
    from playwright.sync_api import Browser

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


@pytest.mark.parametrize(("response_type", "endpoint"), [
    ("code id_token", "token"), ("code", "token"), ("code id_token token", None), (None, None)])
def test_the_at_hash_row_arms_its_fault_for_the_id_token_beside_the_access_token(
        idp: MockIdp, response_type: str | None, endpoint: str | None) -> None:
    """With code id_token the authorization endpoint's ID token comes with no access token:
    the row breaks the token endpoint's (:func:`scenarios.conformance.hashes.hash_endpoint`);
    the c_hash row, and every other, the first ID token issued."""
    rows = {row.id: row for row in ROWS}
    with httpx.Client(timeout=15) as http:
        control = MockControl(idp.url, tenant=DEFAULT_TENANT_ID,
                              client_id=REFERENCE_RP_CLIENT_ID, http=http)
        driver = RowDriver(cast(ConformanceOptions, SimpleNamespace(rp="http://rp.test")),
                           control, cast("Browser", None))
        driver.response_type = response_type
        for row_id in ("rp-id_token-bad-at_hash", "rp-id_token-bad-c_hash", "rp-nonce-invalid"):
            driver.arm(rows[row_id])
        assert driver.arm(rows["rp-response_type-code"]) is None
        armed = http.get(f"{idp.url}/_mock/faults").json()["faults"]
    assert [(f["kind"], f["endpoint"], f["app"]) for f in armed] == [
        ("bad_at_hash", endpoint, REFERENCE_RP_CLIENT_ID),
        ("bad_c_hash", None, REFERENCE_RP_CLIENT_ID),
        ("wrong_nonce", None, REFERENCE_RP_CLIENT_ID)]
