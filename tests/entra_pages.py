"""Answering the mock provider's sign-in pages from their HTML, for tests that drive it over
HTTP rather than in a browser: the username page, the password page, then "Stay signed in?".

    answers = sign_in_answers(upn, password)
    while response.status_code == 200:
        action, ctx = next_form(response.text)
        response = client.post(action, data={"ctx": ctx, **next(answers)})
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

_CTX = re.compile(r'name="ctx" value="([^"]+)"')
_ACTION = re.compile(r'<form method="post" action="([^"]+)"')


def sign_in_answers(upn: str, password: str, *, stay: str = "No") -> Iterator[dict[str, str]]:
    """What a person types on each page, in order."""
    return iter(({"loginfmt": upn}, {"loginfmt": upn, "passwd": password}, {"answer": stay}))


def next_form(page: str) -> tuple[str, str]:
    """The form's action (HTML entities decoded) and its ``ctx`` on a sign-in page."""
    ctx, action = _CTX.search(page), _ACTION.search(page)
    assert ctx and action, page[:500]
    return html.unescape(action.group(1)), ctx.group(1)
