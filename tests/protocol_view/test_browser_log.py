"""BrowserLog: what the browser's events become, with stand-ins for Playwright's requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scenarios.protocol_view import BrowserLog, Collected, correlate

from .activity_samples import APP, IDP, MASKED_CODE, T0, TENANT


@dataclass(eq=False)
class FakeRequest:
    """What BrowserLog reads of a Playwright request."""

    url: str
    method: str = "GET"
    resource_type: str = "document"
    failure: str | None = None
    timing: dict[str, float] = field(default_factory=lambda: {"startTime": -1})
    headers: dict[str, str] = field(default_factory=dict)
    post_data: str | None = None
    frame: Any = None


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def test_a_request_that_got_no_answer_is_placed_when_it_started_not_when_it_failed() -> None:
    """Playwright gives a failed request no timing: the callback that waited on the app's
    token call (which the provider dropped) started before that call, and is drawn so."""
    clock = Clock()
    log = BrowserLog(clock=clock)
    callback = FakeRequest(url=f"{APP}/callback?code={MASKED_CODE}&state=st-1",
                           failure="net::ERR_EMPTY_RESPONSE")
    clock.now = T0 + 1.0
    log._request(callback)
    clock.now = T0 + 31.0  # the app waited on its token call, then closed the connection
    log._failed(callback, 0)  # type: ignore[arg-type]
    [hit] = log.hits
    assert (hit.wall, hit.status, hit.error) == (T0 + 1.0, None, "net::ERR_EMPTY_RESPONSE")

    authorize = {"seq": 1, "wall": T0 + 0.5, "method": "GET",
                 "path": f"/{TENANT}/oauth2/v2.0/authorize", "query": "state=st-1",
                 "status": 302, "location": f"{APP}/callback?code={MASKED_CODE}&state=st-1"}
    token = {"seq": 2, "wall": T0 + 1.1, "method": "POST",
             "path": f"/{TENANT}/oauth2/v2.0/token", "status": 200,
             "request": {"form": {"grant_type": "authorization_code", "code": MASKED_CODE}},
             "notes": [{"fault": {"kind": "drop"}, "effect": "dropped the connection"}]}
    steps = correlate(Collected(browser=tuple(log.hits), provider={"requests": [
        authorize, token]}, provider_url=IDP, app_url=APP)).steps
    assert [s.name for s in steps] == ["authorize", "callback", "token"]
    assert steps[2].links == ("redeems the code the callback carried (step 2)",)


def test_the_browser_s_own_timing_wins_when_it_has_one() -> None:
    clock = Clock()
    log = BrowserLog(clock=clock)
    page = FakeRequest(url=f"{APP}/", failure="net::ERR_ABORTED",
                       timing={"startTime": (T0 + 2.0) * 1000})
    log._request(page)
    clock.now = T0 + 9.0
    log._failed(page, 0)  # type: ignore[arg-type]
    assert log.hits[0].wall == T0 + 2.0


def test_a_request_never_seen_starting_is_placed_when_it_failed() -> None:
    clock = Clock()
    log = BrowserLog(clock=clock)
    clock.now = T0 + 3.0
    log._failed(FakeRequest(url=f"{APP}/", failure="x"), 0)  # type: ignore[arg-type]
    assert log.hits[0].wall == T0 + 3.0
    log._request(FakeRequest(url=f"{APP}/a.png", resource_type="image"))
    assert not log._starts
