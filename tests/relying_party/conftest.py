"""Fixtures of the reference RP's in-process tests: an app on a database of its own per test.

Every test's database starts as a copy of one the RP created once for the session (its schema,
no rows): creating the schema took about 6 of the 7 ms of CPU the ``rp`` fixture spent, in each
of about 1,700 tests. The app still opens it as it opens any database (``Database`` runs the
schema again, which changes nothing on one that has it), and a test's rows stay in its copy.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asgi_client import AppClient
from fake_op import APP_ID, EVENT_KEYS, FakeOp
from rp_support import ADMIN_HEADERS, ADMIN_TOKEN, MovableClock, RpHarness

from relying_party import Settings, create_app
from relying_party.db import Database


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture(scope="session")
def new_database(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The file of a database the RP has just created: its schema and no rows."""
    path = tmp_path_factory.mktemp("rp-new-database") / "rp.db"
    Database(str(path)).close()
    with sqlite3.connect(path) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        filled = [t for t in tables if conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()]
    conn.close()
    assert tables and not filled, f"a new database holds rows in {filled}"
    return path.read_bytes()


@pytest.fixture
def db_path(tmp_path: Path, new_database: bytes) -> str:
    """This test's database: a copy of :func:`new_database`, readable by its owner only (as
    the RP leaves one it creates)."""
    path = tmp_path / "rp.db"
    with os.fdopen(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "wb") as file:
        file.write(new_database)
    return str(path)


@pytest.fixture
def make_settings(clock: MovableClock, db_path: str) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "db_path": db_path,
            "public_url": "http://testserver",
            "clock": clock,
            "event_keys_url": EVENT_KEYS,
            "partner_app_id": APP_ID,
            "admin_token": ADMIN_TOKEN,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def op(clock: MovableClock) -> FakeOp:
    return FakeOp(clock)


@pytest.fixture
def rp(
    make_settings: Callable[..., Settings], clock: MovableClock, op: FakeOp
) -> Iterator[RpHarness]:
    settings = make_settings()
    app = create_app(settings, http_client=op.http_client())
    with AppClient(app, follow_redirects=False, headers=ADMIN_HEADERS) as client:
        yield RpHarness(settings=settings, client=client, clock=clock, op=op)


