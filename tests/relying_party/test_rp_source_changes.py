"""A connection or installation that stops signing people in ends sign-ins still in progress,
and sessions that outlived it: disabled, deleted or uninstalled while the provider was being
asked, the callback ends on the failure page instead of in a session."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from asgi_client import AppClient
from fake_op import CLIENT_ID, FakeOp, entra_error
from rp_support import (
    ADMIN_HEADERS,
    INSTALLATION,
    PARTNER_CONTACT,
    MovableClock,
    RpHarness,
    install,
    launch,
)

from relying_party import Settings, create_app
from relying_party.connection_admin import delete_connection, edit_connection, set_enabled
from relying_party.web import AppState


class _DuringToken(httpx.AsyncBaseTransport):
    """Runs ``hook`` once while the RP redeems the code at the provider."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.hook: Callable[[], None] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token") and self.hook is not None:
            hook, self.hook = self.hook, None
            hook()
        return await self.inner.handle_async_request(request)


@pytest.fixture
def hooked(
    make_settings: Callable[..., Settings], clock: MovableClock, op: FakeOp
) -> Iterator[tuple[RpHarness, _DuringToken]]:
    transport = _DuringToken(op.transport())
    settings = make_settings()
    app = create_app(settings, http_client=httpx.AsyncClient(transport=transport))
    with AppClient(app, follow_redirects=False, headers=ADMIN_HEADERS) as client:
        yield RpHarness(settings=settings, client=client, clock=clock, op=op), transport


def _state(rp: RpHarness) -> AppState:
    state: AppState = rp.client.app.state.rp  # type: ignore[attr-defined]
    return state


def test_connection_disabled_during_sign_in(hooked: tuple[RpHarness, _DuringToken]) -> None:
    rp, transport = hooked
    cid = rp.add_connection()
    state = _state(rp)
    connection = state.db.connections.get(cid)
    assert connection is not None
    transport.hook = lambda: set_enabled(state, connection, False) and None
    rp.assert_failure_page(rp.sign_in(), status=403, code="connection_disabled")
    assert state.db.users.all() == []  # a refused sign-in stores no user


def test_connection_deleted_during_sign_in(hooked: tuple[RpHarness, _DuringToken]) -> None:
    rp, transport = hooked
    cid = rp.add_connection()
    state = _state(rp)
    connection = state.db.connections.get(cid)
    assert connection is not None
    transport.hook = lambda: delete_connection(state, connection)
    rp.assert_failure_page(rp.sign_in(), status=400, code="state_expired",
                           contact=rp.settings.default_support_contact)
    assert state.db.users.all() == []


def test_a_refusal_of_the_secret_sent_before_a_new_one_was_saved_is_marked_older(
        hooked: tuple[RpHarness, _DuringToken]) -> None:
    """The new secret is saved while the token request with the old one is under way: the
    refusal that comes back after it is the old secret's, not the new one's."""
    rp, transport = hooked
    cid = rp.add_connection()
    state = _state(rp)
    connection = state.db.connections.get(cid)
    assert connection is not None

    rp.clock.advance(days=1)

    def save_new_secret() -> None:
        edit_connection(state, connection, {"client_secret": "brand-new-secret",
                                            "secret_expires_on": "2027-03-01"})
        rp.clock.advance(seconds=3)  # the provider answers later

    transport.hook = save_new_secret
    rp.op.faults.token_error = entra_error(
        401, "invalid_client", 7000222,
        f"The provided client secret keys for app '{CLIENT_ID}' are expired.")
    ref = rp.assert_failure_page(rp.sign_in(), status=502, code="client_secret_expired")["ref"]
    health = rp.client.get(f"/api/admin/connections/{cid}").json()["health"]
    assert health["errors_before_secret"] == [ref]
    assert health["secret_expired"] is False
    rp.admin_sign_in()
    assert re.search(rf"{ref}</a>[^<]*<span class=\"muted\" data-before-secret>",
                     rp.client.get("/admin").text)


def test_uninstalled_during_sign_in(hooked: tuple[RpHarness, _DuringToken]) -> None:
    rp, transport = hooked
    install(rp)
    state = _state(rp)
    transport.hook = lambda: state.db.deactivate_installation(INSTALLATION, rp.clock.now()) and None
    rp.assert_failure_page(launch(rp), status=403, code="installation_inactive",
                           contact=PARTNER_CONTACT)
    assert state.db.users.all() == []


def test_session_of_a_disabled_connection_is_not_honoured(rp: RpHarness) -> None:
    """Were a session to outlive its connection's disabling, it is refused all the same."""
    cid = rp.add_connection()
    assert rp.sign_in().status_code == 303
    assert rp.me().status_code == 200
    state = _state(rp)
    # Disabled behind the admin code's back, so its sessions were not ended.
    with state.db.transaction() as conn:
        conn.execute("UPDATE connections SET enabled=0 WHERE id=?", (cid,))
    assert rp.me().status_code == 401


def test_session_of_an_inactive_installation_is_not_honoured(rp: RpHarness) -> None:
    install(rp)
    assert launch(rp).status_code == 303
    assert rp.me().status_code == 200
    state = _state(rp)
    with state.db.transaction() as conn:
        conn.execute("UPDATE installations SET active=0 WHERE installation_id=?", (INSTALLATION,))
    assert rp.me().status_code == 401


def test_client_id_changed_during_sign_in(hooked: tuple[RpHarness, _DuringToken]) -> None:
    rp, transport = hooked
    cid = rp.add_connection()
    state = _state(rp)
    connection = state.db.connections.get(cid)
    assert connection is not None
    transport.hook = lambda: edit_connection(
        state, connection, {"client_id": "another-client", "client_secret": "another-secret",
                            "secret_expires_on": "2027-01-01"}
    ) and None
    rp.assert_failure_page(rp.sign_in(), status=400, code="state_expired")
    assert state.db.users.all() == []
