"""A page of the app whose script may post its form to the app as it loads: the hand-off of an
app whose sign-in starts only by a POST carrying a CSRF token (Auth.js; social-auth-app-django,
whose ``social:begin`` view takes POST only, behind a page that submits it). ``app check`` runs
no script, so it submits the form itself, with the fields the page gives it, as the browser
would, and follows where that leads; a page whose script must first fill the form in (Auth.js
fetches its token) gets no further, and stays a note."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import httpx

from scenarios.app.failure_probe import host_of

__all__ = ["SCRIPT", "button_form", "posts_itself", "submit"]

# A POST form and a script on the same page: the script may submit the form as the page loads.
_POST_FORM = re.compile(
    r"""<form\b(?=[^>]*\bmethod\s*=\s*["']?post\b)(?:[^>]*\baction\s*=\s*(["'])(?P<action>.*?)\1)?"""
    r"""(?:[^>]*>(?P<body>.*?)</form>)?""",
    re.IGNORECASE | re.DOTALL)
SCRIPT = re.compile(r"<script\b", re.IGNORECASE)
_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""\b(name|value|type)\s*=\s*(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_NOT_SENT = frozenset({"submit", "button", "image", "reset", "file", "checkbox", "radio"})
"""Inputs a plain ``form.submit()`` does not send (unchecked boxes count as not sent)."""


def posts_itself(page: httpx.Response, app_base: str) -> str | None:
    """Where a page of the app posts a form to the app itself when a script of its own may
    submit it as it loads: the form's action, else ``None``."""
    form = _POST_FORM.search(page.text)
    if form is None or SCRIPT.search(page.text) is None:
        return None
    action = urljoin(str(page.url), html.unescape(form.group("action") or ""))
    return action if host_of(action) == host_of(app_base) else None


_BUTTON = re.compile(r"<button\b(?![^>]*\btype\s*=\s*[\"']?(?:button|reset)\b)[^>]*>(?P<text>.*?)"
                     r"</button\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def button_form(page: httpx.Response, name: str) -> str | None:
    """The action of the page's POST form whose submit button reads ``name`` (a page with no
    script that waits for that click: OmniAuth 2 starts a sign-in only by such a POST with the
    session's authenticity token, Rails' ``button_to``), else ``None``. Only the page's first
    POST form, the one :func:`submit` sends."""
    form = _POST_FORM.search(page.text)
    if form is None:
        return None
    wanted = " ".join(name.split())
    for button in _BUTTON.finditer(form.group("body") or ""):
        if " ".join(html.unescape(_TAG.sub("", button.group("text"))).split()) == wanted:
            return urljoin(str(page.url), html.unescape(form.group("action") or ""))
    return None


def _fields(page: str) -> list[tuple[str, str]]:
    """The name and value of each input of the page's POST form that ``form.submit()`` sends."""
    form = _POST_FORM.search(page)
    found: list[tuple[str, str]] = []
    for tag in _INPUT.findall(form.group("body") if form is not None else ""):
        attributes = {k.lower(): html.unescape(v) for k, _, v in _ATTRIBUTE.findall(tag)}
        if attributes.get("name") and attributes.get("type", "text").lower() not in _NOT_SENT:
            found.append((attributes["name"], attributes.get("value", "")))
    return found


def submit(http: httpx.Client, page: httpx.Response, action: str) -> str | None:
    """Post the page's form to ``action`` with its own fields (and the cookies the app set):
    where the answer redirects, else ``None`` (an error, or a page: the script may have had
    more to do first)."""
    try:
        answer = http.post(action, data=dict(_fields(page.text)), follow_redirects=False)
    except (httpx.HTTPError, httpx.InvalidURL):
        return None
    return urljoin(action, answer.headers["location"]) if answer.is_redirect else None
