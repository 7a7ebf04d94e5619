"""The client secret's health says what sign-in will do: the provider's last answer to the
secret (a refusal, or a sign-in on a day after the end date) outweighs the end date typed, the
end date counts as expired from its first moment, and a new secret comes with its own end
date, after today (the clock starts at 2026-03-01)."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_op import CLIENT_ID, entra_error
from rp_support import ADMIN_HEADERS, ANY_VERSION, OP_CONNECTION, VALID_CONNECTION, RpHarness

from relying_party.db import Database
from relying_party.db import connections as connections_table

EXPIRED = entra_error(401, "invalid_client", 7000222,
                      f"The provided client secret keys for app '{CLIENT_ID}' are expired.")
WRONG = entra_error(401, "invalid_client", 7000215, "Invalid client secret provided.")


def _health(rp: RpHarness, cid: str) -> dict[str, Any]:
    health: dict[str, Any] = rp.client.get(f"/api/admin/connections/{cid}").json()["health"]
    return health


def _patch(rp: RpHarness, cid: str, **changes: str) -> tuple[int, dict[str, Any]]:
    response = rp.client.patch(f"/api/admin/connections/{cid}", json=changes, headers=ANY_VERSION)
    body: dict[str, Any] = response.json()
    return response.status_code, body


def _secret_cell(rp: RpHarness, cid: str) -> str:
    page = rp.client.get("/admin").text
    section = page[page.index(f'data-connection-id="{cid}"'):]
    match = re.search(r"<td data-secret-health>(.*?)</td>", section, re.S)
    assert match, section
    return " ".join(match.group(1).split())


def test_a_refused_expired_secret_stays_expired_when_only_the_date_changes(
        rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.op.faults.token_error = EXPIRED
    rp.assert_failure_page(rp.sign_in(), status=502, code="client_secret_expired")
    assert _patch(rp, cid, secret_expires_on="2026-08-24")[0] == 200

    health = _health(rp, cid)
    assert health["days_until_secret_expiry"] == 176
    assert health["secret_expired"] is True
    assert health["secret_refused"] == {"idp_error_code": "AADSTS7000222",
                                        "at": "2026-03-01T09:00:00+00:00"}
    rp.admin_sign_in()
    cell = _secret_cell(rp, cid)
    assert "refused this secret as expired (AADSTS7000222)" in cell
    assert "Renew the secret" in cell
    assert "Expires in" not in cell


def test_a_new_secret_with_its_date_clears_the_refusal(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.op.faults.token_error = EXPIRED
    rp.sign_in()
    rp.clock.advance(minutes=5)
    status, body = _patch(rp, cid, client_secret="brand-new-secret",
                          secret_expires_on="2027-03-01")
    assert status == 200, body
    assert body["health"]["secret_expired"] is False
    assert body["health"]["secret_refused"] is None
    assert body["health"]["secret_saved_at"] == "2026-03-01T09:05:00+00:00"


def test_a_wrong_secret_is_reported_until_a_sign_in_succeeds(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.op.faults.token_error = WRONG
    rp.assert_failure_page(rp.sign_in(), status=502, code="client_secret_invalid")
    health = _health(rp, cid)
    assert (health["secret_invalid"], health["secret_expired"]) == (True, False)
    rp.admin_sign_in()
    assert "refused this secret as wrong (AADSTS7000215)" in _secret_cell(rp, cid)

    rp.op.faults.token_error = None
    assert rp.sign_in().status_code == 303
    assert _health(rp, cid)["secret_invalid"] is False
    assert _health(rp, cid)["secret_refused"] is None


def test_a_refusal_of_a_secret_no_longer_stored_says_nothing_of_the_new_one(
        rp: RpHarness) -> None:
    """A sign-in begun with the old secret may fail after the new one was saved."""
    cid = rp.add_connection()
    assert _patch(rp, cid, client_secret="brand-new-secret",
                  secret_expires_on="2027-03-01")[0] == 200
    db = rp.client.app.state.rp.db  # type: ignore[attr-defined]
    db.connections.record_secret_refused(cid, OP_CONNECTION["client_secret"], "AADSTS7000222",
                                         rp.clock.now())
    assert _health(rp, cid)["secret_expired"] is False


def _save_secret_while_userinfo_waits(
        rp: RpHarness, cid: str, secret: str,
        then: Callable[[httpx.AsyncClient], Awaitable[None]] | None = None) -> None:
    """While the next sign-in's callback waits on UserInfo (its code already redeemed with the
    secret it began with), the admin saves ``secret`` as the connection's new one; ``then``
    runs next with the admin's client."""
    async def meanwhile() -> None:
        del rp.op.faults.meanwhile["userinfo"]
        transport = httpx.ASGITransport(app=rp.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                     headers=ADMIN_HEADERS) as other:
            saved = await other.patch(f"/api/admin/connections/{cid}", json={
                "client_secret": secret, "secret_expires_on": "2027-03-01"}, headers=ANY_VERSION)
            assert saved.status_code == 200, saved.text
            if then is not None:
                await then(other)

    rp.op.faults.meanwhile["userinfo"] = meanwhile


