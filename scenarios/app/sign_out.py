"""Signing out of the app: the ``[sign_out]`` control or URL, and the page sign-out ends on,
for :class:`~scenarios.app.adapter.ProfileAdapter`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scenarios.app.interface import Unsupported
from scenarios.app.page_looks import expect_or_say
from scenarios.app.sign_in_control import control_locator

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from scenarios.app.adapter import ProfileAdapter


def sign_out(app: ProfileAdapter, page: Page) -> None:
    sign_out = app.profile.sign_out
    if sign_out.control:
        from playwright.sync_api import Error, expect

        control = control_locator(page, sign_out.control)
        # No control comes on an error page that stays.
        expect_or_say(page, lambda timeout: expect(control).to_be_visible(timeout=timeout),
                      f"no button or link named [sign_out] control {sign_out.control!r}",
                      app.base_url)
        try:
            control.click()
        except Error as exc:
            raise AssertionError(
                f"the [sign_out] control {sign_out.control!r} could not be clicked "
                f"({type(exc).__name__}); {app.showing(page)}") from exc
    elif sign_out.url:
        page.goto(app.url(sign_out.url))
    else:
        raise Unsupported(f"{app.name}: the profile has no [sign_out] url or control")


def _sign_out_landed(app: ProfileAdapter) -> re.Pattern[str] | None:
    """The URLs of ``[sign_out] lands_on`` (any query or fragment), when the profile says."""
    lands_on = app.profile.sign_out.lands_on
    if not lands_on:
        return None
    return re.compile("^" + re.escape(app.landing(lands_on)) + r"([?#].*)?$")


def shows_sign_out_page(app: ProfileAdapter, page: Page) -> bool | None:
    """Whether the browser shows the app's signed-out page now (``[sign_out] lands_on``
    and ``text``, whichever the profile names), without waiting; ``None`` when the profile
    names neither."""
    from playwright.sync_api import Error

    sign_out, landed = app.profile.sign_out, _sign_out_landed(app)
    if landed is None and not sign_out.text:
        return None
    if landed is not None and not landed.match(page.url):
        return False
    if not sign_out.text:
        return True
    try:  # between documents there is no body to read yet
        body = page.evaluate("() => document.body ? document.body.innerText : ''")
    except Error:
        return False
    return " ".join(sign_out.text.split()) in " ".join(str(body).split())


def expect_sign_out_page(app: ProfileAdapter, page: Page) -> None:
    from playwright.sync_api import expect

    sign_out = app.profile.sign_out
    landed = _sign_out_landed(app)
    if landed is not None:
        where = app.landing(str(sign_out.lands_on))
        # An error page that stays (a 500 at the sign-out URL) ends the wait.
        expect_or_say(page, lambda timeout: expect(page).to_have_url(landed, timeout=timeout),
                      f"sign-out did not end at [sign_out] lands_on {sign_out.lands_on!r} "
                      f"({where})", app.base_url)
    if sign_out.text:
        body, text = page.locator("body"), sign_out.text
        expect_or_say(page, lambda timeout: expect(body).to_contain_text(text, timeout=timeout),
                      f"the page sign-out ended on does not show [sign_out] text "
                      f"{sign_out.text!r}", app.base_url)


