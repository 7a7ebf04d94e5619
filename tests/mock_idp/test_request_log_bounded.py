"""The request log's entries are bounded whatever a caller sends: a query string is kept whole
up to 16 KiB, and past that only by its parameters that fit whole."""

from __future__ import annotations

from typing import Any

from asgi_client import AppClient

from mock_idp.request_log import MAX_BODY

PATH = "/common/discovery/instance"


def logged_query(idp_app: Any) -> bytes:
    query: bytes = idp_app.state.idp.store.request_log[-1].query_string
    return query


def test_a_query_past_the_limit_keeps_only_its_whole_parameters(idp_app: Any,
                                                                client: AppClient) -> None:
    client.get(f"{PATH}?api-version=1.1&state={'s' * 40_000}&nonce=n-1")
    assert logged_query(idp_app) == b"api-version=1.1"
    client.get(f"{PATH}?junk={'j' * 40_000}")
    assert logged_query(idp_app) == b""
    entries = client.get("/_mock/requests", params={"path": PATH}).json()
    assert [e["query"] for e in entries["requests"][-2:]] in (
        ["api-version=1.1", ""], ["", "api-version=1.1"])


def test_a_query_within_the_limit_is_kept_whole(idp_app: Any, client: AppClient) -> None:
    query = f"api-version=1.1&state={'s' * (MAX_BODY - 40)}"
    client.get(f"{PATH}?{query}")
    assert logged_query(idp_app) == query.encode()
    edge = f"a=1&b={'b' * (MAX_BODY - 6)}&c=3"  # the last '&' stands at the limit itself
    assert len(edge.rpartition("&")[0]) == MAX_BODY
    client.get(f"{PATH}?{edge}")
    assert logged_query(idp_app) == edge.rpartition("&")[0].encode()
