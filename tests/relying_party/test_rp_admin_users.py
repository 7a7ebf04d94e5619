"""The admin lists local users and removes one (its sessions end, its address is free again),
so the duplicate e-mail failure's hint can be followed: on the admin API and the admin page."""

from __future__ import annotations

from typing import Any

import pytest
from asgi_client import AppClient
from fake_op import TID
from rp_support import ANY_VERSION, RpHarness, second_connection

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
    response = rp.client.delete(f"/api/admin/users/{user['id']}",
                                headers={"If-Match": user["etag"]})
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


def _signed_in_user(rp: RpHarness) -> tuple[dict[str, Any], str]:
    """Alice signed in through a connection, then the admin signed in: her user, and the
    cookie of her session."""
    rp.add_connection()
    rp.clock.advance(seconds=90)
    rp.sign_in()
    session = rp.client.cookies.get("rp_session")
    assert session
    rp.client.cookies.clear()
    rp.admin_sign_in()
    [user] = rp.client.get("/api/admin/users").json()
    return user, session


def test_the_admin_pages_remove_asks_first_naming_the_user_and_what_removal_does(
        rp: RpHarness) -> None:
    user, _ = _signed_in_user(rp)
    action = f"/admin/users/{user['id']}/remove"
    page = rp.client.get("/admin").text
    assert f'data-user-id="{user["id"]}"' in page and ALICE in page
    assert f'<a href="{action}"' in page and f'method="post" action="{action}"' not in page
    confirm = rp.client.get(action)
    assert confirm.status_code == 200
    assert confirm.headers["cache-control"] == "no-store"
    assert f"Remove user {user['id']} ({ALICE})?" in confirm.text
    assert "Alice Adams" in confirm.text and "connection Contoso" in confirm.text
    assert "2026-03-01 09:01:30" in confirm.text  # the last sign-in
    assert "ends its sessions at once" in confirm.text
    assert "becomes free for another sign-in" in confirm.text
    assert f'method="post" action="{action}"' in confirm.text
    assert 'href="/admin#users"' in confirm.text
    assert [u["id"] for u in rp.client.get("/api/admin/users").json()] == [user["id"]]


def test_confirming_removes_the_user_and_ends_its_sessions(rp: RpHarness) -> None:
    user, session = _signed_in_user(rp)
    action = f"/admin/users/{user['id']}/remove"
    response = rp.client.post(action, data=rp.form_fields(action, action))
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin?user_removed={user['id']}#users"
    assert "removed, and its sessions ended" in rp.client.get(response.headers["location"]).text
    assert rp.client.get("/api/admin/users").json() == []
    rp.client.cookies.set("rp_session", session)
    assert rp.me().status_code == 401


def test_the_remove_page_and_form_need_an_admin_session(rp: RpHarness) -> None:
    user, session = _signed_in_user(rp)
    action = f"/admin/users/{user['id']}/remove"
    fields = rp.form_fields(action, action)
    anonymous = AppClient(rp.client.app, follow_redirects=False)
    anonymous.cookies.set("rp_csrf", rp.csrf())  # a CSRF token does not stand in for a session
    page = anonymous.get(action)
    assert page.status_code == 401 and "Admin sign-in" in page.text and ALICE not in page.text
    assert anonymous.post(action, data=fields).status_code == 401
    assert len(rp.client.get("/api/admin/users").json()) == 1
    rp.client.cookies.set("rp_session", session)
    assert rp.me().status_code == 200


@pytest.mark.parametrize("refusal", ["no token", "wrong token", "foreign origin"])
def test_a_confirmation_without_the_csrf_token_or_from_another_site_removes_nobody(
        rp: RpHarness, refusal: str) -> None:
    user, _ = _signed_in_user(rp)
    action = f"/admin/users/{user['id']}/remove"
    fields = rp.form_fields(action, action)
    headers = {"Origin": "https://evil.example"} if refusal == "foreign origin" else {}
    if refusal != "foreign origin":
        fields["csrf_token"] = "" if refusal == "no token" else "x" * 43
    response = rp.client.post(action, data=fields, headers=headers)
    assert response.status_code == 403 and "Form refused" in response.text
    assert len(rp.client.get("/api/admin/users").json()) == 1


def test_a_stale_confirmation_of_a_removed_user_is_a_404(rp: RpHarness) -> None:
    user, _ = _signed_in_user(rp)
    action = f"/admin/users/{user['id']}/remove"
    fields = rp.form_fields(action, action)  # the confirmation open in another tab
    assert rp.client.delete(f"/api/admin/users/{user['id']}",
                            headers=ANY_VERSION).status_code == 204
    response = rp.client.post(action, data=fields)
    assert response.status_code == 404 and "already removed" in response.text
    page = rp.client.get(action)
    assert page.status_code == 404 and "already removed" in page.text


def _unvouched_user_signed_in(rp: RpHarness) -> dict[str, Any]:
    """A user the provider does not vouch an address for signs in; then the admin does (the
    user's session cookie dropped). The user, as the admin API lists it."""
    rp.add_connection()
    rp.op.faults.claims["xms_edov"] = False
    rp.sign_in()
    rp.client.cookies.clear()
    rp.admin_sign_in()
    [user] = rp.client.get("/api/admin/users").json()
    return dict(user)


