"""The relying party's database connection lives as long as its app: the app's shutdown
closes it, once the calls in the background are done, and an app that refuses its settings
leaves none open."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from asgi_client import AppClient
from fake_op import FakeOp
from rp_support import ADMIN_HEADERS

from relying_party import Settings, create_app
from relying_party.db.sqlite import Sqlite


def test_shutting_down_closes_the_database(make_settings: Callable[..., Settings],
                                           op: FakeOp) -> None:
    app = create_app(make_settings(), http_client=op.http_client())
    with AppClient(app, headers=ADMIN_HEADERS) as client:
        assert client.get("/api/admin/connections").status_code == 200
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        app.state.rp.db.connections.all()


def test_a_refused_admin_token_leaves_no_database_open(
        make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Sqlite] = []
    closed: list[Sqlite] = []
    real_init, real_close = Sqlite.__init__, Sqlite.close

    def init(self: Sqlite, path: str, schema: str) -> None:
        real_init(self, path, schema)
        opened.append(self)

    def close(self: Sqlite) -> None:
        closed.append(self)
        real_close(self)

    monkeypatch.setattr(Sqlite, "__init__", init)
    monkeypatch.setattr(Sqlite, "close", close)
    with pytest.raises(ValueError, match="at least 16"):
        create_app(make_settings(admin_token="short"))
    assert opened and closed == opened
