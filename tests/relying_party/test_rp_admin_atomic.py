"""A change to a connection and the end of the sessions it ends are one transaction: when
ending them fails, the change is not stored either (a 500, the connection as it was)."""

from __future__ import annotations

import sqlite3

import pytest
from rp_support import ANY_VERSION, RpHarness

API = "/api/admin/connections"


def test_a_disable_whose_sessions_cannot_end_stores_nothing(
        rp: RpHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    cid = rp.add_connection()
    db = rp.client.app.state.rp.db  # type: ignore[attr-defined]

    def locked(*_: object) -> int:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(db.sessions, "end_for_source", locked)
    with pytest.raises(sqlite3.OperationalError):
        rp.client.post(f"{API}/{cid}/disable", headers=ANY_VERSION)
    monkeypatch.undo()
    stored = rp.client.get(f"{API}/{cid}").json()
    assert (stored["enabled"], stored["version"]) == (True, 1)
