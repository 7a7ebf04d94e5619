"""Platform events arrive out of order: a failed delivery is retried after 5 and then 10
minutes. Lifecycle events (installed, credentials rotated, uninstalled) change an installation
only when they are newer (``created_at``) than the last one applied to it; an older one is
answered 200 ``ignored_stale``. The platform rotates only an installed installation's
credentials, so a rotation of the same second as the install is the newer, and a late install of
the same second as a rotation is stale. An uninstall leaves a tombstone, even for an installation
never seen here, so a late ``app.installed`` does not bring it back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from asgi_client import AppClient
from fake_op import CLIENT_ID, TID, FakeOp, event, installed_links, sign_event
from rp_support import (
    ADMIN_HEADERS,
    INSTALLATION,
    PARTNER_CONTACT,
    START,
    RpHarness,
    launch,
    outcome,
    post_event,
)

from relying_party import Settings, create_app


def at(rp: RpHarness, minutes: float) -> datetime:
    """An event time ``minutes`` after the test's start (the clock is moved separately)."""
    return START + timedelta(minutes=minutes)


def installed(created_at: datetime, secret: str = "secret-0") -> bytes:
    return event("app.installed", {
        "installation_id": INSTALLATION, "account_id": TID, "account_name": "contoso",
        "client_id": CLIENT_ID, "client_secret": secret,
    }, created_at=created_at, links=installed_links())


def rotated(created_at: datetime, secret: str) -> bytes:
    return event("app.credentials_rotated", {
        "installation_id": INSTALLATION, "client_id": CLIENT_ID, "client_secret": secret,
    }, created_at=created_at)


def uninstalled(created_at: datetime, installation_id: str = INSTALLATION) -> bytes:
    return event("app.uninstalled", {"installation_id": installation_id, "account_id": TID},
                 created_at=created_at)


def installations(rp: RpHarness) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = rp.client.get("/api/admin/installations").json()
    return body


def test_late_install_after_uninstall_of_an_unknown_installation_is_ignored(
    rp: RpHarness,
) -> None:
    """The first delivery of ``app.installed`` failed; the uninstall arrives, then the retry."""
    install = installed(at(rp, 0))
    uninstall = uninstalled(at(rp, 1))
    rp.clock.advance(minutes=6)
    assert outcome(rp, uninstall) == "uninstalled"
    assert outcome(rp, install) == "ignored_stale"
    assert installations(rp) == []
    response = rp.client.get(f"/launch?installation_id={INSTALLATION}&user_id=x")
    rp.assert_failure_page(response, status=404, code="unknown_installation",
                           contact=PARTNER_CONTACT)


def test_late_install_does_not_reactivate_an_uninstalled_installation(rp: RpHarness) -> None:
    assert outcome(rp, installed(at(rp, 0))) == "installed"
    late = installed(at(rp, 1), secret="secret-late")  # its first delivery failed
    assert outcome(rp, uninstalled(at(rp, 2))) == "uninstalled"
    rp.clock.advance(minutes=7)
    assert outcome(rp, late) == "ignored_stale"
    [stored] = installations(rp)
    assert stored["active"] is False
    response = rp.client.get(f"/launch?installation_id={INSTALLATION}&user_id=x")
    rp.assert_failure_page(response, status=403, code="installation_inactive",
                           contact=PARTNER_CONTACT)
    # a newer install (the customer installs again) is applied
    again = installed(at(rp, 8), secret=rp.op.clients[CLIENT_ID].secret)
    assert outcome(rp, again) == "installed"
    assert installations(rp)[0]["active"] is True
    assert launch(rp).status_code == 303


def test_late_rotation_does_not_restore_a_revoked_secret(rp: RpHarness) -> None:
    assert outcome(rp, installed(at(rp, 0), secret=rp.op.clients[CLIENT_ID].secret)) == (
        "installed")
    first = rotated(at(rp, 1), "secret-1")
    second = rotated(at(rp, 6), "secret-2")
    rp.clock.advance(minutes=6)
    assert outcome(rp, second) == "credentials_rotated"
    rp.clock.advance(minutes=5)
    assert outcome(rp, first) == "ignored_stale"
    rp.op.clients[CLIENT_ID].secret = "secret-2"  # the platform revoked secret-1
    assert launch(rp).status_code == 303
    assert rp.me().json()["source_id"] == INSTALLATION


