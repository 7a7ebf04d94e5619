"""What of a URL's query a failure message shows (``scenarios.failure_query``)."""

from __future__ import annotations

import pytest

from scenarios.failure_query import query_shown
from scenarios.navigation_log import shown_url


@pytest.mark.parametrize("url, shown", [
    ("http://app/auth/failure", ""),
    ("http://app/auth/callback?code=secret&state=s", "?…"),
    # OmniAuth's failure redirect: the key and the strategy, not the origin it came from
    ("http://app/auth/failure?message=csrf_detected&origin=http%3A%2F%2Fapp%2F"
     "&strategy=openid_connect", "?message=csrf_detected&strategy=openid_connect&…"),
    ("http://app/auth/failure?message=invalid_request&strategy=azure_activedirectory_v2",
     "?message=invalid_request&strategy=azure_activedirectory_v2"),
    # free text, or a message without its strategy, may be anything: hidden
    ("http://app/auth/failure?message=token+abc&strategy=x", "?…"),
    ("http://app/flash?message=hello", "?…"),
])
def test_query_shown(url: str, shown: str) -> None:
    assert query_shown(url) == shown


def test_a_failure_message_names_omniauths_key() -> None:
    assert shown_url("http://app/auth/failure?message=invalid_credentials&strategy=saml") == (
        "http://app/auth/failure?message=invalid_credentials&strategy=saml")
