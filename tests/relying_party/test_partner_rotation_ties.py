"""Two ``app.credentials_rotated`` created in the same second: the platform dates its events
to the second and gives no finer order, so the one that arrives second is kept beside the
current credentials (``credentials_tied``), not applied over them nor dropped. A sign-in or an
Apps API call whose secret the token endpoint refuses (AADSTS7000215, 7000222) is made again
with the spare, which then becomes the installation's; a newer rotation, a new install or an
uninstall drops the spares."""

from __future__ import annotations

from datetime import datetime

from fake_op import CLIENT_ID, TID, Client, event
from rp_support import (
    INSTALLATION,
    RpHarness,
    database,
    install,
    installed_body,
    launch,
    outcome,
    settle,
)


def rotated(created_at: datetime, secret: str) -> bytes:
    return event("app.credentials_rotated", {
        "installation_id": INSTALLATION, "account_id": TID, "client_id": CLIENT_ID,
        "client_secret": secret}, created_at=created_at)


def takes_only(rp: RpHarness, secret: str) -> None:
    """The platform's token endpoint takes ``secret`` and no other from now on."""
    rp.op.clients[CLIENT_ID] = Client(secret)


def token_requests(rp: RpHarness) -> list[str]:
    """The forms of the code exchanges (client_secret_post)."""
    return [r.content.decode() for r in rp.op.requests
            if r.url.path.endswith("/token") and b"authorization_code" in r.content]


def stored_secret(rp: RpHarness) -> str:
    installation = database(rp).installations.get(INSTALLATION)
    assert installation is not None
    return installation.client_secret


def test_a_late_rotation_of_the_same_second_does_not_bring_back_an_ended_secret(
        rp: RpHarness) -> None:
    install(rp)
    rp.clock.advance(seconds=1)
    first, second = rotated(rp.clock.now(), "secret-1"), rotated(rp.clock.now(), "secret-2")
    # the first one's delivery fails; the second is applied and acknowledged, which ends
    # secret-1 at the platform; the first comes again 5 minutes later
    assert outcome(rp, second) == "credentials_rotated"
    settle(rp.client)
    takes_only(rp, "secret-2")
    rp.clock.advance(minutes=5)
    assert outcome(rp, first) == "credentials_tied"
    assert stored_secret(rp) == "secret-2"
    assert launch(rp).status_code == 303
    assert len(token_requests(rp)) == 1  # the current secret, taken at once


def test_the_spare_is_taken_when_the_provider_refuses_the_current_secret(
        rp: RpHarness) -> None:
    install(rp)
    rp.clock.advance(seconds=1)
    first, second = rotated(rp.clock.now(), "secret-1"), rotated(rp.clock.now(), "secret-2")
    assert outcome(rp, first) == "credentials_rotated"
    rp.clock.advance(minutes=5)
    assert outcome(rp, second) == "credentials_tied"  # its first delivery failed
    settle(rp.client)
    assert stored_secret(rp) == "secret-1"
    takes_only(rp, "secret-2")  # the platform ended secret-1

    assert launch(rp).status_code == 303  # refused with secret-1, taken with secret-2
    assert rp.me().json()["source_id"] == INSTALLATION
    assert [("secret-1" in r, "secret-2" in r) for r in token_requests(rp)] == [
        (True, False), (False, True)]
    assert stored_secret(rp) == "secret-2"
    assert database(rp).installations.spares(INSTALLATION) == ()
    rp.client.cookies.clear()
    assert launch(rp).status_code == 303
    assert len(token_requests(rp)) == 3  # secret-2 first now


def test_a_spare_the_provider_refuses_too_leaves_the_refusal(rp: RpHarness) -> None:
    install(rp)
    rp.clock.advance(seconds=1)
    assert outcome(rp, rotated(rp.clock.now(), "secret-1")) == "credentials_rotated"
    assert outcome(rp, rotated(rp.clock.now(), "secret-2")) == "credentials_tied"
    takes_only(rp, "secret-3")
    response = launch(rp)
    rp.assert_failure_page(response, status=502, code="client_secret_invalid",
                           contact="support@partner-app.example")
    assert len(token_requests(rp)) == 2
    assert stored_secret(rp) == "secret-1"


def test_the_acknowledgement_of_a_tie_is_made_with_the_secret_the_platform_takes(
        rp: RpHarness) -> None:
    install(rp)
    settle(rp.client)
    rp.clock.advance(seconds=1)
    takes_only(rp, "secret-1")
    assert outcome(rp, rotated(rp.clock.now(), "secret-1")) == "credentials_rotated"
    settle(rp.client)
    takes_only(rp, "secret-2")
    assert outcome(rp, rotated(rp.clock.now(), "secret-2")) == "credentials_tied"
    settle(rp.client)
    acks = rp.op.apps_api.of("credentials")
    assert [(c.token_secret, c.body) for c in acks] == [
        ("secret-1", {"state": "acknowledged"}), ("secret-2", {"state": "acknowledged"})]
    [stored] = rp.client.get("/api/admin/installations").json()
    assert stored["credentials_ack"]["state"] == "acknowledged"
    assert stored_secret(rp) == "secret-2"
    assert rp.errors() == []


def test_a_newer_rotation_install_or_uninstall_drops_the_spares(rp: RpHarness) -> None:
    install(rp)
    spares = database(rp).installations.spares
    newer = {
        "rotation": lambda: rotated(rp.clock.now(), "secret-c"),
        "install": lambda: installed_body(rp),
        "uninstall": lambda: event("app.uninstalled", {
            "installation_id": INSTALLATION, "account_id": TID}, created_at=rp.clock.now()),
    }
    for kind, body in newer.items():
        rp.clock.advance(seconds=1)
        assert outcome(rp, rotated(rp.clock.now(), "secret-a")) == "credentials_rotated"
        assert outcome(rp, rotated(rp.clock.now(), "secret-b")) == "credentials_tied"
        assert spares(INSTALLATION) == ((CLIENT_ID, "secret-b"),)
        rp.clock.advance(seconds=1)
        assert outcome(rp, body()).startswith(("credentials_rotated", "installed",
                                               "uninstalled")), kind
        assert spares(INSTALLATION) == (), kind
