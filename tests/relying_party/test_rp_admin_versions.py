"""Every change to a stored connection names the version it was made from, on the admin API
(``If-Match`` or a ``"version"`` member, else 428 naming ``If-Match``) and on the admin page
(its forms' hidden ``version``): a replace, delete, enable or disable made from an old read
never undoes another admin's save. A user's removal on the API names the user as listed (its
``etag``)."""

from __future__ import annotations

import pytest
from rp_support import ANY_VERSION, OP_CONNECTION, RpHarness, etag_version

API = "/api/admin/connections"

CHANGES = [
    ("PUT", "", {**OP_CONNECTION, "client_secret": "", "name": "Replaced"}),
    ("DELETE", "", None),
    ("POST", "/enable", None),
    ("POST", "/disable", None),
]


def _stored(rp: RpHarness, cid: str) -> dict[str, object]:
    body: dict[str, object] = rp.client.get(f"{API}/{cid}").json()
    return body


@pytest.mark.parametrize(("method", "suffix", "body"), CHANGES)
def test_a_change_naming_no_version_is_refused_naming_if_match(
        rp: RpHarness, method: str, suffix: str, body: dict[str, object] | None) -> None:
    cid = rp.add_connection()
    url = f"{API}/{cid}{suffix}"
    before = _stored(rp, cid)
    response = rp.client.request(method, url, json=body)
    assert response.status_code == 428, response.text
    refused = response.json()
    assert refused["error"] == "precondition_required"
    assert set(refused["fields"]) == {"If-Match"}
    assert "If-Match" in refused["error_description"] and method in refused[
        "error_description"]
    assert response.headers["cache-control"] == "no-store"
    assert _stored(rp, cid) == before
    # an unknown connection is one whatever the request names
    assert rp.client.request(method, f"{API}/nope{suffix}", json=body).status_code == 404


@pytest.mark.parametrize(("method", "suffix", "body"), CHANGES)
def test_a_change_from_a_stale_version_stores_nothing(
        rp: RpHarness, method: str, suffix: str, body: dict[str, object] | None) -> None:
    cid = rp.add_connection()
    url = f"{API}/{cid}{suffix}"
    assert rp.client.patch(f"{API}/{cid}", json={"support_contact": "it@contoso.test"},
                           headers={"If-Match": '"1"'}).status_code == 200
    before = _stored(rp, cid)
    stale = rp.client.request(method, url, json=body, headers={"If-Match": '"1"'})
    assert (stale.status_code, stale.json()["error"]) == (412, "precondition_failed")
    assert (set(stale.json()["fields"]), etag_version(stale)) == ({"If-Match"}, 2)
    assert stale.headers["etag"] == rp.client.get(f"{API}/{cid}").headers["etag"]
    in_body = rp.client.request(method, url, json={**(body or {}), "version": 1})
    assert (in_body.status_code, set(in_body.json()["fields"])) == (409, {"version"})
    assert _stored(rp, cid) == before
    # the version it is at, or "*", applies it
    for headers in ({"If-Match": '"2"'}, ANY_VERSION):
        done = rp.client.request(method, url, json=body, headers=headers)
        assert done.status_code in (200, 204), done.text
        if method == "DELETE":
            break


@pytest.mark.parametrize("suffix", ["/enable", "/disable"])
def test_a_toggle_refuses_members_it_does_not_take(rp: RpHarness, suffix: str) -> None:
    cid = rp.add_connection()
    response = rp.client.post(f"{API}/{cid}{suffix}", json={"enabled": False, "version": 1})
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"enabled"}
    assert _stored(rp, cid)["version"] == 1
    refused = rp.client.request("DELETE", f"{API}/{cid}", json={"force": True},
                                headers=ANY_VERSION)
    assert (refused.status_code, set(refused.json()["fields"])) == (400, {"force"})
    assert _stored(rp, cid)["version"] == 1