def test_a_sign_in_with_the_old_secret_finishing_late_keeps_the_new_ones_refusal(
        rp: RpHarness) -> None:
    """Alice's code is redeemed with the old secret; while her callback waits on UserInfo,
    the admin saves a new secret the provider does not know and Bob's sign-in with it is
    refused. Alice's sign-in then succeeds: it says nothing of the new secret."""
    cid = rp.add_connection()
    alice = rp.op.approve(rp.start("/widget"), "alice")
    answers: list[httpx.Response] = []

    async def bob_signs_in(other: httpx.AsyncClient) -> None:
        start = await other.get("/widget")
        bob = rp.op.approve(start.headers["location"], "bob")
        answers.append(await other.get(bob))

    _save_secret_while_userinfo_waits(rp, cid, "not-the-providers", then=bob_signs_in)
    assert rp.client.get(alice).status_code == 303
    assert [a.status_code for a in answers] == [502]
    health = _health(rp, cid)
    assert health["secret_invalid"] is True
    assert health["secret_refused"]["idp_error_code"] == "AADSTS7000215"


def test_a_sign_in_with_the_old_secret_finishing_late_does_not_vouch_for_the_new_one(
        rp: RpHarness) -> None:
    """Alice's code is redeemed with the old secret; while her callback waits on UserInfo,
    the admin saves a new secret. Her sign-in succeeds, and is the connection's last one, but
    the new secret has never been accepted: when its date on record is corrected to a past
    one, the secret is expired, not "accepted after its end date"."""
    cid = rp.add_connection()
    alice = rp.op.approve(rp.start("/widget"), "alice")
    _save_secret_while_userinfo_waits(rp, cid, "brand-new-secret")
    rp.clock.advance(minutes=5)
    assert rp.client.get(alice).status_code == 303
    assert _patch(rp, cid, secret_expires_on="2026-02-01")[0] == 200

    health = _health(rp, cid)
    assert health["last_login_at"] == "2026-03-01T09:05:00+00:00"
    assert health["secret_accepted_at"] is None
    assert (health["secret_expired"], health["secret_accepted_after_end_date"]) == (True, False)
    rp.admin_sign_in()
    cell = _secret_cell(rp, cid)
    assert "Expired 28 day(s) ago (2026-02-01)" in cell
    assert "still accepted" not in cell


def test_a_database_made_before_acceptances_were_kept_takes_the_last_sign_in_since_the_secret(
        tmp_path: Path) -> None:
    path = str(tmp_path / "rp.db")
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.executescript(connections_table.SCHEMA.replace(
            ",\n    secret_accepted_at TEXT", ""))
        for cid, saved in (("since", "2026-03-01T08:00:00+00:00"),
                           ("before", "2026-03-01T10:00:00+00:00")):
            conn.execute(
                "INSERT INTO connections (id, name, authorization_uri, token_url, client_id,"
                " client_secret, secret_expires_on, support_contact, client_auth_method,"
                " enabled, created_at, updated_at, last_login_at, secret_saved_at)"
                " VALUES (?, 'x', 'a', 't', 'c', 's', '2027-01-01', 'h', 'client_secret_post',"
                " 1, '2026-01-01T00:00:00+00:00', ?, '2026-03-01T09:00:00+00:00', ?)",
                (cid, saved, saved))
    db = Database(path)
    try:
        accepted = {c.id: c.secret_accepted_at for c in db.connections.all()}
    finally:
        db.close()
    assert accepted == {"since": datetime(2026, 3, 1, 9, tzinfo=UTC), "before": None}


def test_the_end_date_itself_counts_as_expired(rp: RpHarness) -> None:
    cid = rp.add_connection(secret_expires_on="2026-03-02")
    rp.clock.advance(days=1)
    health = _health(rp, cid)
    assert (health["days_until_secret_expiry"], health["secret_expired"]) == (0, True)
    rp.admin_sign_in()
    cell = _secret_cell(rp, cid)
    assert "Ends today (2026-03-02)" in cell and "Renew the secret" in cell
    assert "0 day(s)" not in cell
    rp.clock.advance(days=-1, seconds=-1)  # the day before: not yet
    assert _health(rp, cid)["secret_expired"] is False


