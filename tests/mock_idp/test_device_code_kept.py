"""How long the provider keeps a device authorization: an expired one is kept
:data:`~mock_idp.store.EXPIRED_KEPT` to answer ``expired_token``, whatever other devices start
meanwhile, then dropped; the number kept is capped, the ended ones going first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from asgi_client import AppClient
from test_device_code import device_config, error_of, poll, start

from mock_idp.clock import MockClock
from mock_idp.config import IdpConfig
from mock_idp.protocol import device_code
from mock_idp.store import EXPIRED_KEPT


@pytest.fixture
def idp_config(idp_config: IdpConfig) -> IdpConfig:
    return device_config(clock=idp_config.clock)


def test_an_expired_code_is_still_70020_after_another_device_starts(
        client: AppClient, clock: MockClock) -> None:
    first = start(client)
    clock.advance(timedelta(minutes=15, seconds=1))
    start(client)  # another device, after the first one's code expired
    assert error_of(poll(client, first["device_code"])) == ("expired_token", 70020)


def test_an_expired_code_is_dropped_once_kept_long_enough(
        idp_app: Any, client: AppClient, clock: MockClock) -> None:
    first = start(client)
    codes = idp_app.state.idp.store.device_codes
    clock.advance(timedelta(minutes=15) + EXPIRED_KEPT + timedelta(seconds=1))
    second = start(client)
    assert first["device_code"] not in codes and second["device_code"] in codes


def test_at_the_cap_the_ended_codes_go_first(idp_app: Any, client: AppClient,
                                            clock: MockClock,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device_code, "MAX_RECORDS", 3)
    ended = start(client)
    clock.advance(timedelta(minutes=10))
    live = [start(client)["device_code"] for _ in range(2)]
    clock.advance(timedelta(minutes=6))  # the first has expired, the two others not
    newest = start(client)["device_code"]
    codes = idp_app.state.idp.store.device_codes
    assert ended["device_code"] not in codes
    assert all(code in codes for code in [*live, newest]) and len(codes) == 3
