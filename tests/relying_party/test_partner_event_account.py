"""An event about an installation the relying party holds must name that installation's
account when it names one. The platform signs every account's events with the same keys and an
installation belongs to one account, so an event naming another account would change this
installation on that account's behalf: it is refused (400 naming ``data.account_id``) and
changes nothing, and the same event naming the right account is applied afterwards (the
refusal recorded no event id)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from fake_op import CLIENT_ID, TID, USERS, event, installed_links
from rp_support import INSTALLATION, RpHarness, install, installed_body, post_event

OTHER_ACCOUNT = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
ALICE = USERS["alice"]

EVENTS: dict[str, dict[str, Any]] = {
    "app.updated": {"users": {"adding": [], "removing": [ALICE.oid]}},
    "app.uninstalled": {},
    "user.logout": {"user_id": ALICE.oid, "user_email": "alice@contoso.onmicrosoft.com"},
    "app.trial_started": {"expires_at": "2026-04-01T09:30:15Z"},
    "app.credentials_rotated": {"client_id": CLIENT_ID,
                                "client_secret": "rotated~Secret.Value-0123456789abcdef"},
}


def installations(rp: RpHarness) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = rp.client.get("/api/admin/installations").json()
    return listed


def refused(rp: RpHarness, body: bytes) -> None:
    response = post_event(rp, body)
    assert response.status_code == 400, response.text
    assert list(response.json()["fields"]) == ["data.account_id"], response.text


@pytest.mark.parametrize("event_type", list(EVENTS))
def test_an_event_naming_another_account_changes_nothing(rp: RpHarness, event_type: str) -> None:
    install(rp)
    before = installations(rp)
    event_id = secrets.token_hex(16)

    def body(account_id: str) -> bytes:
        data = {"installation_id": INSTALLATION, "account_id": account_id,
                **EVENTS[event_type]}
        return event(event_type, data, created_at=rp.clock.now(), event_id=event_id,
                     links={"installation": {"href": f"https://api.example/{INSTALLATION}"}})

    refused(rp, body(OTHER_ACCOUNT))
    assert installations(rp) == before
    applied = post_event(rp, body(TID))
    assert applied.status_code == 200, applied.text
    assert applied.json()["status"] == "processed", applied.text


def test_an_installed_event_cannot_move_an_active_installation_to_another_account(
        rp: RpHarness) -> None:
    install(rp)
    before = installations(rp)
    refused(rp, installed_body(rp, account_id=OTHER_ACCOUNT))
    assert installations(rp) == before
    assert post_event(rp, event("app.uninstalled", {"installation_id": INSTALLATION},
                                created_at=rp.clock.now())).status_code == 200
    # once uninstalled, the installation may begin again (the platform's ids are its own)
    rp.clock.advance(seconds=1)
    again = post_event(rp, installed_body(rp, account_id=OTHER_ACCOUNT))
    assert again.status_code == 200, again.text
    [stored] = installations(rp)
    assert (stored["account_id"], stored["active"]) == (OTHER_ACCOUNT, True)


def test_an_event_that_names_no_account_is_taken_as_before(rp: RpHarness) -> None:
    install(rp)
    response = post_event(rp, event("app.updated", {
        "installation_id": INSTALLATION, "users": {"adding": [], "removing": [ALICE.oid]}},
        created_at=rp.clock.now(), links=installed_links()))
    assert response.status_code == 200, response.text
    assert installations(rp)[0]["unlicensed_users"] == [ALICE.oid]
