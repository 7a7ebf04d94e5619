"""A sign-in belongs to the connection it began with: deleted (made again under the same id or
not), disabled and enabled again, or given another client id, provider or token endpoint
before the callback comes, the callback ends on the failure page (``state_expired``, the
connection's contact as it is now, the default one when it is gone) and the code the provider
issued is never redeemed, least of all at another token endpoint or as another client. Edits
that leave the redemption as it was keep the sign-in, and a new sign-in works."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from fake_op import AUTHORIZE, TID, TOKEN
from rp_support import ANY_VERSION, OP_CONNECTION, RpHarness

from relying_party.db import Database
from relying_party.db import connections as connections_table
from relying_party.db import logins as logins_table

OTHER_TID = "0f0e0d0c-0b0a-0908-0706-050403020100"
OTHER_CLIENT = {"client_id": "11111111-2222-3333-4444-555555555555",
                "client_secret": "other-secret-value-123456", "secret_expires_on": "2026-12-01"}


def _approved(rp: RpHarness, cid: str) -> str:
    """The callback URL of a sign-in through ``cid`` the provider approved."""
    return rp.op.approve(rp.start(f"/sso/{cid}/widget"), "alice")


def _token_requests(rp: RpHarness) -> int:
    return sum(1 for request in rp.op.requests if request.url.path.endswith("/token"))


def _assert_outdated(rp: RpHarness, callback: str, *, contact: str) -> None:
    redeemed = _token_requests(rp)
    record = rp.assert_failure_page(rp.client.get(callback), status=400, code="state_expired",
                                    contact=contact)
    assert "its code was not redeemed" in str(record["detail"])
    assert _token_requests(rp) == redeemed  # the code went to no token endpoint


def test_a_connection_deleted_and_made_again_under_its_id_ends_the_sign_in(
        rp: RpHarness) -> None:
    cid = rp.add_connection(id="acme")
    callback = _approved(rp, cid)
    assert rp.client.delete(f"/api/admin/connections/{cid}",
                            headers=ANY_VERSION).status_code == 204
    rp.add_connection(id="acme", support_contact="it@fabrikam.test")
    _assert_outdated(rp, callback, contact="it@fabrikam.test")
    assert rp.sign_in(f"/sso/{cid}/widget").status_code == 303  # a new sign-in works
    assert rp.me().status_code == 200


def test_a_connection_deleted_and_not_made_again_ends_the_sign_in_as_outdated(
        rp: RpHarness) -> None:
    cid = rp.add_connection(id="acme")
    callback = _approved(rp, cid)
    assert rp.client.delete(f"/api/admin/connections/{cid}",
                            headers=ANY_VERSION).status_code == 204
    record = rp.assert_failure_page(rp.client.get(callback), status=400, code="state_expired",
                                    contact=rp.settings.default_support_contact)
    assert "deleted during this sign-in" in str(record["detail"])
    assert _token_requests(rp) == 0  # the code went to no token endpoint


def test_a_connection_made_again_for_another_provider_never_gets_the_old_code(
        rp: RpHarness) -> None:
    cid = rp.add_connection(id="acme")
    callback = _approved(rp, cid)
    assert rp.client.delete(f"/api/admin/connections/{cid}",
                            headers=ANY_VERSION).status_code == 204
    rp.add_connection(id="acme", authorization_uri=AUTHORIZE.replace(TID, OTHER_TID),
                      token_url=TOKEN.replace(TID, OTHER_TID), **OTHER_CLIENT)
    _assert_outdated(rp, callback, contact=OP_CONNECTION["support_contact"])
    health = rp.client.get(f"/api/admin/connections/{cid}").json()["health"]
    assert health["secret_invalid"] is False


def test_a_connection_disabled_and_enabled_again_ends_the_sign_in(rp: RpHarness) -> None:
    cid = rp.add_connection()
    callback = _approved(rp, cid)
    assert rp.client.post(f"/api/admin/connections/{cid}/disable",
                          headers=ANY_VERSION).status_code == 200
    assert rp.client.post(f"/api/admin/connections/{cid}/enable",
                          headers=ANY_VERSION).status_code == 200
    _assert_outdated(rp, callback, contact=OP_CONNECTION["support_contact"])
    assert rp.sign_in(f"/sso/{cid}/widget").status_code == 303
    assert rp.me().status_code == 200


def test_another_client_id_ends_the_sign_in_without_redeeming_its_code(
        rp: RpHarness) -> None:
    cid = rp.add_connection()
    callback = _approved(rp, cid)
    response = rp.client.patch(f"/api/admin/connections/{cid}", json=OTHER_CLIENT,
                               headers=ANY_VERSION)
    assert response.status_code == 200, response.text
    _assert_outdated(rp, callback, contact=OP_CONNECTION["support_contact"])
    health = rp.client.get(f"/api/admin/connections/{cid}").json()["health"]
    assert health["secret_invalid"] is False  # the new secret was never tried with the old code


def test_another_provider_ends_the_sign_in(rp: RpHarness) -> None:
    cid = rp.add_connection()
    callback = _approved(rp, cid)
    response = rp.client.patch(f"/api/admin/connections/{cid}", json={
        "authorization_uri": AUTHORIZE.replace(TID, OTHER_TID),
        "token_url": TOKEN.replace(TID, OTHER_TID)}, headers=ANY_VERSION)
    assert response.status_code == 200, response.text
    _assert_outdated(rp, callback, contact=OP_CONNECTION["support_contact"])


def test_edits_that_leave_the_redemption_as_it_was_keep_the_sign_in(rp: RpHarness) -> None:
    cid = rp.add_connection()
    callback = _approved(rp, cid)
    response = rp.client.patch(f"/api/admin/connections/{cid}", json={
        "name": "Contoso Ltd", "support_contact": "it@contoso.test",
        "secret_expires_on": "2026-12-31"}, headers=ANY_VERSION)
    assert response.status_code == 200, response.text
    assert rp.client.get(callback).status_code == 303
    assert rp.me().status_code == 200


def test_a_connection_made_again_under_its_id_starts_without_the_old_ones_failures(
        rp: RpHarness) -> None:
    cid = rp.add_connection(id="acme")
    location = rp.start(f"/sso/{cid}/widget")
    denied = rp.client.get(rp.op.deny(location, "access_denied", "AADSTS65004: declined"))
    assert denied.status_code == 403, denied.text
    old = rp.client.get(f"/api/admin/connections/{cid}").json()["health"]["recent_errors"]
    assert len(old) == 1
    assert rp.client.delete(f"/api/admin/connections/{cid}",
                            headers=ANY_VERSION).status_code == 204
    rp.add_connection(id="acme", support_contact="it@fabrikam.test")
    health = rp.client.get(f"/api/admin/connections/{cid}").json()["health"]
    assert health["recent_errors"] == []
    assert health["errors_before_secret"] == []
    # The failure's reference still resolves, for the user who quotes it.
    assert rp.client.get(f"/api/admin/errors/{old[0]}").status_code == 200


def test_a_database_made_before_lifetimes_were_kept_gets_them(tmp_path: Path) -> None:
    path = str(tmp_path / "rp.db")
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.executescript(connections_table.SCHEMA.replace(
            ",\n    lifetime TEXT NOT NULL DEFAULT ''", ""))
        conn.executescript(logins_table.SCHEMA.replace(
            ",\n    source_lifetime TEXT NOT NULL DEFAULT ''", ""))
        columns = {row[1] for row in conn.execute("PRAGMA table_info(login_transactions)")}
        assert "source_lifetime" not in columns
    db = Database(path)
    try:
        assert db.connections.all() == []
        assert db.logins.get("unknown") is None
    finally:
        db.close()
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        for table, column in (("connections", "lifetime"),
                              ("login_transactions", "source_lifetime")):
            assert column in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
