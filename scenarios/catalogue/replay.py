"""A second answer to an authorize request the app already sent: its state, a new code.

A replayed callback URL carries a code the provider has redeemed already, so the provider
refuses it whatever the app does with ``state``. To test the app's own state handling, the
provider is asked the same authorize request again, in the browser signed in at the company:
it answers at once with the same state and a code nobody has redeemed, which the scenario
holds (the app never sees it) and then delivers to another browser. Only the app's check of
that state can refuse it now.

The new code carries the request's PKCE challenge or none. An app that accepts any callback
redeems a code without a challenge (it has no verifier for it); an app that keeps a used state
redeems one bound to the original challenge (with the verifier it kept). With PKCE both are
tried (:func:`variants`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

from playwright.sync_api import Page, Route

from scenarios.flows import NavigationLog
from scenarios.live import LiveStack
from scenarios.protocol_view.names import is_authorize

__all__ = ["Answer", "authorize_request", "deliver", "fresh_answer", "variants"]

PKCE_PARAMS = ("code_challenge", "code_challenge_method")
_ASKING = ("max_age",)
"""Parameters that would make the provider show a page rather than answer at once (as does a
``prompt`` other than ``none``)."""

_POST_FORM_JS = """(a) => {
  const form = document.createElement("form");
  form.method = "post";
  form.action = a.action;
  for (const [name, value] of Object.entries(a.fields)) {
    const input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = value;
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
}"""


@dataclass(frozen=True)
class Answer:
    """The provider's answer to an authorize request, held before it reached the app: a
    redirect to the callback (query or fragment), or a form posted to it (``form_post``)."""

    url: str
    """The redirect's ``Location``, or the form's ``action``."""
    fields: dict[str, str] = field(default_factory=dict)
    """The posted form's fields (``form_post`` only)."""

    @property
    def params(self) -> dict[str, str]:
        if self.fields:
            return self.fields
        parts = urlsplit(self.url)
        return {**dict(parse_qsl(parts.query)), **dict(parse_qsl(parts.fragment))}


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
    answer = Answer(location) if 300 <= status < 400 else _posted(body)
    callback = stack.app.redirect_uri
    if answer is None or not answer.url.startswith(callback) or "code" not in answer.params:
        raise RuntimeError(
            f"the provider did not answer the app's authorize request again with a code for "
            f"{callback}: HTTP {status}" + (f" to {location}" if location else ""))
    return answer


def deliver(page: Page, answer: Answer) -> None:
    """Take ``page`` to the callback the way the provider would have: by the redirect, or by
    posting the form."""
    if not answer.fields:
        page.goto(answer.url)
        return
    with page.expect_navigation():
        page.evaluate(_POST_FORM_JS, {"action": answer.url, "fields": answer.fields})


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = named.get("action", "")
        elif tag == "input" and named.get("name"):
            self.fields[named["name"]] = named.get("value", "")


def _posted(body: str) -> Answer | None:
    """The answer in a ``form_post`` page: its form's action and fields."""
    form = _Form()
    form.feed(body)
    return Answer(form.action, form.fields) if form.action and form.fields else None