def test_a_confirmation_for_a_user_that_took_an_address_since_removes_nobody(
        rp: RpHarness) -> None:
    user = _unvouched_user_signed_in(rp)
    action = f"/admin/users/{user['id']}/remove"
    fields = rp.form_fields(action, action)
    assert fields["email"] == "" and "none is freed" in rp.client.get(action).text
    del rp.op.faults.claims["xms_edov"]
    admin_cookies = dict(rp.client.cookies)
    rp.client.cookies.clear()
    rp.sign_in()  # vouched for now: the user takes the address
    rp.client.cookies.update(admin_cookies)
    [now] = rp.client.get("/api/admin/users").json()
    assert now["id"] == user["id"] and now["email"] == ALICE
    response = rp.client.post(action, data=fields)
    assert response.status_code == 409 and "Changed meanwhile" in response.text
    assert len(rp.client.get("/api/admin/users").json()) == 1


@pytest.mark.parametrize("change", [
    {"created_at": "2025-01-01T00:00:00+00:00"},  # another user under this id
    {"email": "bob@contoso.onmicrosoft.com"}])
def test_a_confirmation_showing_another_user_removes_nobody(
        rp: RpHarness, change: dict[str, str]) -> None:
    user, _ = _signed_in_user(rp)
    action = f"/admin/users/{user['id']}/remove"
    response = rp.client.post(action, data={**rp.form_fields(action, action), **change})
    assert response.status_code == 409 and "not the one this page showed" in response.text
    assert len(rp.client.get("/api/admin/users").json()) == 1


@pytest.mark.parametrize("fields", [
    {}, {"email": ALICE}, {"created_at": "2026-03-01T09:01:30+00:00"},
    {"created_at": "yesterday", "email": ALICE},
    {"created_at": "2026-03-01T09:01:30", "email": ALICE},  # no offset
    {"created_at": "9" * 65, "email": ALICE}])
def test_a_remove_form_not_from_the_confirmation_page_removes_nobody(
        rp: RpHarness, fields: dict[str, str]) -> None:
    user, _ = _signed_in_user(rp)
    action = f"/admin/users/{user['id']}/remove"
    response = rp.client.post(action, data={"csrf_token": rp.csrf(), **fields})
    assert response.status_code == 400
    assert "created_at, email" in response.text and "Nothing was removed" in response.text
    assert len(rp.client.get("/api/admin/users").json()) == 1


@pytest.mark.parametrize("user_id", ["abc", "0", "9" * 30, "١"])
def test_the_remove_page_of_an_id_that_is_no_id_is_a_404(rp: RpHarness, user_id: str) -> None:
    rp.admin_sign_in()
    response = rp.client.get(f"/admin/users/{user_id}/remove")
    assert response.status_code == 404 and "No such user" in response.text


def test_a_user_not_vouched_for_shows_no_address(rp: RpHarness) -> None:
    _unvouched_user_signed_in(rp)
    assert "no verified address" in rp.client.get("/admin").text


def test_removing_a_user_with_no_address_does_not_say_an_address_was_freed(
        rp: RpHarness) -> None:
    user = _unvouched_user_signed_in(rp)
    assert user["email"] is None
    action = f"/admin/users/{user['id']}/remove"
    response = rp.client.post(action, data=rp.form_fields(action, action))
    page = rp.client.get(response.headers["location"]).text
    assert f"User {user['id']} removed, and its sessions ended" in page
    assert "its address is free again" not in page


def test_a_name_changed_at_the_provider_is_shown_from_the_next_sign_in(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    first = rp.me().json()
    assert first["name"] == "Alice Adams"
    rp.client.cookies.clear()
    rp.op.faults.claims = {"name": "Alice Smith"}
    rp.sign_in()
    again = rp.me().json()
    assert (again["id"], again["name"], again["email"]) == (first["id"], "Alice Smith", ALICE)
    assert "Alice Smith" in rp.client.get("/widget").text
    [user] = rp.client.get("/api/admin/users").json()
    assert (user["id"], user["name"]) == (first["id"], "Alice Smith")
    rp.admin_sign_in()
    row = rp.client.get("/admin").text.split(f'data-user-id="{first["id"]}"')[1].split("</tr>")[0]
    assert "<td>Alice Smith</td>" in row


def test_a_name_never_chooses_the_user(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in(user="alice")
    rp.client.cookies.clear()
    rp.op.faults.claims = {"name": "Alice Adams"}
    rp.sign_in(user="bob")
    users = {u["email"]: u for u in rp.client.get("/api/admin/users").json()}
    assert len(users) == 2
    assert users["bob@contoso.onmicrosoft.com"]["name"] == "Alice Adams"
    assert rp.me().json()["email"] == "bob@contoso.onmicrosoft.com"


def test_a_name_is_kept_trimmed_escaped_and_cut(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.claims = {"name": "  \u202eAlice" + "e" * 100_000 + "  "}
    rp.sign_in()
    name = rp.me().json()["name"]
    # cut to 256 characters as sent, then escaped: the escape counts as the one it stands for
    assert name == "\\u202eAlice" + "e" * 250
    rp.client.cookies.clear()
    rp.op.faults.claims = {"name": "   "}  # only white space: no name, the kept one stays
    rp.sign_in()
    assert rp.me().json()["name"] == name


def test_an_escape_is_never_cut_and_the_name_is_escaped_once_on_a_page(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.claims = {"name": "<b>Tom & Jerry</b>" + "a" * 237 + "\u202exyz"}
    rp.sign_in()
    name = rp.me().json()["name"]
    assert name == "<b>Tom & Jerry</b>" + "a" * 237 + "\\u202e"
    assert "Tom &amp; Jerry" in rp.client.get("/widget").text
    rp.admin_sign_in()
    page = rp.client.get("/admin").text
    assert f"<td>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;{'a' * 237}\\u202e</td>" in page
    assert "&amp;lt;" not in page and "&amp;amp;" not in page
    rp.client.cookies.clear()
    rp.op.faults.claims = {"name": "a" * 255 + " and more"}  # the cut leaves no white space
    rp.sign_in()
    assert rp.me().json()["name"] == "a" * 255
