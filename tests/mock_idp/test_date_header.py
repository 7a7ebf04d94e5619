"""The ``Date`` response header tells the provider's clock, not the machine's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from asgi_client import AppClient
from idp_testkit import TENANT, paths

from mock_idp.clock import MockClock

DISCOVERY = paths(TENANT, "2.0")["discovery"]
FROZEN = datetime(2026, 3, 1, 12, 0, 0, 400_000, tzinfo=UTC)


def _date(client: AppClient) -> datetime:
    answer = client.get(DISCOVERY)
    assert answer.headers.get_list("date") == [answer.headers["date"]]  # one header, the mock's
    return parsedate_to_datetime(answer.headers["date"])


@pytest.mark.idp_config(clock=MockClock(frozen_at=FROZEN))
def test_the_date_follows_the_clock_each_second_and_back(client: AppClient,
                                                         clock: MockClock) -> None:
    assert _date(client) == FROZEN.replace(microsecond=0)
    clock.advance(timedelta(milliseconds=500))  # 12:00:00.9, the same second
    assert _date(client) == FROZEN.replace(microsecond=0)
    clock.advance(timedelta(milliseconds=100))  # 12:00:01.0
    assert _date(client) == datetime(2026, 3, 1, 12, 0, 1, tzinfo=UTC)
    clock.advance(timedelta(minutes=10))
    assert _date(client) == datetime(2026, 3, 1, 12, 10, 1, tzinfo=UTC)
    clock.set(FROZEN - timedelta(days=1))
    assert _date(client) == datetime(2026, 2, 28, 12, 0, 0, tzinfo=UTC)


def test_a_running_clock_dates_its_answers_with_its_offset(client: AppClient,
                                                          clock: MockClock) -> None:
    clock.advance(timedelta(hours=3))
    shown = _date(client)
    expected = datetime.now(UTC) + timedelta(hours=3)
    assert abs((shown - expected).total_seconds()) < 5