def test_a_sign_in_after_the_end_date_outweighs_the_date(rp: RpHarness) -> None:
    """The date typed was wrong: the provider still takes the secret. A success on the end
    date itself says nothing of the rest of that day, and a later refusal wins again."""
    cid = rp.add_connection(secret_expires_on="2026-03-02")
    rp.clock.advance(days=1)
    assert rp.sign_in().status_code == 303  # on the end date
    rp.clock.advance(days=1)
    assert _health(rp, cid)["secret_expired"] is True

    assert rp.sign_in().status_code == 303
    health = _health(rp, cid)
    assert (health["days_until_secret_expiry"], health["secret_expired"],
            health["secret_accepted_after_end_date"]) == (-1, False, True)
    rp.admin_sign_in()
    cell = _secret_cell(rp, cid)
    assert "The end date on record (2026-03-02) is past, but the provider still accepted" in cell
    assert "Expired" not in cell

    rp.client.cookies.clear()  # a new browser
    rp.op.faults.token_error = EXPIRED
    rp.assert_failure_page(rp.sign_in(), status=502, code="client_secret_expired")
    health = _health(rp, cid)
    assert (health["secret_expired"], health["secret_accepted_after_end_date"]) == (True, False)


@pytest.mark.parametrize("value", ["2020-01-01", "0001-01-01", "2026-03-01"])
def test_a_new_secret_that_ended_already_is_refused(rp: RpHarness, value: str) -> None:
    response = rp.client.post("/api/admin/connections",
                              json={**VALID_CONNECTION, "secret_expires_on": value})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"secret_expires_on"}
    assert "must end after today (2026-03-01, UTC)" in response.json()["fields"][
        "secret_expires_on"]
    cid = rp.add_connection()
    status, body = _patch(rp, cid, client_secret="brand-new-secret", secret_expires_on=value)
    assert (status, set(body["fields"])) == (400, {"secret_expires_on"})
    assert rp.client.get("/api/admin/connections").json()[0]["version"] == 1


def test_a_new_secret_needs_its_own_end_date(rp: RpHarness) -> None:
    cid = rp.add_connection(secret_expires_on="2026-03-10")
    rp.clock.advance(days=20)
    status, body = _patch(rp, cid, client_secret="brand-new-secret")
    assert (status, set(body["fields"])) == (400, {"secret_expires_on"})
    assert "new secret's end date" in body["fields"]["secret_expires_on"]

    # the form always sends the date field: the old (past) date is refused, naming it
    rp.admin_sign_in()
    edit = f"/admin/connections/{cid}"
    form = {**OP_CONNECTION, "client_secret": "brand-new-secret",
            "secret_expires_on": "2026-03-10", **rp.form_fields(f"{edit}/edit", edit)}
    response = rp.client.post(edit, data=form)
    assert response.status_code == 400
    assert 'id="secret_expires_on-error"' in response.text
    assert "Client secret expiry date is in the past (2026-03-10)" in response.text
    assert _health(rp, cid)["secret_expired"] is True

    response = rp.client.post(edit, data={**form, "secret_expires_on": "2027-03-20"})
    assert response.status_code == 303
    assert _health(rp, cid)["secret_expired"] is False


def test_a_date_only_edit_keeps_a_past_date(rp: RpHarness) -> None:
    """Correcting the stored date of the secret in use is not a new secret."""
    cid = rp.add_connection()
    status, body = _patch(rp, cid, secret_expires_on="2026-02-01")
    assert status == 200, body
    assert body["health"]["secret_expired"] is True


def test_a_new_client_id_needs_the_secret_again(rp: RpHarness) -> None:
    cid = rp.add_connection()
    status, body = _patch(rp, cid, client_id="another-app")
    assert (status, set(body["fields"])) == (400, {"client_secret"})
    assert "Client ID changed" in body["fields"]["client_secret"]
    rp.admin_sign_in()
    edit = f"/admin/connections/{cid}"
    response = rp.client.post(edit, data={**OP_CONNECTION, "client_secret": "",
                                          "client_id": "another-app",
                                          **rp.form_fields(f"{edit}/edit", edit)})
    assert response.status_code == 400
    assert 'id="client_secret-error"' in response.text
    assert rp.client.get(f"/api/admin/connections/{cid}").json()["client_id"] == CLIENT_ID


def test_errors_before_the_current_secret_are_marked_older(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.op.faults.token_error = EXPIRED
    ref = rp.assert_failure_page(rp.sign_in(), status=502, code="client_secret_expired")["ref"]
    rp.clock.advance(minutes=5)
    rp.admin_sign_in()
    edit = f"/admin/connections/{cid}"
    response = rp.client.post(edit, data={**OP_CONNECTION, "client_secret": "brand-new-secret",
                                          "secret_expires_on": "2027-03-01",
                                          **rp.form_fields(f"{edit}/edit", edit)})
    assert (response.status_code, response.headers["location"]) == (
        303, f"/admin?saved={cid}&version=2&secret=new")
    page = rp.client.get(response.headers["location"]).text
    notice = re.search(r'<p role="status" id="notice">([^<]*)</p>', page)
    assert notice and notice.group(1).startswith("Connection Contoso")
    assert "saved with a new client secret" in notice.group(1)
    assert re.search(rf"{ref}</a>[^<]*<span class=\"muted\" data-before-secret>"
                     r"\(before the current secret\)", page)
    assert _health(rp, cid)["errors_before_secret"] == [ref]
