from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asgi_client import AppClient
from fake_op import APP_ID, EVENT_KEYS, FakeOp
from rp_support import ADMIN_HEADERS, ADMIN_TOKEN, MovableClock, RpHarness

from relying_party import Settings, create_app


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "rp.db")


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


