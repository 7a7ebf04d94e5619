"""The provider's answer delivered by ``response_mode=form_post``: a page of the provider's whose
form posts the answer to the app's callback as it loads. The diagram shows that page's step as
the delivery, with the fields it posted (masked as a redirect's query is), and the POST to the
callback as the callback, tied to the authorize request and to the code the page delivered.

The browser's side is recorded in a real browser (the posted body is only there); the provider's
log and the app are pages the test routes, so nothing starts but the browser."""

from __future__ import annotations

import json
import time
from dataclasses import asdict

import pytest
from playwright.sync_api import Browser, Route

from scenarios.protocol_view import (
    BrowserHit,
    BrowserLog,
    Collected,
    ProtocolSources,
    collect,
    correlate,
    render_text,
)

from .activity_samples import APP, CODE, ID_TOKEN, IDP, MASKED_CODE, T0, TENANT

AUTHORIZE = f"{IDP}/{TENANT}/oauth2/v2.0/authorize?state=st-1&nonce=n-1&response_mode=form_post"
FORM_POST_PAGE = f"""<!doctype html><title>Working...</title>
<body onload="document.forms[0].submit()">
<form method="post" action="{APP}/auth/callback">
<input type="hidden" name="code" value="{CODE}">
<input type="hidden" name="state" value="st-1">
</form></body>"""


def form_post_sign_in(code: str = MASKED_CODE) -> tuple[BrowserHit, ...]:
    return (
        BrowserHit(wall=T0, method="GET", url=f"{APP}/sso/c1/widget", status=302,
                   location=AUTHORIZE),
        BrowserHit(wall=T0 + 0.1, method="GET", url=AUTHORIZE, status=200),
        BrowserHit(wall=T0 + 1.0, method="POST", url=f"{IDP}/{TENANT}/login", status=200,
                   form="login=alice&passwd=%5Bredacted%5D"),
        BrowserHit(wall=T0 + 1.2, method="POST", url=f"{APP}/auth/callback", status=302,
                   location=f"{APP}/", form=f"code={code}&state=st-1"),
    )


PROVIDER_LOG = {"requests": [
    {"seq": 1, "wall": T0 + 0.11, "method": "GET", "path": f"/{TENANT}/oauth2/v2.0/authorize",
     "query": "client_id=client&state=st-1&nonce=n-1&response_mode=form_post", "status": 200},
    {"seq": 2, "wall": T0 + 1.01, "method": "POST", "path": f"/{TENANT}/login", "query": "",
     "status": 200, "request": {"content_type": "application/x-www-form-urlencoded",
                                "form": {"login": "alice", "passwd": "[redacted]"}}},
]}


@pytest.mark.parametrize("provider", [PROVIDER_LOG, None], ids=["mock", "browser-only"])
def test_a_form_post_answer_is_drawn_as_the_page_s_delivery_and_the_callback_it_posted(
        provider: dict[str, object] | None) -> None:
    steps = correlate(Collected(browser=form_post_sign_in(), provider=provider,
                                provider_url=IDP, app_url=APP)).steps
    delivery, callback = steps[2], steps[3]
    assert delivery.target == "provider"
    assert delivery.outcome == "200 form_post -> app /auth/callback"
    assert delivery.answer == (("code", MASKED_CODE), ("state", "st-1"))
    assert (callback.name, callback.method, callback.source, callback.target) == (
        "callback", "POST", "browser", "app")
    assert callback.params == (("code", MASKED_CODE), ("state", "st-1"))
    assert callback.links == ("state matches the authorize request (step 2)",
                              "code issued at step 3")


def test_a_posted_code_never_reaches_the_exchange_unmasked() -> None:
    exchange = correlate(Collected(browser=form_post_sign_in(code=CODE), provider=PROVIDER_LOG,
                                   provider_url=IDP, app_url=APP))
    assert CODE not in json.dumps(asdict(exchange))
    assert dict(exchange.steps[3].params)["code"] == MASKED_CODE


