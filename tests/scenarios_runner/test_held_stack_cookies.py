"""A scenario run on a stack a test holds (scenarios.stack_reset) leaves nothing behind at its
provider, the provider's cookies in the stack's HTTP client included: they name sessions the
reset dropped, and would ride on every later call to the provider."""

from __future__ import annotations

from scenarios.live import LiveStack, live_stack
from scenarios.stack_reset import reset_after


def _cookies(stack: LiveStack) -> list[tuple[str, str]]:
    return sorted((c.name, c.domain) for c in stack.http.cookies.jar)


def test_a_held_stacks_client_keeps_no_provider_cookie_past_a_scenario() -> None:
    with live_stack() as stack:
        before = _cookies(stack)
        with reset_after(stack):
            started = stack.http.post(stack.idp_url("/_mock/sessions"), json={
                "user": stack.people["alice"].upn, "persistent": True})
            assert started.status_code == 201
            assert _cookies(stack) != before  # else this test proves nothing
        assert _cookies(stack) == before
