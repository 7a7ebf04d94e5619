"""What the app's ``me_url`` answers of who is signed in: the ``[signed_in.me_json]`` values of
:class:`~scenarios.app.adapter.ProfileAdapter` (``email``, ``name``, ``groups``) and the check
that they name the person who signed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from scenarios.app.calls import dig, holds, string_list
from scenarios.app.interface import Someone, Unsupported

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from scenarios.app.adapter import ProfileAdapter


class SignedInElsewhere(AssertionError):
    """Someone is signed in (``me_url`` answered 2xx), but the browser is not where the profile
    says, the page does not show it, or ``[signed_in.me_json]`` does not name the person."""


def expect_me_json(app: ProfileAdapter, page: Page, person: Someone) -> None:
    """``[signed_in.me_json]`` ``email`` and ``name`` name ``person``. An app may hold no
    address for its user: one that keeps only an address the provider vouches for (as the
    reference RP does: Entra's ``xms_edov``, :func:`relying_party.callback._email`) has
    none when the app registration does not ask for ``email`` and ``xms_edov``, or when
    the user's mail domain is not one the tenant verified. Then the name tells who signed
    in; an address it holds must be the person's (:func:`_addresses`)."""
    signed_in = app.profile.signed_in
    checked = [key for key in ("email", "name") if key in signed_in.me_json]
    if not checked:
        return
    data = me_data(app, page) if signed_in.me_url else None
    me = me_values(app, data)
    me_url = app.url(signed_in.me_url or "")
    addressless = False
    for key in checked:
        path, got = signed_in.me_json[key], me.get(key)
        if key == "email":
            if got is None and holds(data, path):  # null: it holds none
                if "name" in checked and _held_beside(data, path, person):
                    continue  # it holds her address, under another member than the path
                if "name" in checked:
                    addressless = True
                    continue  # the name says who signed in
                raise AssertionError(
                    f"{me_url} holds no e-mail address for {person.upn} ({key} {path!r} is "
                    "null), and the profile's [signed_in.me_json] names no name to tell "
                    "who signed in: an app that keeps only an address the provider vouches "
                    "for gets one from Entra only when its app registration lists the email "
                    "and xms_edov optional claims (Token configuration) and the user's mail "
                    "domain is verified in the tenant; add name to [signed_in.me_json], or "
                    "those optional claims")
            wanted = _addresses(person)
            same = got is not None and got.strip().casefold() in wanted
            expected = " or ".join(wanted)
        else:
            same, expected = got is not None and got.strip() == person.name, person.name
        where = (f"[signed_in.me_json] {key} = {path!r} of {me_url}"
                 if got is None else f"{key} {path!r}")
        if not same:  # a member missing altogether: signed in, not as the profile says
            raise SignedInElsewhere(f"signed in as {got!r}, expected {expected} "
                                    f"({'nothing at ' if got is None else ''}{where})")
    if addressless:  # the name told who it is
        app.addressless.add(person.upn)


def me_data(app: ProfileAdapter, page: Page) -> object | None:  # None: me_url did not answer 2xx
    answer = page.request.get(app.url(app.profile.signed_in.me_url or "/"), max_redirects=0)
    return answer.json() if answer.ok else None


def me(app: ProfileAdapter, page: Page) -> Mapping[str, str | None]:
    signed_in = app.profile.signed_in
    if not signed_in.me_url or not signed_in.me_json:
        return {}
    return me_values(app, me_data(app, page))


def holds_no_address(app: ProfileAdapter, page: Page) -> bool:
    """Whether the app names the user signed in in this browser with no e-mail address:
    ``[signed_in.me_json] email`` is ``null`` in ``me_url``'s answer, as in an app that
    keeps only an address the provider vouches for and got none (:func:`expect_me_json`).
    ``False`` when it holds one, when the member is missing (a misspelt path), without
    ``me_url`` or that path, or when ``me_url`` does not answer 2xx."""
    signed_in = app.profile.signed_in
    path = signed_in.me_json.get("email")
    if not signed_in.me_url or path is None:
        return False
    data = me_data(app, page)
    return data is not None and holds(data, path) and dig(data, path) is None


def me_values(app: ProfileAdapter, data: object | None) -> dict[str, str | None]:
    """Each ``[signed_in.me_json]`` value of ``me_url``'s answer ``data`` (``None``: it
    gave none), as text; ``None`` where the answer has nothing there."""
    signed_in = app.profile.signed_in
    if data is None:
        return {name: None for name in signed_in.me_json}
    out: dict[str, str | None] = {}
    for name, path in signed_in.me_json.items():
        value = dig(data, path)
        out[name] = None if value is None else str(value)
    return out


def groups(app: ProfileAdapter, page: Page) -> tuple[str, ...]:
    signed_in = app.profile.signed_in
    path = signed_in.me_json.get("groups")
    if not signed_in.me_url or path is None:
        raise Unsupported(f"{app.name}: the profile has no [signed_in.me_json] groups")
    data = me_data(app, page)
    assert data is not None, f"{app.url(signed_in.me_url)} failed: not signed in"
    return string_list(dig(data, path), f"{signed_in.me_url} {path!r}")


def _held_beside(data: object, path: str, person: Someone) -> bool:
    """Whether a member beside ``path``'s (in the same object) holds ``person``'s address:
    the app holds one, under another name than the profile's path. flask-oidc 2.4.0 keeps
    ``email`` from UserInfo, which answers no ``preferred_username`` on Entra, and after a
    token refresh drops the ID token's claims: ``preferred_username`` is then ``null`` beside
    her address. Such an app is not one that holds no address (no note on optional claims)."""
    parent, _, _ = path.rpartition(".")
    beside = dig(data, parent) if parent else data
    if not isinstance(beside, Mapping):
        return False
    wanted = _addresses(person)
    return any(isinstance(value, str) and value.strip().casefold() in wanted
               for value in beside.values())


def _addresses(person: Someone) -> tuple[str, ...]:
    """The addresses an app may hold for ``person``, lower-cased: the UPN, and the person's
    mail when it has one of its own (an ``email`` attribute: a user's mail need not be its
    UPN, and the address Entra vouches for is the mail)."""
    email = getattr(person, "email", None)
    found = [person.upn] + ([email] if isinstance(email, str) and email else [])
    return tuple(dict.fromkeys(a.strip().casefold() for a in found))
