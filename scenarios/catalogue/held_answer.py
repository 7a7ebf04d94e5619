"""The provider's answer to an authorize request, held before it reached the app.

The provider answers the app's redirect URI in the response mode the app asked for: a redirect
with the answer in the query (a web app's default), or in the fragment (MSAL.js's default), or
a page whose form posts the answer there as it loads (``form_post``, the default of ASP.NET
Core's OpenID Connect handler and of Microsoft.Identity.Web). A scenario that holds the answer
from the app (:func:`answer_in`), alters it (:meth:`Answer.with_param`) or brings it to the app
itself, perhaps in another browser (:func:`deliver`), does so the way the provider sent it, so
an app's verdict does not depend on its response mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from playwright.sync_api import Page

from scenarios.app.adapter import ACCEPTED, NoFailurePage
from scenarios.flows import expect_failure
from scenarios.live import LiveStack
from scenarios.navigation_log import NavigationLog, shown_url
from scenarios.protocol_view.names import is_authorize

__all__ = ["Answer", "answer_in", "deliver", "deliver_to_failure_page", "posted"]

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

    def with_param(self, name: str, value: str) -> Answer:
        """The same answer with its parameter ``name`` set to ``value``, where the provider
        put it (the form, the query or the fragment)."""
        if self.fields:
            return replace(self, fields={k: value if k == name else v
                                         for k, v in self.fields.items()})
        parts = urlsplit(self.url)
        where = _answer_part(parts.query, parts.fragment)
        answer = [(k, value if k == name else v) for k, v in parse_qsl(getattr(parts, where))]
        return replace(self, url=urlunsplit(parts._replace(**{where: urlencode(answer)})))


def _answer_part(query: str, fragment: str) -> Literal["query", "fragment"]:
    """Where a redirect to the callback carries the provider's answer: the query, or the
    fragment (``response_mode=fragment``)."""
    return "query" if "state" in dict(parse_qsl(query)) or not fragment else "fragment"


def answer_in(status: int, location: str, body: str) -> Answer | None:
    """The answer a response of the provider's carries: a redirect's ``location``, or the
    form its ``form_post`` page (``body``) posts; ``None`` when it is neither."""
    if 300 <= status < 400:
        return Answer(location) if location else None
    return posted(body)


def deliver(page: Page, answer: Answer) -> None:
    """Take ``page`` to the callback the way the provider would have: by the redirect, or by
    posting the form from the page it is on (the provider's, for a cross-site post as the
    provider's own page makes)."""
    if not answer.fields:
        page.goto(answer.url)
        return
    with page.expect_navigation():
        page.evaluate(_POST_FORM_JS, {"action": answer.url, "fields": answer.fields})


def deliver_to_failure_page(page: Page, stack: LiveStack, answer: Answer, kind: str) -> None:
    """:func:`deliver` ``answer``, and expect the app's failure page for ``kind``. An app that
    instead sends the browser to the provider's authorize endpoint afresh (it drops the answer
    it refused and starts a new sign-in: an app after Microsoft's older MSAL Python web-app
    sample passes over the ``ValueError`` of a state mismatch and redirects to a page that
    starts one) still fails, and the message says so: what the browser then shows is that new
    sign-in's work (signed in by the provider's session at once, or the provider's sign-in
    page), not the app taking ``answer``."""
    log = NavigationLog(page)
    deliver(page, answer)
    try:
        expect_failure(page, stack, kind)
    except AssertionError as exc:
        provider = urlsplit(stack.idp.base_url).netloc
        again = [url for url, _ in log.documents
                 if urlsplit(url).netloc == provider and is_authorize(url)]
        # The adapter's own error, or flows' with a refusal named after its first line.
        source = exc if isinstance(exc, NoFailurePage) else exc.__cause__
        message = str(exc)
        if not again or not isinstance(source, NoFailurePage) \
                or not message.startswith(f"{source.missing}; "):
            raise
        missing = source.missing
        instead = message[len(missing) + 2:]
        url = shown_url(again[0])
        restart = ("the app did not take this answer but started a new sign-in (it sent the "
                   "browser to the provider's authorize endpoint again"
                   f"{'' if url in instead else ', ' + url})")
        if instead.startswith(ACCEPTED):
            instead = (f"{restart}, which the provider's session answered at once: someone is "
                       f"signed in by that new sign-in{instead.removeprefix(ACCEPTED)}")
        else:
            instead = f"{restart}: {instead}"
        raise AssertionError(f"{missing}; {instead}") from exc


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


def posted(body: str) -> Answer | None:
    """The answer in a ``form_post`` page: its form's action and fields (``None``: a page
    without such a form)."""
    form = _Form()
    form.feed(body)
    return Answer(form.action, form.fields) if form.action and form.fields else None
