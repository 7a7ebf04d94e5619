"""An admin's removal of a user while that user's sign-in waits on the provider (the code
exchange, UserInfo) ends that sign-in too: the removal ended the user's sessions, and the
callback must not make one after it, for the removed user or for a new user of the same
identity. The callback ends on the failure page (``state_expired``), storing no user and no
session. A sign-in begun after the removal makes a new user; the removal of another user
leaves the sign-in alone."""

from __future__ import annotations

import httpx
from asgi_client import AppClient
from rp_support import ADMIN_HEADERS, ANY_VERSION, RpHarness, database


def remove_meanwhile(rp: RpHarness, user_id: int) -> list[int]:
    """Remove the user with the admin API once, while the RP waits for UserInfo; the answer's
    status is added to the list returned."""
    answers: list[int] = []

    async def step() -> None:
        del rp.op.faults.meanwhile["userinfo"]
        transport = httpx.ASGITransport(app=rp.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                     headers=ADMIN_HEADERS) as admin:
            answers.append((await admin.delete(f"/api/admin/users/{user_id}",
                                                headers=ANY_VERSION)).status_code)

    rp.op.faults.meanwhile["userinfo"] = step
    return answers


def signed_in_user(rp: RpHarness, user: str) -> int:
    """Sign ``user`` in in a browser of its own; the local user's id."""
    browser = AppClient(rp.client.app, follow_redirects=False)
    location = browser.get("/widget").headers["location"]
    assert browser.get(rp.op.approve(location, user)).status_code == 303
    user_id: int = browser.get("/api/me").json()["id"]
    return user_id


def test_a_user_removed_during_their_sign_in_gets_no_session(rp: RpHarness) -> None:
    rp.add_connection()
    alice = signed_in_user(rp, "alice")
    callback = rp.op.approve(rp.start("/widget"), "alice")
    rp.clock.advance(seconds=1)
    answers = remove_meanwhile(rp, alice)
    record = rp.assert_failure_page(rp.client.get(callback), status=400, code="state_expired")
    assert answers == [204]
    assert "removed while you were signing in" in str(record["message"])
    assert "removed" in str(record["detail"])
    assert database(rp).users.all() == []
    assert database(rp).sessions.count() == 0


def test_a_sign_in_begun_after_the_removal_makes_a_new_user(rp: RpHarness) -> None:
    rp.add_connection()
    alice = signed_in_user(rp, "alice")
    assert rp.client.delete(f"/api/admin/users/{alice}", headers=ANY_VERSION).status_code == 204
    rp.clock.advance(seconds=1)
    assert rp.sign_in().status_code == 303
    assert rp.me().status_code == 200
    assert [u.id for u in database(rp).users.all()] != [alice]


def test_removing_another_user_leaves_the_sign_in_alone(rp: RpHarness) -> None:
    rp.add_connection()
    bob = signed_in_user(rp, "bob")
    callback = rp.op.approve(rp.start("/widget"), "alice")
    answers = remove_meanwhile(rp, bob)
    assert rp.client.get(callback).status_code == 303
    assert answers == [204]
    assert rp.me().json()["email"] == "alice@contoso.onmicrosoft.com"
