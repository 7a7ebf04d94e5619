"""The admin API checks the token before anything else: without it, ``OPTIONS``, an unknown
method, a method the route does not take, or a path under ``/api/admin/`` that is no route is
a 401, not a 405 or a 404 that tells what the API has. With it, those are 405 (with ``Allow``)
and 404, in the API's error shape."""

from __future__ import annotations

import pytest
from rp_support import RpHarness

ROUTES = ["/api/admin/connections", "/api/admin/connections/{cid}",
          "/api/admin/connections/{cid}/enable", "/api/admin/errors", "/api/admin/errors/x",
          "/api/admin/installations", "/api/admin/installations/x/acknowledge",
          "/api/admin/users", "/api/admin/users/1", "/api/admin/no-such-route", "/api/admin",
          "/api/admin/connections/"]
NO_TOKEN = {"Authorization": ""}


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "FROB", "PATCH", "HEAD"])
def test_without_the_token_every_method_on_every_path_is_401(
        rp: RpHarness, path: str, method: str) -> None:
    cid = rp.add_connection()
    response = rp.client.request(method, path.format(cid=cid), headers=NO_TOKEN)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert "allow" not in response.headers


def test_with_the_token_a_method_the_route_does_not_take_is_405_naming_those_it_does(
        rp: RpHarness) -> None:
    cid = rp.add_connection()
    for method in ("OPTIONS", "FROB", "POST"):
        response = rp.client.request(method, f"/api/admin/connections/{cid}")
        assert response.status_code == 405, response.text
        assert response.headers["allow"] == "DELETE, GET, HEAD, PATCH, PUT"
        assert response.json()["error"] == "http_error"
    listing = rp.client.request("DELETE", "/api/admin/users")
    assert (listing.status_code, listing.headers["allow"]) == (405, "GET, HEAD")
    enable = rp.client.get(f"/api/admin/connections/{cid}/enable")
    assert (enable.status_code, enable.headers["allow"]) == (405, "POST")
    assert rp.client.get(f"/api/admin/connections/{cid}").json()["enabled"] is True


@pytest.mark.parametrize("path", ["/api/admin/no-such-route", "/api/admin", "/api/admin/"])
def test_with_the_token_a_path_that_is_no_route_is_404(rp: RpHarness, path: str) -> None:
    response = rp.client.get(path)
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "http_error"


def test_a_trailing_slash_is_a_404_saying_so_not_a_redirect(rp: RpHarness) -> None:
    response = rp.client.post("/api/admin/connections/", json={})
    assert response.status_code == 404, response.text
    assert "location" not in response.headers
    assert "trailing slash" in response.json()["error_description"]
    assert rp.client.get("/api/admin/connections").json() == []