def test_an_id_token_the_provider_s_page_posts_is_decoded_once_on_that_page_s_step() -> None:
    """As a redirect's step shows the tokens of its target's query, not the step it leads to."""
    hits = (*form_post_sign_in()[:3],
            BrowserHit(wall=T0 + 1.2, method="POST", url=f"{APP}/auth/callback", status=302,
                       location=f"{APP}/", form=f"id_token={ID_TOKEN}&state=st-1"))
    exchange = correlate(Collected(browser=hits, provider=PROVIDER_LOG, provider_url=IDP,
                                   app_url=APP))
    delivery, callback = exchange.steps[2], exchange.steps[3]
    assert [token.name for token in delivery.tokens] == ["ID token"]
    assert callback.tokens == ()
    assert dict(callback.params)["id_token"] == f"{ID_TOKEN[:24]}... (decoded above)"
    assert render_text(exchange).count('nonce="n-11"') == 1


def test_a_form_posted_from_the_app_s_own_page_is_no_delivery_of_the_provider_s() -> None:
    hits = (BrowserHit(wall=T0, method="GET", url=f"{APP}/form", status=200),
            BrowserHit(wall=T0 + 0.1, method="POST", url=f"{APP}/auth/callback", status=400,
                       form="code=c&state=st-1"))
    steps = correlate(Collected(browser=hits, provider_url=IDP, app_url=APP)).steps
    assert steps[0].outcome == "200" and steps[0].answer == ()
    assert steps[1].links == ("state was not sent by any authorize request seen",)


@pytest.mark.browser
def test_the_browser_s_log_keeps_the_posted_form_masked_and_the_diagram_shows_it(
        browser: Browser) -> None:
    context = browser.new_context()
    try:
        log = BrowserLog()
        log.watch(context)
        page = context.new_page()

        def provider(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html", body=FORM_POST_PAGE)

        def app(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html", body="<h1>Signed in</h1>")

        # (Playwright does not route the requests of a redirect chain: no redirects here.)
        page.route(f"{IDP}/**", provider)
        page.route(f"{APP}/**", app)
        since = time.time()
        page.goto(AUTHORIZE)
        page.wait_for_url(f"{APP}/auth/callback")
        page.wait_for_load_state()
        collected = collect(log, ProtocolSources(provider_url=IDP, app_url=APP, mock=False),
                            since)
    finally:
        context.close()
    [posted] = [hit for hit in collected.browser if hit.method == "POST"]
    assert posted.form == f"code={MASKED_CODE}&state=st-1"
    text = render_text(correlate(collected))
    assert CODE not in text
    assert "GET provider /tid/oauth2/v2.0/authorize  200 form_post -> app /auth/callback" in text
    assert "POST app /auth/callback  200  [callback]" in text
    assert "[redirect]" not in text
    assert f"answer: code={MASKED_CODE}, state=st-1" in text


SIGN_IN_FORM = """<!doctype html><title>Sign in</title>
<form method="post" action="/session">
<input name="user[email]" value="alice@contoso.example">
<input name="user[password]" value="hunter2">
<input name="pwd" value="hunter3">
<button>Sign in</button>
</form>"""


@pytest.mark.browser
def test_the_browser_s_log_keeps_no_form_but_the_provider_s_answer(browser: Browser) -> None:
    """An app's own sign-in form (whatever it calls its password) is not kept: the diagram
    only shows the form the provider's ``form_post`` page posts."""
    context = browser.new_context()
    try:
        log = BrowserLog()
        log.watch(context)
        page = context.new_page()

        def app(route: Route) -> None:
            page_html = SIGN_IN_FORM if route.request.method == "GET" else "<h1>Signed in</h1>"
            route.fulfill(status=200, content_type="text/html", body=page_html)

        page.route(f"{APP}/**", app)
        page.goto(f"{APP}/sign-in")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{APP}/session")
        page.wait_for_load_state()
        collected = collect(log, ProtocolSources(provider_url=IDP, app_url=APP, mock=False),
                            time.time())
    finally:
        context.close()
    [posted] = [hit for hit in collected.browser if hit.method == "POST"]
    assert posted.url == f"{APP}/session"
    assert posted.form is None
    assert "hunter" not in render_text(correlate(collected))
