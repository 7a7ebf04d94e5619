"""What anyone can make fail still ends on the one failure page, and what is kept of it is
bounded: the error log cuts long texts and keeps neither old nor too many rows; a refused
callback request and an unexpected exception are logged under the reference shown."""

from __future__ import annotations

import re

import pytest
from asgi_client import AppClient
from rp_support import RpHarness


def _ref(text: str) -> str:
    match = re.search(r'id="error-ref">(RP-[0-9A-F]{10})<', text)
    assert match, text
    return match.group(1)


def test_a_huge_installation_id_is_logged_cut(rp: RpHarness) -> None:
    response = rp.client.get("/launch?installation_id=" + "x" * 6000)
    record = rp.assert_failure_page(response, status=404, code="unknown_installation",
                                    contact=rp.settings.partner_support_contact)
    assert len(str(record["source_id"])) <= 200
    assert len(str(record["detail"])) <= 2000
    assert str(record["detail"]).endswith("characters cut]")


def test_a_huge_provider_error_description_is_logged_cut(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.token_error = (400, {"error": "invalid_grant",
                                      "error_description": "A" * 500_000})
    record = rp.assert_failure_page(rp.sign_in(), status=502, code="idp_error")
    assert len(str(record["detail"])) <= 2000


def test_old_failures_leave_the_log(rp: RpHarness) -> None:
    old = _ref(rp.client.get("/sso/nope/widget").text)
    rp.clock.advance(days=91)
    new = _ref(rp.client.get("/sso/nope/widget").text)
    assert rp.client.get(f"/api/admin/errors/{old}").status_code == 404
    assert rp.client.get(f"/api/admin/errors/{new}").status_code == 200


def test_past_its_size_the_log_drops_the_oldest(rp: RpHarness) -> None:
    rp.client.app.state.rp.db.errors.max_rows = 3  # type: ignore[attr-defined]
    refs = []
    for _ in range(5):
        refs.append(_ref(rp.client.get("/sso/nope/widget").text))
        rp.clock.advance(seconds=1)
    assert [e["ref"] for e in rp.errors()] == refs[:1:-1]


@pytest.mark.parametrize(("label", "request_args", "status"), [
    ("51 fields", {"data": {f"f{i}": "x" for i in range(51)}}, 400),
    ("a file", {"files": {"state": ("a.txt", b"x")}}, 400),
    ("a body over 1 MiB", {"content": b"state=" + b"a" * 1_100_000,
                           "headers": {"content-type": "application/x-www-form-urlencoded"}},
     413),
])
def test_a_callback_request_refused_unread_ends_on_the_failure_page(
        rp: RpHarness, label: str, request_args: dict[str, object], status: int) -> None:
    response = rp.client.post("/auth/callback", **request_args)  # type: ignore[arg-type]
    rp.assert_failure_page(response, status=status, code="callback_refused",
                           contact=rp.settings.default_support_contact)


def test_an_unexpected_exception_is_logged_under_the_reference_shown(
        rp: RpHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    rp.add_connection()

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(rp.client.app.state.rp.db.connections, "all", boom)  # type: ignore[attr-defined]
    with AppClient(rp.client.app, raise_server_exceptions=False) as client:
        page = client.get("/widget")
        api = client.get("/api/admin/connections", headers=rp.client.headers)
    record = rp.assert_failure_page(page, status=500, code="internal_error",
                                    contact=rp.settings.default_support_contact)
    assert "RuntimeError" in str(record["detail"])
    assert page.headers["x-frame-options"] == "DENY"
    assert api.status_code == 500 and api.json()["error"] == "server_error"
    logged = rp.client.get(f"/api/admin/errors/{api.json()['ref']}").json()
    assert logged["code"] == "internal_error"
