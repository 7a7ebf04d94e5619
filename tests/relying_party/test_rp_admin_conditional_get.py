"""Conditional reads of a connection (RFC 9110 §13.1.2, §15.4.5): ``If-None-Match`` naming its
``ETag`` (by the weak comparison) or ``*`` answers 304 with the ``ETag`` and no body. The
``ETag`` covers the whole body, ``health`` included, so a 304 never hides a change of health at
the same version; a change's ``If-Match`` names the version only, so health changing between
an admin's read and save does not make the save stale. ``If-Match`` on a read (§13.1.1) is
412 when it names another version, compared as a change compares it, and is evaluated before
``If-None-Match`` (§13.2.2)."""

from __future__ import annotations

import pytest
from rp_support import RpHarness, etag_version

API = "/api/admin/connections"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("given", ["{tag}", "W/{tag}", '"9", {tag}', "*"])
def test_if_none_match_naming_the_etag_is_304_without_a_body(
        rp: RpHarness, method: str, given: str) -> None:
    cid = rp.add_connection()
    tag = rp.client.get(f"{API}/{cid}").headers["etag"]
    response = rp.client.request(method, f"{API}/{cid}",
                                 headers={"If-None-Match": given.format(tag=tag)})
    assert response.status_code == 304, response.text
    assert (response.headers["etag"], response.content) == (tag, b"")


def test_another_tag_gets_the_connection(rp: RpHarness) -> None:
    cid = rp.add_connection()
    old = rp.client.get(f"{API}/{cid}").headers["etag"]
    assert rp.client.patch(f"{API}/{cid}", json={"name": "New"},
                           headers={"If-Match": old}).status_code == 200
    response = rp.client.get(f"{API}/{cid}", headers={"If-None-Match": old})
    assert (response.status_code, response.json()["name"]) == (200, "New")
    assert rp.client.get(f"{API}/nope", headers={"If-None-Match": "*"}).status_code == 404


def test_health_changing_at_the_same_version_is_not_hidden_by_a_304(rp: RpHarness) -> None:
    cid = rp.add_connection()
    before = rp.client.get(f"{API}/{cid}")
    rp.clock.advance(days=2)
    after = rp.client.get(f"{API}/{cid}", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200, after.text
    assert (after.json()["version"], etag_version(after)) == (1, 1)
    assert (after.json()["health"]["days_until_secret_expiry"]
            == before.json()["health"]["days_until_secret_expiry"] - 2)
    assert after.headers["etag"] != before.headers["etag"]
    # the save made from the first read is not stale: health is no state a change undoes
    saved = rp.client.patch(f"{API}/{cid}", json={"name": "Renamed"},
                            headers={"If-Match": before.headers["etag"]})
    assert (saved.status_code, etag_version(saved)) == (200, 2)


@pytest.mark.parametrize("given", ['"1', "1", '*, "1"'])
def test_an_if_none_match_that_is_no_tag_list_is_400_naming_it(
        rp: RpHarness, given: str) -> None:
    cid = rp.add_connection()
    response = rp.client.get(f"{API}/{cid}", headers={"If-None-Match": given})
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"If-None-Match"}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("given", ['"7"', 'W/{tag}', '"7", W/{tag}', '"01"'])
def test_if_match_naming_no_current_version_is_412_with_the_etag(
        rp: RpHarness, method: str, given: str) -> None:
    """RFC 9110 §13.1.1: a server evaluating ``If-Match`` on a ``GET`` answers 412 when no
    listed tag matches, by the strong comparison."""
    cid = rp.add_connection()
    tag = rp.client.get(f"{API}/{cid}").headers["etag"]
    response = rp.client.request(method, f"{API}/{cid}",
                                 headers={"If-Match": given.format(tag=tag)})
    assert response.status_code == 412, response.text
    assert response.headers["etag"] == tag
    if method == "GET":
        assert response.json()["error"] == "precondition_failed"
        assert set(response.json()["fields"]) == {"If-Match"}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("given", ["{tag}", "*", '"1"', '"7", {tag}'])
def test_if_match_naming_the_version_gets_the_connection(
        rp: RpHarness, method: str, given: str) -> None:
    cid = rp.add_connection()
    tag = rp.client.get(f"{API}/{cid}").headers["etag"]
    response = rp.client.request(method, f"{API}/{cid}",
                                 headers={"If-Match": given.format(tag=tag)})
    assert (response.status_code, response.headers["etag"]) == (200, tag), response.text


def test_if_match_on_a_read_compares_the_version_as_a_change_does(rp: RpHarness) -> None:
    """Health changing at the same version does not fail a read's If-Match (as it does not
    make a change stale); a new version does."""
    cid = rp.add_connection()
    before = rp.client.get(f"{API}/{cid}").headers["etag"]
    rp.clock.advance(days=2)
    same = rp.client.get(f"{API}/{cid}", headers={"If-Match": before})
    assert same.status_code == 200, same.text
    assert same.headers["etag"] != before
    assert rp.client.patch(f"{API}/{cid}", json={"name": "New"},
                           headers={"If-Match": before}).status_code == 200
    stale = rp.client.get(f"{API}/{cid}", headers={"If-Match": before})
    assert (stale.status_code, etag_version(stale)) == (412, 2)


def test_if_match_is_evaluated_before_if_none_match(rp: RpHarness) -> None:
    cid = rp.add_connection()
    tag = rp.client.get(f"{API}/{cid}").headers["etag"]
    failed = rp.client.get(f"{API}/{cid}", headers={"If-Match": '"7"', "If-None-Match": tag})
    assert failed.status_code == 412, failed.text
    met = rp.client.get(f"{API}/{cid}", headers={"If-Match": tag, "If-None-Match": tag})
    assert met.status_code == 304, met.text


def test_if_match_on_a_read_is_400_when_malformed_and_ignored_for_no_connection(
        rp: RpHarness) -> None:
    cid = rp.add_connection()
    malformed = rp.client.get(f"{API}/{cid}", headers={"If-Match": '*, "1"'})
    assert malformed.status_code == 400, malformed.text
    assert set(malformed.json()["fields"]) == {"If-Match"}
    assert rp.client.get(f"{API}/nope", headers={"If-Match": '"1"'}).status_code == 404
