"""``If-Match`` on the admin API as RFC 9110 §13.1.1 reads it: ``*``, or a list of entity
tags of which one must be the record's ``ETag`` by the strong comparison (§8.8.3.2). A weak
tag, or one spelt otherwise (``"03"`` for ``"3"``), matches nothing: 412, nothing stored. A
list is read as a list, across header lines too (§5.3)."""

from __future__ import annotations

import pytest
from rp_support import RpHarness, etag_version

API = "/api/admin/connections"


def _at_version_3(rp: RpHarness) -> str:
    cid = rp.add_connection()
    for name in ("Two", "Three"):
        assert rp.client.patch(f"{API}/{cid}", json={"name": name},
                               headers={"If-Match": "*"}).status_code == 200
    assert etag_version(rp.client.get(f"{API}/{cid}")) == 3
    return cid


@pytest.mark.parametrize("tag", ['W/"3"', '"03"', '"v3"', '"1", "2"'])
def test_a_tag_that_does_not_strongly_match_is_412_and_stores_nothing(
        rp: RpHarness, tag: str) -> None:
    cid = _at_version_3(rp)
    response = rp.client.patch(f"{API}/{cid}", json={"name": "Changed"},
                               headers={"If-Match": tag})
    assert response.status_code == 412, response.text
    assert response.json()["error"] == "precondition_failed"
    assert set(response.json()["fields"]) == {"If-Match"}
    assert etag_version(response) == 3
    stored = rp.client.get(f"{API}/{cid}").json()
    assert (stored["name"], stored["version"]) == ("Three", 3)


def test_a_weak_tag_is_said_to_never_match(rp: RpHarness) -> None:
    cid = _at_version_3(rp)
    response = rp.client.delete(f"{API}/{cid}", headers={"If-Match": 'W/"3"'})
    assert response.status_code == 412, response.text
    assert "strong comparison" in response.json()["fields"]["If-Match"]
    assert rp.client.get(f"{API}/{cid}").status_code == 200


@pytest.mark.parametrize("header", [
    '"1", "3"', '"3", "1"', 'W/"3", "3"', ', "3",', '"2","3"'])
def test_a_list_naming_the_current_etag_applies_the_change(rp: RpHarness, header: str) -> None:
    cid = _at_version_3(rp)
    response = rp.client.patch(f"{API}/{cid}", json={"name": "Four"},
                               headers={"If-Match": header})
    assert response.status_code == 200, response.text
    assert (response.json()["name"], etag_version(response)) == ("Four", 4)


def test_two_if_match_lines_are_one_list(rp: RpHarness) -> None:
    cid = _at_version_3(rp)
    response = rp.client.post(f"{API}/{cid}/disable",
                              headers=[("If-Match", '"2"'), ("If-Match", '"3"')])
    assert response.status_code == 200, response.text
    assert response.json()["enabled"] is False


@pytest.mark.parametrize("header", ['*, "3"', "3", '"3" "1"', '"3', "", "W/3"])
def test_a_value_that_is_no_entity_tag_list_is_400_naming_if_match(
        rp: RpHarness, header: str) -> None:
    cid = _at_version_3(rp)
    response = rp.client.patch(f"{API}/{cid}", json={"name": "Changed"},
                               headers={"If-Match": header})
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"If-Match"}
    assert rp.client.get(f"{API}/{cid}").json()["name"] == "Three"


def test_a_body_version_outside_the_list_is_refused(rp: RpHarness) -> None:
    cid = _at_version_3(rp)
    response = rp.client.patch(f"{API}/{cid}", json={"name": "X", "version": 2},
                               headers={"If-Match": '"1", "3"'})
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"version"}
    stale = rp.client.patch(f"{API}/{cid}", json={"name": "X", "version": 1},
                            headers={"If-Match": '"1", "3"'})
    assert stale.status_code == 412, stale.text
    assert rp.client.get(f"{API}/{cid}").json()["name"] == "Three"


@pytest.mark.parametrize("tag", ['W/"3"', '"03"'])
def test_a_tag_naming_no_version_beside_a_body_version_is_412_not_a_conflict_of_versions(
        rp: RpHarness, tag: str) -> None:
    cid = _at_version_3(rp)
    response = rp.client.patch(f"{API}/{cid}", json={"name": "Changed", "version": 3},
                               headers={"If-Match": tag})
    assert response.status_code == 412, response.text
    assert set(response.json()["fields"]) == {"If-Match"}
    assert rp.client.get(f"{API}/{cid}").json()["name"] == "Three"
