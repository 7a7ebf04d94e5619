"""The admin's connection forms and calls: a save from a stale form or version stores nothing,
the add form adds once however often it is sent, a delete needs its confirmation, the pages
show the redirect URIs to register, and each refusal says what happened."""

from __future__ import annotations

import re

from rp_support import OP_CONNECTION, VALID_CONNECTION, RpHarness, etag_version


def _edit_form(rp: RpHarness, cid: str) -> dict[str, str]:
    """The edit form as a tab opened now would send it."""
    edit = f"/admin/connections/{cid}"
    return {**OP_CONNECTION, "client_secret": "", **rp.form_fields(f"{edit}/edit", edit)}


def _stored(rp: RpHarness, cid: str) -> dict[str, object]:
    body: dict[str, object] = rp.client.get(f"/api/admin/connections/{cid}").json()
    return body


def test_a_stale_tab_cannot_put_old_values_back(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.admin_sign_in()
    tab_a, tab_b = _edit_form(rp, cid), _edit_form(rp, cid)
    saved = rp.client.post(f"/admin/connections/{cid}", data={
        **tab_a, "client_secret": "brand-new-secret", "secret_expires_on": "2027-03-01",
        "support_contact": "it@contoso.test"})
    assert saved.status_code == 303
    stale = rp.client.post(f"/admin/connections/{cid}", data={**tab_b, "name": "Contoso Ltd"})
    assert stale.status_code == 409
    assert "changed after this form was opened" in stale.text
    assert "nothing was saved" in stale.text
    stored = _stored(rp, cid)
    assert (stored["name"], stored["support_contact"], stored["secret_expires_on"]) == (
        "Contoso", "it@contoso.test", "2027-03-01")
    # a form opened now shows the stored values, and saves
    assert 'value="2027-03-01"' in rp.client.get(f"/admin/connections/{cid}/edit").text
    fresh = {**_edit_form(rp, cid), "secret_expires_on": "2027-03-01",
             "support_contact": "it@contoso.test"}
    assert rp.client.post(f"/admin/connections/{cid}",
                          data={**fresh, "name": "Contoso Ltd"}).status_code == 303
    assert _stored(rp, cid)["name"] == "Contoso Ltd"


def test_an_edit_form_without_its_version_is_refused(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.admin_sign_in()
    form = {k: v for k, v in _edit_form(rp, cid).items() if k != "version"}
    response = rp.client.post(f"/admin/connections/{cid}", data={**form, "name": "X"})
    assert response.status_code == 400
    assert _stored(rp, cid)["name"] == "Contoso"


def test_the_api_compares_if_match_and_the_version_member(rp: RpHarness) -> None:
    cid = rp.add_connection()
    url = f"/api/admin/connections/{cid}"
    first = rp.client.get(url)
    assert (etag_version(first), first.json()["version"]) == (1, 1)
    changed = rp.client.patch(url, json={"support_contact": "it@contoso.test"},
                              headers={"If-Match": '"1"'})
    assert (changed.status_code, etag_version(changed)) == (200, 2)

    stale = rp.client.patch(url, json={"name": "Old tab"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["error"] == "precondition_failed"
    assert "changed since" in stale.json()["error_description"]
    assert stale.headers["etag"] == changed.headers["etag"]
    assert set(stale.json()["fields"]) == {"If-Match"}
    in_body = rp.client.patch(url, json={"name": "Old tab", "version": 1})
    assert (in_body.status_code, in_body.json()["error"]) == (409, "conflict")
    assert set(in_body.json()["fields"]) == {"version"}
    assert rp.client.delete(url, headers={"If-Match": '"1"'}).status_code == 412
    assert rp.client.post(f"{url}/disable", headers={"If-Match": '"1"'}).status_code == 412
    stored = _stored(rp, cid)
    assert (stored["name"], stored["enabled"], stored["version"]) == ("Contoso", True, 2)

    for malformed in ('"2', "2", '"2" "3"'):
        bad = rp.client.patch(url, json={"name": "X"}, headers={"If-Match": malformed})
        assert (bad.status_code, set(bad.json()["fields"])) == (400, {"If-Match"})
    for unmatched in ('W/"2"', '"²"'.encode("latin-1"), '"99999999999999999999"', '"02"'):
        bad = rp.client.patch(url, json={"name": "X"}, headers={"If-Match": unmatched})
        assert (bad.status_code, set(bad.json()["fields"])) == (412, {"If-Match"})
    bad = rp.client.patch(url, json={"name": "X", "version": "2"})
    assert (bad.status_code, set(bad.json()["fields"])) == (400, {"version"})
    assert rp.client.patch(url, json={"name": "New", "version": 2}).status_code == 200
    assert rp.client.delete(url, headers={"If-Match": '"3"'}).status_code == 204


def test_the_add_form_sent_twice_adds_one_connection(rp: RpHarness) -> None:
    rp.admin_sign_in()
    form = {**VALID_CONNECTION, **rp.form_fields("/admin", "/admin/connections")}
    first = rp.client.post("/admin/connections", data=form)
    second = rp.client.post("/admin/connections", data=form)
    [conn] = rp.client.get("/api/admin/connections").json()
    assert first.headers["location"] == f"/admin?created={conn['id']}"
    assert second.status_code == 303
    assert second.headers["location"] == f"/admin?created={conn['id']}&repeated=1"
    notice = re.search(r'<p role="status" id="notice">([^<]*)</p>',
                       rp.client.get(second.headers["location"]).text)
    assert notice and "had been sent already: it was added once" in notice.group(1)
    # a new page's form adds another
    again = {**VALID_CONNECTION, **rp.form_fields("/admin", "/admin/connections")}
    assert again["form_nonce"] != form["form_nonce"]
    assert rp.client.post("/admin/connections", data=again).status_code == 303
    assert len(rp.client.get("/api/admin/connections").json()) == 2


def test_the_add_form_without_its_nonce_adds_nothing(rp: RpHarness) -> None:
    rp.admin_sign_in()
    response = rp.client.post("/admin/connections",
                              data={**VALID_CONNECTION, "csrf_token": rp.csrf()})
    assert response.status_code == 400
    assert rp.client.get("/api/admin/connections").json() == []


def test_the_redirect_uris_to_register_are_shown(rp: RpHarness) -> None:
    cid = rp.add_connection()
    body = _stored(rp, cid)
    assert body["redirect_uri"] == f"http://testserver/auth/callback/{cid}"
    assert body["post_logout_redirect_uri"] == "http://testserver/signed-out"
    rp.admin_sign_in()
    page = rp.client.get("/admin").text
    section = page[page.index(f'data-connection-id="{cid}"'):page.index("</section>")]
    assert f"<code data-redirect-uri>http://testserver/auth/callback/{cid}</code>" in section
    installations = page[page.index("<h2>Partner installations</h2>"):]
    assert ("<code data-installation-redirect-uri>http://testserver/auth/callback/installation"
            "</code>") in installations
    assert "<code data-post-logout-redirect-uri>http://testserver/signed-out</code>" in section


def test_delete_needs_the_typed_name(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.admin_sign_in()
    page = rp.client.get("/admin").text
    assert f'action="/admin/connections/{cid}/delete"' not in page
    assert f'href="/admin/connections/{cid}/delete"' in page
    delete = f"/admin/connections/{cid}/delete"
    confirm = rp.client.get(delete)
    assert confirm.status_code == 200
    assert f"http://testserver/sso/{cid}/widget" in confirm.text
    assert "disable the connection instead" in confirm.text
    hidden = rp.form_fields(delete, delete)
    assert rp.client.post(delete, data={"csrf_token": hidden["csrf_token"],
                                        "confirm_name": "Contoso"}).status_code == 400
    assert rp.client.post(delete, data=hidden).status_code == 400
    wrong = rp.client.post(delete, data={**hidden, "confirm_name": "contoso"})
    assert wrong.status_code == 400 and 'id="confirm_name-error"' in wrong.text
    assert rp.client.get("/api/admin/connections").json() != []
    done = rp.client.post(delete, data={**hidden, "confirm_name": " Contoso "})
    assert (done.status_code, done.headers["location"]) == (303, "/admin?deleted=1")
    assert rp.client.get("/api/admin/connections").json() == []


def test_a_foreign_origin_is_named_as_such(rp: RpHarness) -> None:
    rp.admin_sign_in()
    response = rp.client.post("/admin/connections",
                              data={**VALID_CONNECTION,
                                    **rp.form_fields("/admin", "/admin/connections")},
                              headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert "came from another site (https://evil.example)" in response.text
    assert "security token" not in response.text
    missing = rp.client.post("/admin/connections", data=VALID_CONNECTION)
    assert missing.status_code == 403 and "security token" in missing.text


def test_an_unknown_action_is_not_a_missing_connection(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.admin_sign_in()
    token = rp.csrf()
    response = rp.client.post(f"/admin/connections/{cid}/frobnicate", data={"csrf_token": token})
    assert response.status_code == 404
    assert "No such action on a connection: &#39;frobnicate&#39;" in response.text
    assert "No such SSO connection" not in response.text
    response = rp.client.post("/admin/connections/nope/disable", data={"csrf_token": token})
    assert response.status_code == 404 and "No such SSO connection" in response.text


def test_a_saved_edit_says_so(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.admin_sign_in()
    response = rp.client.post(f"/admin/connections/{cid}",
                              data={**_edit_form(rp, cid), "name": "Contoso Ltd"})
    assert (response.status_code, response.headers["location"]) == (
        303, f"/admin?saved={cid}&version=2")
    notice = re.search(r'<p role="status" id="notice">([^<]*)</p>',
                       rp.client.get(response.headers["location"]).text)
    assert notice and notice.group(1) == f"Connection Contoso Ltd ({cid}) saved."


def test_a_patch_naming_no_version_is_refused_naming_if_match(rp: RpHarness) -> None:
    cid = rp.add_connection()
    url = f"/api/admin/connections/{cid}"
    response = rp.client.patch(url, json={"name": "Fabrikam"})
    assert response.status_code == 428, response.text
    body = response.json()
    assert body["error"] == "precondition_required"
    assert set(body["fields"]) == {"If-Match"}
    assert "If-Match" in body["error_description"]
    assert response.headers["cache-control"] == "no-store"
    assert _stored(rp, cid)["name"] == "Contoso" and _stored(rp, cid)["version"] == 1
    # its ETag, the version member or "*" each name one
    for name, headers, body_version in (("Fabrikam", {"If-Match": '"1"'}, {}),
                                        ("Northwind", {}, {"version": 2}),
                                        ("Tailspin", {"If-Match": "*"}, {})):
        saved = rp.client.patch(url, json={"name": name, **body_version}, headers=headers)
        assert saved.status_code == 200, saved.text
    assert _stored(rp, cid)["version"] == 4
    # an unknown connection is one whatever the request names
    unknown = rp.client.patch("/api/admin/connections/nope", json={"name": "Fabrikam"})
    assert unknown.status_code == 404


def test_a_name_sent_decomposed_is_confirmed_as_typed(rp: RpHarness) -> None:
    """A name an API call sent decomposed (e + U+0301) is confirmed by the composed é a
    keyboard types: the same text (NFC), not another name."""
    cid = rp.add_connection(name="Cafe\u0301 Contoso")
    rp.admin_sign_in()
    delete = f"/admin/connections/{cid}/delete"
    hidden = rp.form_fields(delete, delete)
    other = rp.client.post(delete, data={**hidden, "confirm_name": "Cafe Contoso"})
    assert other.status_code == 400
    done = rp.client.post(delete, data={**hidden, "confirm_name": "Caf\u00e9 Contoso"})
    assert (done.status_code, done.headers["location"]) == (303, "/admin?deleted=1")
