"""A back-channel logout token with both ``sub`` and ``sid`` (Back-Channel Logout §2.6-2.7):
when its ``sub`` is not the user its ``sid`` signed in through the token's client, it is
refused (400, ``fields.logout_token``) and ends nothing, neither a session nor a sign-in in
progress. ``sub`` is pairwise on Entra ID, so sessions of the same ``sid`` in another app
(another client id) are not compared with it."""

from __future__ import annotations

from typing import Any

from asgi_client import AppClient
from fake_op import CLIENT_ID, USERS, Client, FakeOp
from rp_support import RpHarness

OTHER_CLIENT = "5d1c9a7e-2f4b-4c8d-9e6a-3b7f1d0c2a58"
OTHER_SECRET = "rp7Q~Another.Relying.Party.Secret-Value02"


def backchannel(rp: RpHarness, token: str) -> Any:
    return rp.client.post("/auth/backchannel-logout", data={"logout_token": token})


def browser(rp: RpHarness) -> AppClient:
    return AppClient(rp.client.app, follow_redirects=False)


def sign_in(rp: RpHarness, client: AppClient, user: str, path: str = "/widget") -> None:
    location = client.get(path).headers["location"]
    assert client.get(rp.op.approve(location, user)).status_code == 303
    assert client.get("/api/me").status_code == 200


def sub_of(user: str, client_id: str = CLIENT_ID) -> str:
    return FakeOp.subject(USERS[user], client_id)


def assert_refused(response: Any) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["error_description"] == "sub_sid_mismatch"
    assert set(body["fields"]) == {"logout_token"}
    assert "sub" in body["fields"]["logout_token"] and "sid" in body["fields"]["logout_token"]
    assert "no-store" in response.headers["cache-control"]


def test_a_sub_of_another_user_than_the_sid_is_refused_and_ends_no_session(
    rp: RpHarness,
) -> None:
    rp.add_connection()
    rp.sign_in(user="alice")
    bob = browser(rp)
    sign_in(rp, bob, "bob")
    assert_refused(backchannel(rp, rp.op.logout_token(user="alice", sub=sub_of("bob"))))
    assert rp.me().json()["subject"] == sub_of("alice")
    assert rp.client.get("/widget").status_code == 200  # the session still opens the app
    assert bob.get("/api/me").status_code == 200
    # the token's own user, by both, is still signed out as before
    assert backchannel(rp, rp.op.logout_token(user="alice")).status_code == 200
    assert rp.me().status_code == 401
    assert bob.get("/api/me").status_code == 200


def test_a_refused_token_ends_no_sign_in_in_progress_either(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in(user="alice")
    other = browser(rp)
    callback = rp.op.approve(other.get("/widget").headers["location"], "alice")  # same sid
    assert_refused(backchannel(rp, rp.op.logout_token(user="alice", sub=sub_of("bob"))))
    assert other.get(callback).status_code == 303
    assert other.get("/api/me").status_code == 200


def test_the_sub_of_the_sid_in_another_app_is_not_compared(rp: RpHarness) -> None:
    """One Entra sign-in session (one ``sid``) in two apps: the user has a ``sub`` in each.
    A logout token for one app names her by that app's ``sub``, and still ends both."""
    rp.op.clients[OTHER_CLIENT] = Client(OTHER_SECRET)
    first = rp.add_connection(name="First")
    second = rp.add_connection(name="Second", client_id=OTHER_CLIENT,
                               client_secret=OTHER_SECRET)
    sign_in(rp, rp.client, "alice", f"/sso/{first}/widget")
    other = browser(rp)
    # another local user (e-mail addresses are unique): the identity is another sub
    rp.op.faults.claims.update(email="alice.second@contoso.test")
    sign_in(rp, other, "alice", f"/sso/{second}/widget")
    assert other.get("/api/me").json()["subject"] == sub_of("alice", OTHER_CLIENT)
    assert backchannel(rp, rp.op.logout_token(user="alice")).status_code == 200
    assert rp.me().status_code == 401
    assert other.get("/api/me").status_code == 401
