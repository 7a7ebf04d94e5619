"""A scenario with several browsers: each browser's step says which browser made it, and a
callback's state ties only to an authorize request of its own browser."""

from __future__ import annotations

from scenarios.protocol_view import BrowserHit, Collected, Exchange, correlate, render_text
from scenarios.report import template_environment

from .activity_samples import APP, IDP, T0, TENANT

AUTHORIZE = f"{IDP}/{TENANT}/oauth2/v2.0/authorize"


def sign_in_start(wall: float, state: str, context: int) -> tuple[BrowserHit, ...]:
    return (
        BrowserHit(wall=wall, method="GET", url=f"{APP}/login", status=302,
                   location=f"{AUTHORIZE}?state={state}", context=context),
        BrowserHit(wall=wall + 0.1, method="GET", url=f"{AUTHORIZE}?state={state}", status=302,
                   location=f"{APP}/callback?code=c&state={state}", context=context),
    )


def other_browser() -> Exchange:
    """``failure.state-other-browser``: browser 1 starts a sign-in; its callback is brought
    back in browser 2, which started one of its own."""
    hits = (*sign_in_start(T0, "st-1", 0), *sign_in_start(T0 + 1, "st-2", 1),
            BrowserHit(wall=T0 + 2, method="GET", url=f"{APP}/callback?code=c&state=st-1",
                       status=400, context=1))
    return correlate(Collected(browser=hits, provider_url=IDP, app_url=APP))


def html(exchange: Exchange) -> str:
    return template_environment().get_template("protocol.html").render(exchange=exchange)


def test_each_step_carries_the_browser_that_made_it() -> None:
    steps = other_browser().steps
    assert [s.browser for s in steps] == [0, 0, 1, 1, 1]
    assert steps[-1].browser_name == "browser 2"


def test_a_state_another_browser_sent_does_not_match_this_browser_s_request() -> None:
    callback = other_browser().steps[-1]
    assert callback.name == "callback"
    assert callback.links == (
        "state was sent by the authorize request of browser 1 (step 2), not by this browser's",
        "code issued at step 2 in browser 1")


def test_a_state_the_same_browser_sent_matches() -> None:
    hits = (*sign_in_start(T0, "st-1", 0), *sign_in_start(T0 + 1, "st-1", 1),
            BrowserHit(wall=T0 + 2, method="GET", url=f"{APP}/callback?code=c&state=st-1",
                       status=302, location=f"{APP}/", context=1))
    callback = correlate(Collected(browser=hits, provider_url=IDP, app_url=APP)).steps[-1]
    assert callback.links[0] == "state matches the authorize request (step 4)"


def test_the_text_and_the_html_say_which_browser() -> None:
    exchange = other_browser()
    text = render_text(exchange)
    assert "GET app /callback  400  [callback, browser 2]" in text
    assert "GET app /login  302 -> provider" in text and "[sign-in start, browser 1]" in text
    page = html(exchange)
    assert page.count('<span class="browser-tag">browser 2</span>') == 3
    assert 'data-browser="2"' in page


def test_one_browser_s_steps_name_none() -> None:
    exchange = correlate(Collected(browser=sign_in_start(T0, "st-1", 0), provider_url=IDP,
                                   app_url=APP))
    assert not exchange.several_browsers
    assert "browser 1" not in render_text(exchange)
    assert "browser-tag" not in html(exchange)
