"""``[sign_in] control``: the click a sign-in page waits for.

Many apps' sign-in URL is a page with a "Sign in with Microsoft" button (Streamlit's
``st.login`` is called from a button's callback, https://docs.streamlit.io/develop/api-reference/user/st.login;
JupyterHub shows its login button unless ``auto_login`` is set,
https://jupyterhub.readthedocs.io/en/stable/reference/api/auth.html). A profile that names the
button is clicked through: after the browser follows one of ``[sign_in] urls`` and stays on
the app's page, the button or link of that accessible name is clicked, as ``[sign_out]
control`` is. A partner launch URL is never clicked through (partner-app SSO starts at once),
nor a page that already left the app or shows someone signed in.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from scenarios.app.elsewhere import bare
from scenarios.app.self_posting import button_form, submit
from scenarios.settled_error import until_unless_settled_error

if TYPE_CHECKING:
    import httpx
    from playwright.sync_api import Locator, Page

__all__ = ["click_sign_in", "control_hint", "control_link", "control_locator", "control_target",
           "needs_click"]

_LINK = re.compile(r"<a\b[^>]*\bhref\s*=\s*([\"'])(?P<href>[^\"']*)\1[^>]*>(?P<text>.*?)</a\s*>",
                   re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_CONTROL = re.compile(r"<(?P<tag>a|button)\b(?P<attrs>[^>]*)>(?P<text>.*?)</(?P=tag)\s*>",
                      re.IGNORECASE | re.DOTALL)
_HREF = re.compile(r"""(?:^|\s)href\s*=\s*(["'])(?P<href>[^"']*)\1""", re.IGNORECASE)
_SCRIPTED = re.compile(r"\s*(#|javascript:)", re.IGNORECASE)
"""An ``href`` a script acts on, not a way to another page (nor to the page itself)."""
_SIGN_IN_WORDS = re.compile(r"\b(sign|log)[\s-]?(in|on)\b", re.IGNORECASE)
"""A control's name that reads as signing in, as :mod:`scenarios.sign_in_elsewhere` finds one
in the browser."""


def exact_name(name: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(name)}\s*$")


def control_locator(page: Page, name: str) -> Locator:
    """The first button or link whose accessible name is ``name`` (spaces around it aside),
    or an ``<a>`` without ``href`` of that text: an anchor a script makes a button, which has
    no role (HTML-AAM maps it to ``generic``), as Flask-AppBuilder's "Sign In with azure" on
    its OAuth login page."""
    pattern = exact_name(name)
    return page.get_by_role("button", name=pattern).or_(
        page.get_by_role("link", name=pattern)).or_(
        page.locator("a:not([href])").filter(has_text=pattern)).first


def needs_click(control: str | None, sign_in_urls: tuple[str, ...], url: str) -> bool:
    """Whether following ``url`` is to be followed by a click on ``control``: only for one of
    the profile's ``[sign_in] urls`` (never a protected URL or a partner launch)."""
    return control is not None and bare(url) in {bare(u) for u in sign_in_urls}


def click_sign_in(page: Page, control: str, *, app_base_url: str, url: str,
                  answered: Callable[[], bool], showing: Callable[[], str]) -> bool:
    """Click ``control`` on the page ``url`` left the browser on; ``False`` when there was
    nothing to click: the browser already left the app (the page started the sign-in by
    itself), or ``answered()`` says the page is the app's answer already (someone signed in,
    its failure page). A control that never shows, or cannot be clicked, fails the scenario
    saying so, not with a timeout's stack."""
    from playwright.sync_api import Error, expect

    app = urlsplit(app_base_url).netloc

    def over() -> bool:
        return urlsplit(page.url).netloc != app or answered()

    if over():
        return False
    button = control_locator(page, control)
    try:
        until_unless_settled_error(
            page, lambda timeout: expect(button).to_be_visible(timeout=timeout), over=over)
    except AssertionError as exc:
        if over():
            return False
        raise AssertionError(
            f"no button or link named [sign_in] control {control!r} on the page "
            f"{bare(url)} opened; {showing()}") from exc
    try:
        button.click()
    except Error as exc:
        raise AssertionError(
            f"the [sign_in] control {control!r} could not be clicked ({type(exc).__name__}); "
            f"{showing()}") from exc
    return True


def control_link(page_html: str, control: str) -> str | None:
    """The ``href`` of a link in ``page_html`` whose text is ``control``: what ``app check``,
    which runs no browser, can follow of a click (a button, or a page a script draws, it
    cannot)."""
    for link in _LINK.finditer(page_html):
        text = html.unescape(_TAG.sub("", link.group("text")))
        if " ".join(text.split()) == " ".join(control.split()):
            return html.unescape(link.group("href"))
    return None


def control_hint(page_html: str, page_url: str) -> str:
    """For ``app check``'s finding on a sign-in page that waits for a click: the profile line
    that names its sign-in link or button (``[sign_in] control = "Sign In"``), as a run's
    failure gives it (:mod:`scenarios.sign_in_elsewhere`, whose choice this makes too); ``""``
    for a page with none. A link to ``page_url`` itself with no query of its own starts nothing
    (Flask-AppBuilder's navigation bar shows "Login" on its login page), unlike one of ``#``
    or ``javascript:``, a script's; an ``<a>`` without ``href`` is a button a script makes,
    which :func:`control_locator` finds (Flask-AppBuilder's "Sign In with azure")."""
    for found in _CONTROL.finditer(page_html):
        href = _HREF.search(found.group("attrs")) if found.group("tag").lower() == "a" else None
        target = html.unescape(href.group("href")) if href is not None else ""
        if href is not None and _to_itself(target, page_url):
            continue
        link = href is not None  # its role is link, "#" or not (as sign_in_elsewhere says)
        text = " ".join(html.unescape(_TAG.sub("", found.group("text"))).split())
        if text and len(text) <= 60 and _SIGN_IN_WORDS.search(text):
            return (f"; it shows a {text!r} {'link' if link else 'button'}: for a customer "
                    "sign-in page that waits for that click, name it in the profile as "
                    f"[sign_in] control = {json.dumps(text, ensure_ascii=False)}")
    return ""


def _to_itself(href: str, page_url: str) -> bool:
    """Whether ``href`` leads to the page at ``page_url`` itself, with no query of its own."""
    if _SCRIPTED.match(href):
        return False
    target, here = urlsplit(urljoin(page_url, href)), urlsplit(page_url)
    return (target.netloc == here.netloc and target.path == here.path) and not target.query


def control_target(http: httpx.Client, url: str, control: str) -> str | None:
    """The URL the link named ``control`` on the page at ``url`` leads to, or where posting the
    form of the button of that name redirects, if it has one
    (``None`` too when the page cannot be fetched again: an app that stopped meanwhile)."""
    import httpx

    try:
        page = http.get(url, follow_redirects=True)
    except (httpx.HTTPError, httpx.InvalidURL):
        return None
    href = control_link(page.text, control)
    if href is not None:
        return urljoin(str(page.url), href)
    # A button of a POST form: posted with the form's own fields, as the click would.
    action = button_form(page, control)
    return None if action is None else submit(http, page, action)

