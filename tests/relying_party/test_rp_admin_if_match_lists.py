"""Empty elements of an ``If-Match`` or ``If-None-Match`` list (``"1", ,``, ``, "1"``, an
empty header line) are read and ignored, as RFC 9110 §5.6.1 asks of a recipient, up to a
bound; a header of nothing but empty elements is still no list of entity tags (400)."""

from __future__ import annotations

import pytest
from rp_support import RpHarness, etag_version

from relying_party.preconditions import MAX_EMPTY

API = "/api/admin/connections"

_WITH_EMPTY = ['{tag}, ,', ', {tag}', ',, {tag} ,\t, ,', '"9", , {tag}']


def _lines(given: str | list[str], tag: str, header: str) -> list[tuple[str, str]]:
    values = [given] if isinstance(given, str) else given
    return [(header, value.format(tag=tag)) for value in values]


@pytest.mark.parametrize("given", [*_WITH_EMPTY, ["{tag}", ""], ["", "{tag}"], ["*", ""]])
def test_if_match_with_empty_elements_applies_the_change(
        rp: RpHarness, given: str | list[str]) -> None:
    cid = rp.add_connection()
    tag = rp.client.get(f"{API}/{cid}").headers["etag"]
    response = rp.client.patch(f"{API}/{cid}", json={"name": "New"},
                               headers=_lines(given, tag, "If-Match"))
    assert response.status_code == 200, response.text
    assert (response.json()["name"], etag_version(response)) == ("New", 2)


@pytest.mark.parametrize("given", [*_WITH_EMPTY, ["{tag}", ""], ["", "{tag}"]])
def test_if_none_match_with_empty_elements_is_304(
        rp: RpHarness, given: str | list[str]) -> None:
    cid = rp.add_connection()
    tag = rp.client.get(f"{API}/{cid}").headers["etag"]
    response = rp.client.get(f"{API}/{cid}", headers=_lines(given, tag, "If-None-Match"))
    assert (response.status_code, response.content) == (304, b"")


def test_empty_elements_do_not_hide_a_stale_tag(rp: RpHarness) -> None:
    cid = rp.add_connection()
    response = rp.client.patch(f"{API}/{cid}", json={"name": "New"},
                               headers={"If-Match": ', "7", ,'})
    assert response.status_code == 412, response.text
    assert rp.client.get(f"{API}/{cid}").json()["name"] != "New"


@pytest.mark.parametrize("header", ["If-Match", "If-None-Match"])
@pytest.mark.parametrize("given", [", ,", ",", ["", ""], "*, ,{tag}",
                                   "," * (MAX_EMPTY + 1) + "{tag}"])
def test_only_empty_elements_or_too_many_are_400_naming_the_header(
        rp: RpHarness, header: str, given: str | list[str]) -> None:
    cid = rp.add_connection()
    tag = rp.client.get(f"{API}/{cid}").headers["etag"]
    method = "PATCH" if header == "If-Match" else "GET"
    response = rp.client.request(method, f"{API}/{cid}", json={"name": "New"},
                                 headers=_lines(given, tag, header))
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {header}
    assert rp.client.get(f"{API}/{cid}").json()["name"] != "New"


def test_the_bound_on_empty_elements_is_reached_not_passed(rp: RpHarness) -> None:
    cid = rp.add_connection()
    tag = rp.client.get(f"{API}/{cid}").headers["etag"]
    response = rp.client.get(f"{API}/{cid}", headers={"If-None-Match": "," * MAX_EMPTY + tag})
    assert response.status_code == 304, response.text
