"""A client's natural round trip on a connection: ``GET``, change a field, ``PUT`` (or
``PATCH``) the whole object back. The read-only members ``GET`` answers are taken when they are
what ``GET`` answers, and refused (400 naming each) when they are not; ``health``, a live
report, is taken whatever it holds. A change that changes nothing stores nothing: the version
and ``ETag`` stay, so no other admin's read goes stale."""

from __future__ import annotations

from typing import Any

import pytest
from rp_support import RpHarness, etag_version

API = "/api/admin/connections"


def _got(rp: RpHarness, cid: str) -> tuple[dict[str, Any], str]:
    response = rp.client.get(f"{API}/{cid}")
    assert response.status_code == 200, response.text
    return response.json(), response.headers["etag"]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_what_get_answered_goes_back_with_one_field_changed(rp: RpHarness, method: str) -> None:
    cid = rp.add_connection()
    body, tag = _got(rp, cid)
    rp.clock.advance(days=3)  # health changes meanwhile; the connection does not
    response = rp.client.request(method, f"{API}/{cid}", json={**body, "name": "Renamed"},
                                 headers={"If-Match": tag})
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["version"]) == ("Renamed", 2)
    assert response.json()["id"] == cid


@pytest.mark.parametrize(("member", "value"), [
    ("id", "another"), ("created_at", "2020-01-01T00:00:00+00:00"),
    ("redirect_uri", "https://elsewhere.test/cb"), ("client_secret_set", False),
    ("sign_in_urls", {}), ("health", "fine")])
def test_a_read_only_member_with_another_value_is_refused_naming_it(
        rp: RpHarness, member: str, value: object) -> None:
    cid = rp.add_connection()
    body, tag = _got(rp, cid)
    response = rp.client.put(f"{API}/{cid}", json={**body, "name": "Renamed", member: value},
                             headers={"If-Match": tag})
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {member}
    assert "read-only" in response.json()["fields"][member]
    assert _got(rp, cid) == (body, tag)


def test_a_read_only_member_is_named_with_the_other_refused_fields(rp: RpHarness) -> None:
    cid = rp.add_connection()
    body, tag = _got(rp, cid)
    response = rp.client.put(f"{API}/{cid}", json={**body, "id": "x", "token_url": "nope"},
                             headers={"If-Match": tag})
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"id", "token_url"}


@pytest.mark.parametrize("change", [{}, {"name": "Contoso"}, {"enabled": True},
                                    "read-back"])
def test_a_patch_that_changes_nothing_keeps_the_version_and_etag(
        rp: RpHarness, change: dict[str, object] | str) -> None:
    cid = rp.add_connection(name="Contoso")
    body, tag = _got(rp, cid)
    sent = body if change == "read-back" else change
    response = rp.client.patch(f"{API}/{cid}", json=sent, headers={"If-Match": tag})
    assert response.status_code == 200, response.text
    assert (response.json(), response.headers["etag"]) == (body, tag)
    assert _got(rp, cid) == (body, tag)
    # another admin's read is still current
    later = rp.client.patch(f"{API}/{cid}", json={"name": "Fabrikam"}, headers={"If-Match": tag})
    assert (later.status_code, etag_version(later)) == (200, 2)


def test_enabling_an_enabled_connection_changes_nothing(rp: RpHarness) -> None:
    cid = rp.add_connection()
    body, tag = _got(rp, cid)
    response = rp.client.post(f"{API}/{cid}/enable", headers={"If-Match": tag})
    assert (response.status_code, response.headers["etag"]) == (200, tag)
    assert _got(rp, cid) == (body, tag)


def test_a_put_of_what_get_answered_changes_nothing(rp: RpHarness) -> None:
    cid = rp.add_connection()
    body, tag = _got(rp, cid)
    response = rp.client.put(f"{API}/{cid}", json=body, headers={"If-Match": tag})
    assert (response.status_code, response.headers["etag"]) == (200, tag)
    assert response.json()["version"] == 1
