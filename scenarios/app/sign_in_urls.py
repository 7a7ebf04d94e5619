"""Where a sign-in starts: the app's ``[sign_in]`` URLs, where each lands, its protected URLs,
and the ``[sign_in] control`` a sign-in page waits to have clicked, for
:class:`~scenarios.app.adapter.ProfileAdapter`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scenarios.app.interface import Unsupported
from scenarios.app.page_looks import shown_element
from scenarios.app.sign_in_control import click_sign_in, control_locator, needs_click

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from scenarios.app.adapter import ProfileAdapter


def sign_in_names(app: ProfileAdapter) -> tuple[str, ...]:
    return tuple(u.name for u in app.profile.sign_in.urls)


def sign_in_url(app: ProfileAdapter, name: str | None = None) -> str:
    sign_in = app.profile.sign_in
    if name is None:
        if sign_in.urls:
            return app.url(sign_in.urls[0].url)
        if sign_in.protected_urls:
            return app.url(sign_in.protected_urls[0])
        raise Unsupported(f"{app.name}: the profile has no sign-in URL")
    found = sign_in.url(name)
    if found is None:
        names = ", ".join(app.sign_in_names())
        raise Unsupported(f"{app.name}: the profile has no sign-in URL named {name!r} "
                          + (f"(its [sign_in] urls: {names})" if names
                             else "(its [sign_in] urls name none)"))
    return app.url(found.url)


def start_sign_in(app: ProfileAdapter, page: Page, url: str) -> bool:
    """After the browser followed ``url``: click ``[sign_in] control`` when ``url`` is one
    of ``[sign_in] urls`` and its page waits for the click (:mod:`.sign_in_control`);
    whether it was clicked."""
    sign_in = app.profile.sign_in
    urls = tuple(app.url(u.url) for u in sign_in.urls)
    control = sign_in.control
    if control is None or not needs_click(control, urls, url):
        return False
    return click_sign_in(page, control, app_base_url=app.base_url, url=url,
                         answered=lambda: _answered_already(app, page, control),
                         showing=lambda: app.showing(page))


def _answered_already(app: ProfileAdapter, page: Page, control: str) -> bool:
    """Whether the page shows someone signed in, or the support contact without
    ``control`` (a failure page in place of a sign-in page): nothing to click through. A
    sign-in page may show the contact beside its control: Flask-AppBuilder sends a failed
    sign-in back to its login page, so that is where a deployment puts it."""
    from playwright.sync_api import Error

    if app.shows_signed_in_now(page):
        return True
    try:
        return (bool(app.contact) and shown_element(page, app.contact).count() > 0
                and control_locator(page, control).count() == 0)
    except Error:  # a page navigating meanwhile
        return False


def lands_on(app: ProfileAdapter, name: str | None = None) -> str | None:
    sign_in = app.profile.sign_in
    if name is None and not sign_in.urls and sign_in.protected_urls:
        return urlsplit(app.url(sign_in.protected_urls[0])).path
    found = sign_in.urls[0] if name is None and sign_in.urls else sign_in.url(name or "")
    return found.lands_on if found is not None else None


def protected_urls(app: ProfileAdapter) -> tuple[str, ...]:
    return tuple(app.url(u) for u in app.profile.sign_in.protected_urls)