@pytest.mark.parametrize("action", ["disable", "enable"])
def test_the_admin_pages_toggle_is_made_from_the_version_it_showed(
        rp: RpHarness, action: str) -> None:
    cid = rp.add_connection()
    if action == "enable":
        assert rp.client.post(f"{API}/{cid}/disable", headers=ANY_VERSION).status_code == 200
    rp.admin_sign_in()
    toggle = f"/admin/connections/{cid}/{action}"
    form = rp.form_fields("/admin", toggle)
    shown = form["version"]
    without = rp.client.post(toggle, data={"csrf_token": form["csrf_token"]})
    assert without.status_code == 400 and "Form expired" in without.text
    # another tab changes the connection after this page was shown
    assert rp.client.patch(f"{API}/{cid}", json={"name": "Contoso Ltd"},
                           headers={"If-Match": f'"{shown}"'}).status_code == 200
    before = _stored(rp, cid)
    stale = rp.client.post(toggle, data=form)
    assert stale.status_code == 409 and "Changed meanwhile" in stale.text
    assert _stored(rp, cid) == before
    fresh = rp.client.post(toggle, data=rp.form_fields("/admin", toggle))
    assert fresh.status_code == 303
    assert _stored(rp, cid)["enabled"] is (action == "enable")


def test_a_user_is_removed_from_the_listing_it_was_shown_in(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.claims["xms_edov"] = False  # no address vouched for: the user has none
    rp.sign_in()
    rp.client.cookies.clear()
    [listed] = rp.client.get("/api/admin/users").json()
    url = f"/api/admin/users/{listed['id']}"
    bare = rp.client.delete(url)
    assert bare.status_code == 428, bare.text
    assert (bare.json()["error"], set(bare.json()["fields"])) == (
        "precondition_required", {"If-Match"})
    del rp.op.faults.claims["xms_edov"]
    rp.sign_in()  # vouched for now: the user takes the address
    rp.client.cookies.clear()
    [now] = rp.client.get("/api/admin/users").json()
    assert (now["id"], now["etag"] != listed["etag"]) == (listed["id"], True)
    stale = rp.client.delete(url, headers={"If-Match": listed["etag"]})
    assert (stale.status_code, stale.json()["error"]) == (412, "precondition_failed")
    assert (set(stale.json()["fields"]), stale.headers["etag"]) == ({"If-Match"}, now["etag"])
    for malformed in (now["etag"][1:], f'*, {now["etag"]}'):
        bad = rp.client.delete(url, headers={"If-Match": malformed})
        assert (bad.status_code, set(bad.json()["fields"])) == (400, {"If-Match"})
    for unmatched in ("W/" + now["etag"], f'{listed["etag"]}, "0"'):  # weak: never matches
        bad = rp.client.delete(url, headers={"If-Match": unmatched})
        assert (bad.status_code, bad.headers["etag"]) == (412, now["etag"])
    assert rp.client.get("/api/admin/users").json() == [now]
    twice = rp.client.delete(url, headers=[("If-Match", '"0"'), ("If-Match", now["etag"])])
    assert twice.status_code == 204  # two lines are one list, and one of it matches
    assert rp.client.get("/api/admin/users").json() == []



@pytest.mark.parametrize(("action", "page", "not_done"), [
    ("enable", "/admin", "so it was not enabled"),
    ("disable", "/admin", "so it was not disabled"),
    ("delete", "/admin/connections/{cid}/delete", "so it was not deleted"),
    ("edit", "/admin/connections/{cid}/edit", "nothing was saved: saving would have put back"),
])
def test_a_stale_admin_form_says_what_it_did_not_do(
        rp: RpHarness, action: str, page: str, not_done: str) -> None:
    cid = rp.add_connection()
    if action == "enable":
        assert rp.client.post(f"{API}/{cid}/disable", headers=ANY_VERSION).status_code == 200
    rp.admin_sign_in()
    target = f"/admin/connections/{cid}" + ("" if action == "edit" else f"/{action}")
    form = rp.form_fields(page.format(cid=cid), target)
    name = str(_stored(rp, cid)["name"])
    if action == "delete":
        form["confirm_name"] = name
    elif action == "edit":
        form.update(name="Contoso (stale tab)", client_secret="")
    assert rp.client.patch(f"{API}/{cid}", json={"support_contact": "it@contoso.test"},
                           headers={"If-Match": f'"{form["version"]}"'}).status_code == 200
    before = _stored(rp, cid)
    stale = rp.client.post(target, data=form)
    assert stale.status_code == 409 and "Changed meanwhile" in stale.text
    assert f"The connection {name} changed after" in stale.text and not_done in stale.text
    assert (action == "edit") is ("put back" in stale.text)
    assert _stored(rp, cid) == before
