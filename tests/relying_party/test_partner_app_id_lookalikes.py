"""``app_id`` is compared as ASCII, ignoring only ASCII case: ids that Unicode case folding or
white-space trimming would make equal to this app's are another app's."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from asgi_client import AppClient
from fake_op import FakeOp
from rp_support import ADMIN_HEADERS, MovableClock, RpHarness, installed_body, post_event

from relying_party import Settings, create_app

KIOSK = "kiosk-sso-app"


@pytest.fixture
def kiosk(
    make_settings: Callable[..., Settings], clock: MovableClock, op: FakeOp
) -> Iterator[RpHarness]:
    settings = make_settings(partner_app_id=KIOSK)
    app = create_app(settings, http_client=op.http_client())
    with AppClient(app, follow_redirects=False, headers=ADMIN_HEADERS) as client:
        yield RpHarness(settings=settings, client=client, clock=clock, op=op)


def _install(rp: RpHarness, app_id: str) -> tuple[int, dict[str, object]]:
    envelope = json.loads(installed_body(rp))
    envelope["app_id"] = app_id
    response = post_event(rp, json.dumps(envelope).encode())
    body: dict[str, object] = response.json()
    return response.status_code, body


def _installations(rp: RpHarness) -> list[object]:
    body: list[object] = rp.client.get("/api/admin/installations").json()
    return body


@pytest.mark.parametrize("app_id", [
    "Kiosk-\u017f\u017fo-app",  # long s, which casefold() turns into "s"
    "\u212aiosk-sso-app",  # Kelvin sign
    "\uff4biosk-sso-app",  # fullwidth k
])
def test_unicode_lookalikes_are_another_apps(kiosk: RpHarness, app_id: str) -> None:
    status, body = _install(kiosk, app_id)
    assert status == 403, body
    assert body["error"] == "wrong_app"
    assert _installations(kiosk) == []


@pytest.mark.parametrize("app_id", [
    "kiosk-sso-app\u00a0", "kiosk-sso-app\u3000", " kiosk-sso-app", "kiosk-sso-app\t",
])
def test_surrounding_white_space_is_refused(kiosk: RpHarness, app_id: str) -> None:
    status, body = _install(kiosk, app_id)
    assert status in (400, 403), body
    fields = body["fields"]
    assert isinstance(fields, dict) and list(fields) == ["app_id"]
    assert _installations(kiosk) == []


def test_ascii_case_is_ignored(kiosk: RpHarness) -> None:
    status, body = _install(kiosk, "KIOSK-SSO-APP")
    assert status == 200, body
    assert len(_installations(kiosk)) == 1
