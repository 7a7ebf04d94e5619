"""The provider refusing the user the conformance command signs in with: an unknown user, a
wrong password, a locked account, or a user the app may not have (Entra's AADSTS50105, sent
back to the app). Those are the command's own input (``--user``, ``--password``), so the
preflight names them instead of blaming the app under test. :func:`refusal_kind` sorts a
refusal for both this command and ``run --idp``, which word their advice each for its own
input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, urlsplit

from mock_idp.signin import ids
from scenarios.conformance.judging import Refusal

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["RefusalKind", "described_refusal", "driver_refusal", "refusal_kind", "refused_user",
           "sent_refusal", "shown_refusal"]

TEXT_LIMIT = 300

_SHOWN_JS = """(fields) => {
  for (const [where, id] of fields) {
    const el = document.getElementById(id);
    if (!el) continue;
    const box = el.getBoundingClientRect();
    const text = el.innerText.replace(/\\s+/g, " ").trim();
    if (text && box.width > 0 && box.height > 0) return [where, text];
  }
  return null;
}"""

RefusalKind = Literal["unknown_user", "wrong_password", "wrong_credentials", "wrong_code",
                      "locked", "expired", "disabled", "second_factor", "not_assigned",
                      "account_action"]
"""What the provider refused about the user who signs in: ``wrong_credentials`` is Entra's
"username or password" (AADSTS50126), ``second_factor`` an account that must give one (its
page, or AADSTS50076 / 50079 sent back), ``account_action`` an account asked for something
else a driver cannot give (a new password)."""

_KIND_OF_CODE: Mapping[int, RefusalKind] = {
    50034: "unknown_user",
    50053: "locked",
    50055: "expired",
    50057: "disabled",
    50076: "second_factor",
    50079: "second_factor",
    50105: "not_assigned",
    50126: "wrong_credentials",
}
"""AADSTS codes that refuse the user who signs in, not the app."""

_KIND_OF_FIELD: Mapping[str, RefusalKind] = {
    "username": "unknown_user",
    "password": "wrong_password",
    "code": "wrong_code",
    "factor": "second_factor",
    "account": "account_action",
}

_USER_ADVICE: Mapping[RefusalKind, str] = {
    "unknown_user": "no such user: check --user (a first name in the mock's directory, or a UPN)",
    "wrong_password": "check --password (default: P@ssw0rd-<first name in lower case>)",
    "wrong_credentials": "check --user and --password",
    "wrong_code": "give another --user",
    "locked": "the account is locked: give another --user, or unlock it at the mock",
    "expired": "the user's password has expired: give another --user",
    "disabled": "the user's account is disabled: give another --user",
    "second_factor": "the user must give a second factor, which this command cannot: give "
                     "another --user, or remove the user's authenticator app at the mock",
    "not_assigned": "the user is not assigned to the app, which requires assignment: give "
                    "another --user (one assigned to the app), or assign this one",
    "account_action": "give another --user",
}
"""What to do about each refusal of the user, in this command's options."""


def refusal_kind(refusal: Refusal) -> RefusalKind | None:
    """What the provider refused about the user who signs in; ``None`` for a refusal that is
    the app's or the connection's (an unregistered redirect URI, say). A locked account shows
    under the password without its code (Entra, and the mock, put AADSTS50053 in a sibling
    element), so its words are read first; then the code; then the field it blames."""
    if refusal.where == "password" and re.search(r"\blocked\b", refusal.text, re.IGNORECASE):
        return "locked"
    if refusal.aadsts is not None and refusal.aadsts in _KIND_OF_CODE:
        return _KIND_OF_CODE[refusal.aadsts]
    return _KIND_OF_FIELD.get(refusal.where)


def _flat(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TEXT_LIMIT else flat[: TEXT_LIMIT - 3] + "..."


def _aadsts(text: str) -> int | None:
    found = re.search(r"AADSTS(\d+)", text)
    return int(found.group(1)) if found else None


def shown_refusal(page: Page) -> Refusal | None:
    """The error the provider's page shows where the driver stopped: under the username, the
    password or the code, or its error page's message."""
    try:
        found = page.evaluate(_SHOWN_JS, [
            ["username", ids.USERNAME_ERROR], ["password", ids.PASSWORD_ERROR],
            ["code", ids.CODE_ERROR], ["page", ids.SERVICE_EXCEPTION]])
    except Exception:  # a page that navigated away meanwhile: nothing shown here
        return None
    if not found:
        return None
    where, text = found
    return Refusal(where=where, text=_flat(str(text)), aadsts=_aadsts(str(text)))


def driver_refusal(exc: Exception) -> Refusal:
    """A sign-in page the driver cannot answer for the account (its
    :class:`~scenarios.drivers.SecondFactorRequired` or
    :class:`~scenarios.drivers.PasswordChangeRequired`), as a refusal of the user."""
    from scenarios.drivers import SecondFactorRequired

    return Refusal(where="factor" if isinstance(exc, SecondFactorRequired) else "account",
                   text=_flat(str(exc)))


def described_refusal(error: str, description: str | None) -> Refusal:
    """The provider's error sent to the app: its OAuth ``error`` and ``error_description``."""
    # Entra's descriptions end in trace and correlation ids, of no use here
    description = re.split(r"\s+Trace ID:", description or "")[0]
    return Refusal(where="redirect", aadsts=_aadsts(description),
                   text=_flat(f"{error}: {description}" if description else error))


def sent_refusal(urls: Iterable[str], forms: Iterable[str] = ()) -> Refusal | None:
    """An error the provider sent to the app's redirect URI instead of a code: in the query,
    or in the fragment of the redirect that sent the browser there (``urls``: the app's), or in
    the form its page posted there (``response_mode=form_post``; ``forms``: the bodies the
    browser posted to the app)."""
    answers = [{**parse_qs(parts.query), **parse_qs(parts.fragment)}
               for parts in map(urlsplit, urls)]
    for params in (*answers, *map(parse_qs, forms)):
        if error := params.get("error"):
            return described_refusal(error[0], params.get("error_description", [""])[0])
    return None


def refused_user(upn: str, refusal: Refusal) -> str | None:
    """The preflight's line when the provider refused the user or password the command signs
    in with; ``None`` for a refusal that is the app's (an unregistered redirect URI, say)."""
    if (kind := refusal_kind(refusal)) is None:
        return None
    where = ("in its error sent to the app" if refusal.where == "redirect"
             else "on its sign-in page")
    return (f"the mock provider refused the sign-in of {upn} ({where}: \"{refusal.text}\"): "
            f"{_USER_ADVICE[kind]}. This is the user this command signs in with, not a fault of "
            "the app")
