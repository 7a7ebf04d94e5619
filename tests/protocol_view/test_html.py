"""protocol.html and its styles, rendered without a browser: what marks a step that went
wrong."""

from __future__ import annotations

import re

from scenarios.protocol_view import BrowserHit, Collected, Exchange, correlate
from scenarios.report import template_environment

from .activity_samples import APP, IDP, T0, collected


def html(exchange: Exchange) -> str:
    return template_environment().get_template("protocol.html").render(exchange=exchange)


def steps_marked(page: str) -> dict[str, bool]:
    """Each step's name: whether it is marked as having gone wrong (its class and its mark)."""
    marked = {}
    for item in re.findall(r'<li class="step[^"]*".*?</li>', page, re.DOTALL):
        name = re.search(r'data-name="([^"]*)"', item)
        assert name is not None
        erred = 'class="step erred' in item or " erred\"" in item.split(">")[0]
        assert erred == ("went wrong here" in item), item
        marked[name.group(1)] = erred
    return marked


def test_the_steps_that_went_wrong_are_marked_in_words_not_colour_alone() -> None:
    failed = (*collected().browser,
              BrowserHit(wall=T0 + 6, method="GET", url=f"{APP}/account", status=500),
              BrowserHit(wall=T0 + 7, method="GET", url=f"{APP}/callback?code=c&state=s",
                         status=None, error="net::ERR_EMPTY_RESPONSE"))
    page = html(correlate(collected(browser=failed)))
    marked = steps_marked(page)
    assert marked["callback"]  # its 502 and the app's failure reference; and the no answer
    assert marked["logout"]  # the provider's AADSTS error
    assert marked["back-channel logout"]  # the app answered 400
    assert marked["page"]  # a 500 with no error field
    assert not marked["authorize"] and not marked["token"] and not marked["keys"]
    assert not marked["front-channel logout"]  # an iframe loaded: no status, no failure


def test_the_style_gives_a_step_that_went_wrong_its_own_look() -> None:
    style = template_environment().get_template("protocol_style.html").render()
    rules = {selector.strip(): body for selector, body in
             re.findall(r"([^{}]+)\{([^{}]*)\}", style)}
    erred = {s: b for s, b in rules.items() if "li.erred" in s}
    assert any("border-left" in b or "background" in b for s, b in erred.items()
               if s.endswith(".what")), erred
    assert any("erred-mark" in s for s in rules)


def test_a_step_with_no_answer_is_one_that_went_wrong() -> None:
    hit = BrowserHit(wall=T0, method="GET", url=f"{APP}/callback", status=None,
                     error="net::ERR_EMPTY_RESPONSE")
    [step] = correlate(Collected(browser=(hit,), provider_url=IDP, app_url=APP)).steps
    assert step.erred and step.outcome == "failed: net::ERR_EMPTY_RESPONSE"