def test_rotation_older_than_an_uninstall_is_ignored(rp: RpHarness) -> None:
    assert outcome(rp, installed(at(rp, 0))) == "installed"
    rotation = rotated(at(rp, 1), "secret-1")
    assert outcome(rp, uninstalled(at(rp, 2))) == "uninstalled"
    assert outcome(rp, rotation) == "ignored_stale"  # answered 200: no retries for nothing
    assert installations(rp)[0]["active"] is False


def test_events_of_the_same_second_apply_in_arrival_order_but_uninstall_is_final(
    rp: RpHarness,
) -> None:
    moment = at(rp, 0)
    assert outcome(rp, installed(moment, secret="secret-0")) == "installed"
    assert outcome(rp, rotated(moment, rp.op.clients[CLIENT_ID].secret)) == (
        "credentials_rotated")
    assert launch(rp).status_code == 303
    assert outcome(rp, uninstalled(moment)) == "uninstalled"
    assert outcome(rp, installed(moment, secret="secret-again")) == "ignored_stale"
    assert outcome(rp, rotated(moment, "secret-again")) == "ignored_stale"
    assert installations(rp)[0]["active"] is False


def test_a_late_install_of_the_same_second_as_a_rotation_does_not_bring_back_its_secret(
    rp: RpHarness,
) -> None:
    assert outcome(rp, installed(at(rp, 0), secret="secret-0")) == "installed"
    moment = at(rp, 1)
    late = installed(moment, secret="secret-1")  # installed again; its delivery fails
    assert outcome(rp, rotated(moment, rp.op.clients[CLIENT_ID].secret)) == (
        "credentials_rotated")
    rp.clock.advance(minutes=6)
    assert outcome(rp, late) == "ignored_stale"  # what was installed, the rotation replaced
    assert launch(rp).status_code == 303


def test_a_stale_event_is_recorded_as_handled(rp: RpHarness) -> None:
    install = installed(at(rp, 0))
    assert outcome(rp, uninstalled(at(rp, 1))) == "uninstalled"
    assert outcome(rp, install) == "ignored_stale"
    assert post_event(rp, install).json()["status"] == "duplicate"


def test_tombstone_survives_a_restart(
    rp: RpHarness, make_settings: Callable[..., Settings], op: FakeOp
) -> None:
    install = installed(at(rp, 0))
    assert outcome(rp, uninstalled(at(rp, 1))) == "uninstalled"
    with AppClient(create_app(make_settings(), http_client=op.http_client()),
                   follow_redirects=False, headers=ADMIN_HEADERS) as again:
        response = again.post("/events", content=install, headers=sign_event(install))
        assert response.json()["outcome"] == "ignored_stale"
        assert again.get("/api/admin/installations").json() == []


def test_tombstones_of_unknown_installations_are_forgotten_once_no_event_can_pass_them(
    rp: RpHarness,
) -> None:
    """Past the freshness window an older ``app.installed`` is refused as stale anyway, so the
    tombstone of an id never installed here is dropped; an installed one keeps its record."""
    assert outcome(rp, installed(at(rp, 0))) == "installed"
    assert outcome(rp, uninstalled(at(rp, 0), installation_id="never-installed")) == (
        "uninstalled")
    assert outcome(rp, uninstalled(at(rp, 0))) == "uninstalled"
    late = installed(at(rp, 0))
    rp.clock.advance(minutes=40)
    assert outcome(rp, uninstalled(at(rp, 40), installation_id="another")) == "uninstalled"
    store = rp.client.app.state.rp.db.installations  # type: ignore[attr-defined]
    assert store.last_event("never-installed") is None
    assert store.last_event(INSTALLATION) is not None
    assert post_event(rp, late).status_code == 400  # stale: older than the window
