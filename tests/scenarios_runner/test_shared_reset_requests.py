"""A worker's reset between scenarios: the provider's answer to ``POST /_mock/reset`` lists the
keys it publishes afterwards, so a scenario that left the keys alone costs one request, and one
that rotated them gets them reset and the new listing, as ``GET /_mock/keys`` gives it."""

from __future__ import annotations

import httpx

from scenarios.shared_servers import published_keys, reset_provider, start_provider


def test_a_reset_that_finds_the_keys_unchanged_sends_one_request() -> None:
    sent: list[str] = []
    with start_provider() as provider, httpx.Client(event_hooks={
            "request": [lambda request: sent.append(f"{request.method} {request.url.path}")]
    }) as http:
        url = provider.server.base_url
        keys = published_keys(http, url)
        sent.clear()
        assert reset_provider(http, url, keys) == keys
        assert sent == ["POST /_mock/reset"]

        http.post(f"{url}/_mock/keys/rotate").raise_for_status()
        sent.clear()
        after = reset_provider(http, url, keys)
        assert sent == ["POST /_mock/reset", "POST /_mock/reset"]
        assert after == published_keys(http, url) != keys
