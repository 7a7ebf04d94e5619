"""A second answer to an authorize request the app already sent: its state, a new code.

A replayed callback URL carries a code the provider has redeemed already, so the provider
refuses it whatever the app does with ``state``. To test the app's own state handling, the
provider is asked the same authorize request again, in the browser signed in at the company:
it answers at once with the same state and a code nobody has redeemed (or a new ID token, for
an app that asks for one alone), which the scenario holds (the app never sees it) and then
delivers to another browser. Only the app's check of that state can refuse it now.

The new code carries the request's PKCE challenge or none. An app that accepts any callback
redeems a code without a challenge (it has no verifier for it); an app that keeps a used state
redeems one bound to the original challenge (with the verifier it kept). With PKCE both are
tried (:func:`variants`).

The other browser started no sign-in, so an app that accepts it there either checks no state
or checks it only when the browser's session holds one: :func:`deliver_to_fresh_browser` says so.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from playwright.sync_api import Page, Route

from scenarios.app.adapter import ACCEPTED
from scenarios.catalogue.held_answer import Answer, answer_in, deliver_to_failure_page
from scenarios.flows import NavigationLog
from scenarios.live import LiveStack
from scenarios.protocol_view.names import is_authorize

__all__ = ["NO_STATE_HELD", "authorize_request", "deliver_to_fresh_browser", "fresh_answer",
           "variants"]

NO_STATE_HELD = (
    "the browser it reached had started no sign-in, so its session held no state to compare "
    "the callback's with: an app that compares the state only when the session holds one "
    "takes any there, as one that never checks it does (failure.state-tampered tells which); "
    "requests-oauthlib's OAuth2Session made with state=None, as from "
    "session.get('oauth_state'), compares none (oauthlib checks the state only when it is "
    "given one): refuse a callback when the session holds no state")
"""Why an app signed in a browser that started no sign-in (RFC 6749 §10.12: the state binds
the answer to the user agent that asked)."""
PKCE_PARAMS = ("code_challenge", "code_challenge_method")
ANSWERED = ("code", "id_token")
"""What the answer to the app's own request carries, as its ``response_type`` asked: a code, an
ID token (``response_type=id_token``, the default of express-openid-connect), or both."""
_ASKING = ("max_age",)
"""Parameters that would make the provider show a page rather than answer at once (as does a
``prompt`` other than ``none``)."""


def authorize_request(log: NavigationLog, stack: LiveStack) -> str:
    """The last authorize request the app sent the browser to (the provider's v1 or v2
    endpoint)."""
    provider = urlsplit(stack.idp.base_url).netloc
    sent = [url for url, _ in log.documents
            if urlsplit(url).netloc == provider and is_authorize(url)]
    assert sent, f"the app sent the browser to no authorize request: {log.documents}"
    return sent[-1]


def variants(authorize_url: str) -> list[tuple[str, str]]:
    """What to ask the provider again: ``(how the code is bound, authorize URL)``; the
    request's own PKCE challenge, if any, is dropped from the first, and kept in the second."""
    parts = urlsplit(authorize_url)
    params = [(k, v) for k, v in parse_qsl(parts.query)
              if k not in _ASKING and (k != "prompt" or v == "none")]
    bare = [(k, v) for k, v in params if k not in PKCE_PARAMS]
    found = [("no PKCE challenge", parts._replace(query=urlencode(bare)).geturl())]
    if len(bare) != len(params):
        found.append(("the app's own PKCE challenge",
                      parts._replace(query=urlencode(params)).geturl()))
    return found


def fresh_answer(page: Page, stack: LiveStack, authorize_url: str) -> Answer:
    """Ask the provider ``authorize_url`` in ``page``'s browser (signed in at the provider)
    and hold its answer: the page shows an empty one instead, and the app gets nothing."""
    provider = urlsplit(stack.idp.base_url).netloc
    held: list[tuple[int, str, str]] = []

    def hold(route: Route) -> None:
        answer = route.fetch(max_redirects=0)
        held.append((answer.status, answer.headers.get("location", ""), answer.text()))
        route.fulfill(status=200, content_type="text/html", body="<title>held</title>")

    def matches(url: str) -> bool:
        return urlsplit(url).netloc == provider and is_authorize(url)

    page.route(matches, hold)
    try:
        page.goto(authorize_url)
    finally:
        page.unroute(matches, hold)
    assert held, f"the provider was not asked {authorize_url}"
    status, location, body = held[0]
    answer = answer_in(status, location, body)
    callback = stack.app.redirect_uri
    if answer is None or not answer.url.startswith(callback) or not any(
            token in answer.params for token in ANSWERED):
        raise RuntimeError(
            f"the provider did not answer the app's authorize request again with a code or an "
            f"ID token for {callback}: HTTP {status}" + (f" to {location}" if location else ""))
    return answer


def deliver_to_fresh_browser(page: Page, stack: LiveStack, answer: Answer) -> None:
    """:func:`~scenarios.catalogue.held_answer.deliver_to_failure_page` ``answer`` in ``page``,
    a browser that started no sign-in; when the app signs it in, the message's second line says
    why an app may (:data:`NO_STATE_HELD`)."""
    try:
        deliver_to_failure_page(page, stack, answer, "state-replayed")
    except AssertionError as exc:
        if ACCEPTED not in str(exc):
            raise
        first, newline, rest = str(exc).partition("\n")
        # on a line of its own under the verdict, which the console shows whole
        raise AssertionError(f"{first}\n{NO_STATE_HELD}{newline}{rest}") from exc
