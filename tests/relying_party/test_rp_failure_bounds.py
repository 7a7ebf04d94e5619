"""What anyone can make fail still ends on the one failure page, and what is kept of it is
bounded: the error log cuts long texts and keeps neither old nor too many rows; a refused
callback request and an unexpected exception are logged under the reference shown."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from pathlib import Path

import pytest
from asgi_client import AppClient
from rp_support import ANY_VERSION, RpHarness

from relying_party.db import Database


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
    assert str(record["detail"]) == f"installation {'x' * 64!r}… (6000 characters)"


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
    cid = rp.add_connection()
    rp.client.post(f"/api/admin/connections/{cid}/disable", headers=ANY_VERSION)
    refs = []
    for _ in range(5):
        refs.append(_ref(rp.client.get(f"/sso/{cid}/widget").text))
        rp.clock.advance(seconds=1)
    assert [e["ref"] for e in rp.errors()] == refs[:1:-1]


@pytest.mark.parametrize("junk", ["/auth/callback?state=junk", "/launch?installation_id=junk",
                                  "/sso/nope/widget"])
def test_failures_of_no_connection_never_evict_a_connection_s(rp: RpHarness, junk: str) -> None:
    """Anyone can make those fail, as often as they like: they have a smaller pool of their
    own, and the failure a customer's support reference points to stays."""
    errors = rp.client.app.state.rp.db.errors  # type: ignore[attr-defined]
    errors.max_unattributed_rows = 3
    cid = rp.add_connection()
    rp.client.post(f"/api/admin/connections/{cid}/disable", headers=ANY_VERSION)
    customer = _ref(rp.client.get(f"/sso/{cid}/widget").text)
    flood = [_ref(rp.client.get(f"{junk}{i}").text) for i in range(6)]
    assert rp.client.get(f"/api/admin/errors/{customer}").status_code == 200
    assert [e["ref"] for e in rp.errors()] == [*flood[:2:-1], customer]


def test_an_older_log_is_split_into_the_two_pools(tmp_path: Path) -> None:
    with contextlib.closing(sqlite3.connect(tmp_path / "old.db")) as conn, conn:
        conn.executescript("""
            CREATE TABLE error_log (ref TEXT PRIMARY KEY, created_at TEXT NOT NULL,
                status INTEGER NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL,
                detail TEXT NOT NULL, admin_hint TEXT, idp_error_code TEXT, source_kind TEXT,
                source_id TEXT, support_contact TEXT NOT NULL);
            INSERT INTO error_log VALUES ('RP-1', '2026-01-01T00:00:00+00:00', 400, 'c', 'm',
                'd', NULL, NULL, NULL, NULL, 's');
            INSERT INTO error_log VALUES ('RP-2', '2026-01-01T00:00:00+00:00', 400, 'c', 'm',
                'd', NULL, NULL, 'installation', 'made-up', 's');""")
    db = Database(str(tmp_path / "old.db"))
    try:
        pools = db._sql.all("SELECT ref, attributed FROM error_log ORDER BY ref")
        assert [tuple(row) for row in pools] == [("RP-1", 0), ("RP-2", 0)]
        assert db.errors.get("RP-2") is not None
    finally:
        db.close()
    Database(str(tmp_path / "old.db")).close()  # opened again: nothing to do


@pytest.mark.parametrize(("label", "request_args"), [
    ("51 fields", {"data": {f"f{i}": "x" for i in range(51)}}),
    ("a file", {"files": {"state": ("a.txt", b"x")}}),
    ("a body over 1 MiB", {"content": b"state=" + b"a" * 1_100_000,
                           "headers": {"content-type": "application/x-www-form-urlencoded"}}),
])
def test_a_callback_request_refused_unread_ends_on_the_failure_page(
        rp: RpHarness, label: str, request_args: dict[str, object]) -> None:
    # The callback takes GET only (response_mode=query): a body is never read.
    response = rp.client.post("/auth/callback", **request_args)  # type: ignore[arg-type]
    rp.assert_failure_page(response, status=405, code="callback_refused",
                           contact=rp.settings.default_support_contact)


def test_an_unexpected_exception_is_logged_under_the_reference_shown(
        rp: RpHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    rp.add_connection()

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(rp.client.app.state.rp.db.connections, "all", boom)  # type: ignore[attr-defined]
    # Without ``with``: the harness's client runs the app's lifespan, and a second one ending
    # would shut the app down under it.
    client = AppClient(rp.client.app, raise_server_exceptions=False)
    try:
        page = client.get("/widget")
        api = client.get("/api/admin/connections", headers=rp.client.headers)
    finally:
        client.close()
    record = rp.assert_failure_page(page, status=500, code="internal_error",
                                    contact=rp.settings.default_support_contact)
    assert "RuntimeError" in str(record["detail"])
    assert page.headers["x-frame-options"] == "DENY"
    assert api.status_code == 500 and api.json()["error"] == "server_error"
    logged = rp.client.get(f"/api/admin/errors/{api.json()['ref']}").json()
    assert logged["code"] == "internal_error"
