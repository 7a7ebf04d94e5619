"""The harness's own HTTP client is shared by a worker's scenarios (scenarios.shared_servers)
as the provider and the app host are: the cookies one scenario's calls were answered with (a
provider session started through ``POST /_mock/sessions``, the app's sign-in binding) must not
ride along on the next scenario's calls, as they do not on a freshly started worker's."""

from __future__ import annotations

from scenarios import Scenario, WorkerInfo
from scenarios.catalogue import WorkerEnvironment, fresh_stack, worker_environment
from scenarios.live import LiveStack


def _scenario(name: str) -> Scenario:
    return Scenario(id=f"isolation.{name}", title=name, proves=name, group="isolation",
                    run=lambda ctx: None)


def _cookies(stack: LiveStack) -> list[tuple[str, str]]:
    return sorted((c.name, c.domain) for c in stack.http.cookies.jar)


def test_the_cookies_of_one_scenarios_calls_do_not_reach_the_next() -> None:
    with worker_environment(WorkerInfo(index=0, count=1)) as env:
        assert isinstance(env, WorkerEnvironment)
        with fresh_stack(env, _scenario("first")) as first:
            assert isinstance(first, LiveStack)
            fresh = _cookies(first)  # what a worker's first scenario starts with
            started = first.http.post(first.idp_url("/_mock/sessions"), json={
                "user": first.people["alice"].upn, "persistent": True})
            assert started.status_code == 201
            signing_in = first.http.get(first.sign_in_url())  # the app's cookie, then a redirect
            assert signing_in.is_redirect, signing_in.text
            domains = {domain for _, domain in _cookies(first)}
            assert len(domains - {domain for _, domain in fresh}) == 2  # else this proves nothing
        with fresh_stack(env, _scenario("second")) as second:
            assert isinstance(second, LiveStack)
            assert second.http is first.http  # the same client, so its reset is what is shown
            assert _cookies(second) == fresh
