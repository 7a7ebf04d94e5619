"""Wrong admin tokens slow the guesser down: past a few in a row, the client has to wait (429
with ``Retry-After``, in the route's own shape), a little longer after each further one. The
waits run on the injected clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rp_support import ADMIN_TOKEN, MovableClock, RpHarness

from relying_party import Settings, create_app
from relying_party.admin_auth import THROTTLE_FREE, AdminThrottle


def _api(rp: RpHarness, token: str) -> int:
    response = rp.client.get("/api/admin/connections",
                             headers={"Authorization": f"Bearer {token}"})
    return response.status_code


def test_after_five_wrong_tokens_the_sixth_try_waits(rp: RpHarness) -> None:
    """As README says: five wrong tokens are answered, the next try is a 429."""
    assert THROTTLE_FREE == 5
    assert [_api(rp, "wrong-token-0123456789") for _ in range(5)] == [401] * 5
    assert _api(rp, "wrong-token-0123456789") == 429
    assert _api(rp, ADMIN_TOKEN) == 429


def test_bearer_guesses_are_slowed_down(rp: RpHarness) -> None:
    for _ in range(THROTTLE_FREE):
        assert _api(rp, "wrong-token-0123456789") == 401
    response = rp.client.get("/api/admin/connections",
                             headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json()["error"] == "too_many_requests"
    rp.clock.advance(seconds=1)
    assert _api(rp, "wrong-token-0123456789") == 401
    assert _api(rp, ADMIN_TOKEN) == 429
    rp.clock.advance(seconds=2)
    assert _api(rp, ADMIN_TOKEN) == 200
    # Let in once: the count starts again.
    for _ in range(THROTTLE_FREE - 1):
        assert _api(rp, "wrong-token-0123456789") == 401
    assert _api(rp, ADMIN_TOKEN) == 200


def test_sign_in_form_guesses_are_slowed_down(rp: RpHarness) -> None:
    def attempt(token: str) -> int:
        response = rp.client.post("/admin/sign-in", data={
            "csrf_token": rp.csrf(), "admin_token": token, "next": "/admin"})
        if response.status_code == 429:
            assert 'name="admin_token"' in response.text
            assert int(response.headers["Retry-After"]) >= 1
        return response.status_code

    for _ in range(THROTTLE_FREE):
        assert attempt("wrong-token-0123456789") == 401
    assert attempt(ADMIN_TOKEN) == 429
    rp.clock.advance(seconds=1)
    assert attempt(ADMIN_TOKEN) == 303


def test_waits_double_up_to_the_longest(clock: MovableClock) -> None:
    throttle = AdminThrottle(clock, free=1)
    waits = []
    for _ in range(12):
        throttle.failed("10.0.0.1")
        waits.append(throttle.retry_after("10.0.0.1"))
    assert waits[:4] == [1, 2, 4, 8]
    assert waits[-1] == 300
    assert throttle.retry_after("10.0.0.2") is None


def test_the_address_table_is_bounded(clock: MovableClock) -> None:
    throttle = AdminThrottle(clock, free=1, capacity=10)
    for index in range(50):
        throttle.failed(f"10.0.0.{index}")
    assert throttle.retry_after("10.0.0.49") == 1
    assert throttle.retry_after("10.0.0.0") is None


@pytest.mark.parametrize("token", [" spaced-admin-token-0123456789", "spaced-admin-token-0123\n"])
def test_a_token_with_surrounding_white_space_is_refused(
    make_settings: Callable[..., Settings], token: str
) -> None:
    with pytest.raises(ValueError, match="white space"):
        create_app(make_settings(admin_token=token))

