"""The admin lists local users and removes one (its sessions end, its address is free again),
so the duplicate e-mail failure's hint can be followed: on the admin API and the admin page."""

from __future__ import annotations

import pytest
from fake_op import TID
from rp_support import RpHarness, second_connection

ALICE = "alice@contoso.onmicrosoft.com"


def _second_connection(rp: RpHarness) -> str:
    return second_connection(rp, "Second")


def test_the_api_lists_each_user_with_where_it_signs_in(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.clock.advance(seconds=60)
    rp.sign_in()
    [user] = rp.client.get("/api/admin/users").json()
    assert user["email"] == ALICE and user["name"] == "Alice Adams"
    assert user["identities"] == [{"source_kind": "connection", "source_id": cid,
                                   "issuer": user["identities"][0]["issuer"]}]
    assert TID in user["identities"][0]["issuer"]
    assert user["created_at"] == user["last_sign_in_at"]
    rp.client.cookies.clear()
    rp.clock.advance(seconds=60)
    rp.sign_in()
    [again] = rp.client.get("/api/admin/users").json()
    assert again["created_at"] == user["created_at"]
    assert again["last_sign_in_at"] > user["last_sign_in_at"]


def test_removing_the_holder_of_an_address_lets_its_owner_sign_in(rp: RpHarness) -> None:
    first = rp.add_connection(name="First")
    rp.sign_in(f"/sso/{first}/widget")
    holder = rp.client.cookies.get("rp_session")
    rp.client.cookies.clear()
    second = _second_connection(rp)
    rp.assert_failure_page(rp.sign_in(f"/sso/{second}/widget"), status=409,
                           code="duplicate_email", contact="it@other.test")
    [user] = rp.client.get("/api/admin/users").json()
    response = rp.client.delete(f"/api/admin/users/{user['id']}")
    assert response.status_code == 204
    assert rp.client.get("/api/admin/users").json() == []
    # the holder's session ended with it
    rp.client.cookies.set("rp_session", str(holder))
    assert rp.me().status_code == 401
    rp.client.cookies.clear()
    assert rp.sign_in(f"/sso/{second}/widget").status_code == 303
    assert rp.me().json()["email"] == ALICE
    assert rp.client.delete(f"/api/admin/users/{user['id']}").json() == {
        "error": "not_found", "error_description": "no user with this id"}


@pytest.mark.parametrize("user_id", ["abc", "0", "-1", "1.5", "9" * 30, "١"])
def test_a_user_id_that_is_no_id_is_refused_naming_the_field(rp: RpHarness, user_id: str) -> None:
    response = rp.client.delete(f"/api/admin/users/{user_id}")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request" and "user_id" in body["fields"]


def test_the_users_routes_need_the_admin_token(rp: RpHarness) -> None:
    for method in ("GET", "DELETE"):
        path = "/api/admin/users" + ("/1" if method == "DELETE" else "")
        response = rp.client.request(method, path, headers={"Authorization": "Bearer wrong" * 3})
        assert response.status_code == 401, method


def test_the_admin_page_lists_users_and_removes_one_with_its_csrf_token(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    rp.client.cookies.clear()
    rp.admin_sign_in()
    [user] = rp.client.get("/api/admin/users").json()
    page = rp.client.get("/admin").text
    assert f'data-user-id="{user["id"]}"' in page and ALICE in page
    action = f"/admin/users/{user['id']}/remove"
    assert rp.client.post(action, data={"csrf_token": "x" * 43}).status_code == 403
    assert rp.client.get("/api/admin/users").json() != []
    response = rp.client.post(action, data=rp.form_fields("/admin", action))
    assert response.status_code == 303
    assert "removed" in rp.client.get(response.headers["location"]).text
    assert rp.client.get("/api/admin/users").json() == []
    assert rp.client.post(action, data={"csrf_token": rp.csrf()}).status_code == 404


def test_a_user_not_vouched_for_shows_no_address(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.claims["xms_edov"] = False
    rp.sign_in()
    rp.client.cookies.clear()
    rp.admin_sign_in()
    assert "no verified address" in rp.client.get("/admin").text


def test_removing_a_user_with_no_address_does_not_say_an_address_was_freed(
        rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.claims["xms_edov"] = False
    rp.sign_in()
    rp.client.cookies.clear()
    rp.admin_sign_in()
    [user] = rp.client.get("/api/admin/users").json()
    assert user["email"] is None
    action = f"/admin/users/{user['id']}/remove"
    response = rp.client.post(action, data=rp.form_fields("/admin", action))
    page = rp.client.get(response.headers["location"]).text
    assert f"User {user['id']} removed, and its sessions ended" in page
    assert "its address is free again" not in page
