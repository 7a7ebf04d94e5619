"""``HEAD`` on the admin API's connection routes answers as ``GET`` does, without the body
(RFC 9110 §9.3.2): it reads, never creates nor changes a connection, whatever it carries."""

from __future__ import annotations

import json

from rp_support import OP_CONNECTION, RpHarness, etag_version

API = "/api/admin/connections"


def test_a_head_on_a_connection_answers_as_its_get(rp: RpHarness) -> None:
    cid = rp.add_connection()
    got = rp.client.get(f"{API}/{cid}")
    response = rp.client.head(f"{API}/{cid}")
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert response.headers["etag"] == got.headers["etag"]
    assert etag_version(response) == 1
    assert rp.client.head(f"{API}/nothing").status_code == 404


def test_a_head_on_the_list_creates_nothing_whatever_it_carries(rp: RpHarness) -> None:
    response = rp.client.request("HEAD", API, content=json.dumps(OP_CONNECTION),
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert rp.client.get(API).json() == []


def test_a_head_with_a_body_changes_no_connection(rp: RpHarness) -> None:
    cid = rp.add_connection()
    before = rp.client.get(f"{API}/{cid}").json()
    response = rp.client.request("HEAD", f"{API}/{cid}", content=b'{"name": "Changed"}',
                                 headers={"Content-Type": "application/json", "If-Match": "*"})
    assert response.status_code == 200, response.text
    assert rp.client.get(f"{API}/{cid}").json() == before
