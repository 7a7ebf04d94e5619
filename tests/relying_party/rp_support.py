"""Shared helpers for the relying-party tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.testclient import TestClient

from relying_party import Settings

START = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)


class MovableClock:
    """A frozen clock tests move explicitly."""

    def __init__(self, at: datetime = START) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at += timedelta(**kwargs)


@dataclass
class RpHarness:
    settings: Settings
    client: TestClient
    clock: MovableClock

    def csrf(self) -> str:
        response = self.client.get("/admin")
        assert response.status_code == 200
        token = self.client.cookies.get("rp_csrf")
        assert token
        return token


VALID_CONNECTION: dict[str, str] = {
    "name": "Contoso",
    "authorization_uri": "https://login.op.test/contoso/oauth2/v2.0/authorize",
    "token_url": "https://login.op.test/contoso/oauth2/v2.0/token",
    "client_id": "client-123",
    "client_secret": "s3cret-value",
    "secret_expires_on": "2026-09-01",
    "support_contact": "helpdesk@contoso.test",
}
