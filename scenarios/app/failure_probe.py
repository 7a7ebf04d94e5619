"""The failure page, probed over HTTP for ``app check``: the app's callback gets what the
provider sends when the user cancels (``access_denied``, AADSTS65004, with the sign-in's state),
and the page it leads to should carry the contact, the text, the reference and the error
status ``[failure]`` names (in its text, tags, scripts and styles left out, as the scenarios
match them in the text a browser shows; whether a browser shows them is the scenarios' part).
A page without them is a note: a mistyped ``[failure]`` and an app without a proper failure
page look alike from here, and the second is what the failure scenarios report."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Literal
from urllib.parse import SplitResult, parse_qs, urljoin, urlsplit

import httpx

from scenarios.masking import quoted

if TYPE_CHECKING:
    from scenarios.app.adapter import ProfileAdapter

__all__ = ["CANCELLED", "LOOPBACK", "Level", "host_of", "origin_of", "page_says", "page_text",
           "probe_failure_page", "probe_launch_failure_page", "same_server"]

Level = Literal["ok", "note", "PROBLEM"]
MAX_APP_REDIRECTS = 10


def host_of(url: str) -> str:
    """``host:port`` of ``url`` (the host alone without a port)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def same_server(url: str, base_url: str) -> bool:
    """Whether ``url`` is on the server at ``base_url`` (loopback names are one host)."""
    a, b = urlsplit(url), urlsplit(base_url)
    hosts = {a.hostname, b.hostname}
    return a.scheme == b.scheme and _port(a) == _port(b) and (
        a.hostname == b.hostname or hosts <= LOOPBACK)


def _port(parts: SplitResult) -> int | None:
    """The port ``parts`` names, or its scheme's default (``https://host:443`` is
    ``https://host``)."""
    return parts.port or {"https": 443, "http": 80}.get(parts.scheme)


