"""Dates and durations the APIs read: a secret's default end near the end of the accepted
years, a date-time without its time, digits that are not ASCII, and the console's action
routes asked with another method."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asgi_client import AppClient
from idp_testkit import DOMAIN

from mock_idp.clock import MockClock
from mock_idp.config import REFERENCE_RP_CLIENT_ID
from mock_idp.endpoints.console import secret_status
from mock_idp.endpoints.control import parse_duration

G = f"/graph/{DOMAIN}/v1.0"
CONSOLE = "/_mock/console"


def _app_path(client: AppClient) -> str:
    app = client.get(f"{G}/applications(appId='{REFERENCE_RP_CLIENT_ID}')").json()
    return f"{G}/applications/{app['id']}"


def _secrets(client: AppClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get(_app_path(client)).json()["passwordCredentials"]
    return found


def _graph_error(response: Any, target: str) -> str:
    assert response.status_code == 400, response.text[:300]
    error = response.json()["error"]
    assert error["target"] == target, error
    message: str = error["message"]
    return message


@pytest.mark.parametrize("credential", [{}, {"startDateTime": "8999-06-01T00:00:00Z"}])
def test_a_default_end_past_the_accepted_years_is_refused(
        client: AppClient, clock: MockClock, credential: dict[str, str]) -> None:
    clock.set(datetime(8999, 1, 1, tzinfo=UTC))
    before = _secrets(client)
    body = {"passwordCredential": credential} if credential else {}
    response = client.post(f"{_app_path(client)}/addPassword", json=body)
    assert "9000" in _graph_error(response, "passwordCredential.endDateTime")
    assert _secrets(client) == before
    assert client.get(CONSOLE).status_code == 200


def test_an_end_two_years_on_within_the_years_is_still_the_default(
        client: AppClient, clock: MockClock) -> None:
    clock.set(datetime(8997, 6, 1, tzinfo=UTC))
    response = client.post(f"{_app_path(client)}/addPassword", json={})
    assert response.status_code == 200, response.text
    assert response.json()["endDateTime"] == "8999-06-01T00:00:00Z"


def test_the_console_shows_a_stored_end_past_the_accepted_years(
        client: AppClient, clock: MockClock) -> None:
    """A configured secret without a start ends ``expires_in`` after the provider's clock at
    (re)build: with the clock late in 8999 that is past 9000, and the console reads it."""
    clock.set(datetime(8999, 12, 1, tzinfo=UTC))
    assert client.post("/_mock/reset", json={}).status_code == 200
    ends = [s["endDateTime"] for s in _secrets(client)]
    assert ends and all(end.startswith("9000-") for end in ends)
    page = client.get(CONSOLE)
    assert page.status_code == 200
    assert "expires in 179 d" in page.text  # 180 d from the reset, a moment ago, rounded down


def test_secret_status_reads_a_stored_end_without_judging_it() -> None:
    now = datetime(8999, 12, 1, tzinfo=UTC)
    assert secret_status("9100-01-01T00:00:00Z", now) == ("ok", "expires in 36555 d")
    assert secret_status("8999-11-01T00:00:00Z", now) == ("bad", "expired 30 d ago")


@pytest.mark.parametrize("value", [
    "20270101", "2027-01-01", "20270101T000000Z", "2027-W01-1T00:00:00Z", "2027-01-01T00",
    "2027-001T00:00:00Z", "２０２７-01-01T00:00:00Z", "2027-01-01T00:00:00 +01:00",
])
def test_a_date_time_graph_would_not_read_is_refused(client: AppClient, value: str) -> None:
    before = _secrets(client)
    response = client.post(f"{_app_path(client)}/addPassword",
                           json={"passwordCredential": {"endDateTime": value}})
    message = _graph_error(response, "passwordCredential.endDateTime")
    assert "ISO 8601" in message
    assert _secrets(client) == before
    refused = client.post("/_mock/clock", json={"now": value})
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "now"


@pytest.mark.parametrize(("value", "end"), [
    ("2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
    ("2027-01-01T00:00Z", "2027-01-01T00:00:00Z"),
    ("2027-01-01T02:00:00+02:00", "2027-01-01T00:00:00Z"),
    ("2027-01-01T00:00:00.1234567Z", "2027-01-01T00:00:00Z"),
    ("2027-01-01T00:00:00", "2027-01-01T00:00:00Z"),
])
def test_the_forms_graph_reads_are_taken(client: AppClient, value: str, end: str) -> None:
    response = client.post(f"{_app_path(client)}/addPassword",
                           json={"passwordCredential": {"endDateTime": value}})
    assert response.status_code == 200, response.text
    assert response.json()["endDateTime"] == end


@pytest.mark.parametrize("text", ["１h", "٣h", "PT٣H", "P１D", "1h３0m", "²s"])
def test_a_duration_in_digits_other_than_ascii_is_refused(
        client: AppClient, clock: MockClock, text: str) -> None:
    before = clock.freeze()
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)
    response = client.post("/_mock/clock", json={"advance": text})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "advance"
    page = client.get(CONSOLE).text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert token
    pressed = client.post(f"{CONSOLE}/clock", data={"csrf": token.group(1), "advance": text})
    assert pressed.status_code == 400
    assert clock.now() == before


def test_ascii_durations_still_move_the_clock(client: AppClient, clock: MockClock) -> None:
    before = clock.freeze()
    assert client.post("/_mock/clock", json={"advance": "1h30m"}).status_code == 200
    assert client.post("/_mock/clock", json={"advance": "PT30M"}).status_code == 200
    assert clock.now() - before == timedelta(hours=2)


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_a_console_action_asked_with_another_method_is_a_405(
        client: AppClient, method: str) -> None:
    response = client.request(method, f"{CONSOLE}/clock")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"]["field"] == "method"


def test_an_unknown_console_action_asked_with_get_is_a_404(client: AppClient) -> None:
    response = client.get(f"{CONSOLE}/no-such-action")
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "action"
