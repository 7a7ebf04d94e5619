"""The admin API's lists take the query parameters they name, each once: ``/api/admin/errors``
takes ``source_kind`` and ``source_id``, the others none. A repeated or an unknown one is 400
in the admin API's error shape naming it, not silently the last value or ignored."""

from __future__ import annotations

import pytest
from rp_support import RpHarness


@pytest.mark.parametrize(("query", "named"), [
    ("source_kind=connection&source_kind=installation&source_id=x", {"source_kind"}),
    ("source_kind=connection&source_id=a&source_id=b", {"source_id"}),
    ("sourcekind=connection", {"sourcekind"}),
    ("source_kind=connection&source_id=x&limit=5", {"limit"}),
])
def test_the_error_list_refuses_a_repeated_or_unknown_parameter(
        rp: RpHarness, query: str, named: set[str]) -> None:
    response = rp.client.get(f"/api/admin/errors?{query}")
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["error"], set(body["fields"])) == ("invalid_request", named)
    assert rp.client.get("/api/admin/errors?source_kind=connection&source_id=x").json() == []


@pytest.mark.parametrize("path", ["/api/admin/connections", "/api/admin/installations",
                                  "/api/admin/users"])
def test_a_list_that_takes_no_parameter_refuses_one(rp: RpHarness, path: str) -> None:
    response = rp.client.get(f"{path}?filter=x")
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"filter"}
    assert rp.client.get(path).status_code == 200