_HIDDEN = re.compile(r"<(script|style|head|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BLOCK = re.compile(r"</?(?:p|div|h[1-6]|li|[uo]l|d[ltd]|br|hr|t[rdh]|table|section|header|"
                    r"footer|main|nav|article|aside|pre|form|blockquote|body)\b[^>]*>",
                    re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
SHOWN_TEXT = 80


def page_text(body: str) -> str:
    """The text of an HTML page (tags, scripts and styles left out, entities decoded), a line
    per block."""
    blocks = _BLOCK.sub("\n", _HIDDEN.sub("\n", body))
    lines = (" ".join(line.split()) for line in html.unescape(_TAG.sub("", blocks)).splitlines())
    return "\n".join(line for line in lines if line)


def page_says(response: httpx.Response) -> str:
    """What a page says, for a finding: its main heading, else its first line of text."""
    heading = _H1.search(response.text)
    shown = page_text(heading.group(1)) if heading else ""
    shown = shown or next(iter(page_text(response.text).splitlines()), "")
    if not shown:
        return " and no text"
    return f": {quoted(shown, SHOWN_TEXT)}"


def follow_in_app(http: httpx.Client, response: httpx.Response, app_base: str
                   ) -> httpx.Response:
    """``response`` after the app's own redirects (an app may send a failed sign-in on to an
    error page of its own)."""
    for _ in range(MAX_APP_REDIRECTS):
        if not response.is_redirect:
            break
        target = urljoin(str(response.url), response.headers["location"])
        if host_of(target) != host_of(app_base):
            break
        response = http.get(target, follow_redirects=False)
    return response


CANCELLED = {"error": "access_denied",
             "error_description": "AADSTS65004: User declined to consent to access the app."}
"""What Entra sends the redirect URI when the user cancels (the ``user-cancels`` failure)."""


def probe_failure_page(http: httpx.Client, app: ProfileAdapter, authorize_url: str
                       ) -> tuple[Level, str]:
    """Answer the sign-in ``authorize_url`` started as the provider does when the user cancels;
    the page the app then shows must carry what ``[failure]`` names. The finding: its level
    (``ok``, ``note``, ``PROBLEM``) and its line."""
    failure = app.profile.failure
    assert failure is not None
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    mode = query.get("response_mode", "query")
    if mode not in ("query", "form_post") or not query.get("redirect_uri"):
        return ("note", f"failure page not checked: the app asks for response_mode={mode}, "
                "which only the scenarios' browser can answer")
    answer = {**CANCELLED, **({"state": query["state"]} if "state" in query else {})}
    try:
        response = (http.post(query["redirect_uri"], data=answer) if mode == "form_post"
                    else http.get(query["redirect_uri"], params=answer))
        response = follow_in_app(http, response, app.base_url)
    except httpx.HTTPError as exc:
        return ("PROBLEM", f"failure page: the redirect URI {query['redirect_uri']} cannot be "
                f"opened: {str(exc) or type(exc).__name__}")
    return _judge(app, response, "user-cancels",
                  "after a sign-in the user cancelled (access_denied, AADSTS65004)")


UNKNOWN_INSTALLATION = "0" * 32
"""An installation id no platform gave the app (as ``failure.unknown-installation`` opens)."""


def probe_launch_failure_page(http: httpx.Client, app: ProfileAdapter, idp_base: str
                              ) -> tuple[Level, str]:
    """Open the partner launch URL with an installation id the app was never given (the
    ``unknown-installation`` failure): a partner app that has no sign-in URL of its own shows
    its failure page there, which must carry what ``[failure]`` names (with ``[partner]``'s
    contact), without sending the browser to the provider. The finding, as
    :func:`probe_failure_page`'s."""
    url = app.launch_url(UNKNOWN_INSTALLATION, UNKNOWN_INSTALLATION[:24])
    try:
        response = follow_in_app(http, http.get(url, follow_redirects=False), app.base_url)
    except httpx.HTTPError as exc:
        return ("PROBLEM", f"failure page: the launch URL {url} cannot be opened: "
                f"{str(exc) or type(exc).__name__}")
    if response.is_redirect and same_server(
            urljoin(str(response.url), response.headers["location"]), idp_base):
        return ("note", f"failure page not checked: the launch URL with an installation id the "
                f"app was never given ({UNKNOWN_INSTALLATION}) sends the browser to the provider "
                "rather than to the failure page, which failure.unknown-installation will report")
    return _judge(app, response, "unknown-installation",
                  "of a launch with an installation id the app was never given")


def _judge(app: ProfileAdapter, response: httpx.Response, kind: str, cause: str
           ) -> tuple[Level, str]:
    """Whether the page ``response`` (the app's answer to a failure of ``kind``) carries what
    ``[failure]`` names; ``cause`` says what led there."""
    failure = app.profile.failure
    assert failure is not None
    text = page_text(response.text)
    path = urlsplit(str(response.url)).path or "/"
    who = ("the app" if same_server(str(response.url), app.base_url) else
           f"{origin_of(str(response.url))}, not the app under test at {app.base_url},")
    shown = f"{who} showed {path} with HTTP {response.status_code}{page_says(response)}"
    contact = app.profile.contact_for(kind) or app.contact
    wanted = [(f"show the support contact {contact!r}", contact in text)]
    if failure.text:
        wanted.insert(0, (f"show {failure.text!r}", failure.text in text))
    if failure.reference is not None:
        # Matched in the text, as the scenarios match it in what the browser shows: a pattern
        # written against the page's markup never matches there.
        in_text = failure.reference.search(text) is not None
        in_markup = ("; it matches the page's HTML, but the reference is looked for in its "
                     "text, without tags"
                     if not in_text and failure.reference.search(response.text) else "")
        wanted.append((f"show an error reference (/{failure.reference.pattern}/{in_markup})",
                       in_text))
    if failure.error_status:
        wanted.append(("come with an error status (error_status = true)",
                       response.status_code >= 400))
    missing = [what for what, found in wanted if not found]
    if missing:
        # A note, not a problem: the profile may be right and the app wrong, which is what the
        # failure scenarios are there to show.
        return ("note", f"failure page {cause}: it does not {'; does not '.join(missing)}; "
                f"{shown}. The failure scenarios will fail unless [failure] is mistyped: check it "
                "against what the app shows")
    return ("ok", f"failure page {cause}: it does {'; does '.join(w for w, _ in wanted)}")
