"""Redirect URI rules as Entra applies them.

Exact string match, except that for ``http`` loopback URIs (``localhost``, ``127.0.0.1``) the port
is ignored. A URI without a path is registered and compared with a trailing ``/``. A URI that is
not a usable URL (see :mod:`.urls`) matches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import SplitResult, urlunsplit

from .urls import UrlError, split_url

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
UNSUPPORTED_CHARACTERS = frozenset("!$'(),;")
PERSONAL_ACCOUNT_AUDIENCES = frozenset({"AzureADandPersonalMicrosoftAccount",
                                        "PersonalMicrosoftAccount"})
PERSONAL_ACCOUNT_MAX_URIS = 100


class _Form(NamedTuple):
    """What matching needs of one URI."""

    loopback: bool
    """An ``http`` URI on a loopback host, whose port is ignored."""
    fragment: bool
    exact: str
    """The URI normalised: scheme and host lower-cased, an empty path as ``/``."""
    portless: str
    """The same without the port."""


@lru_cache(maxsize=4096)
def _form(uri: str) -> _Form | None:
    """``uri`` as matching compares it, or ``None`` when it is not a usable URL. Cached: an
    app's registered URIs are compared on every sign-in (the cache is bounded)."""
    try:
        parts = split_url(uri, schemes=None)
    except UrlError:
        return None
    return _Form(_loopback(parts), bool(parts.fragment), _normalise(parts, drop_port=False),
                 _normalise(parts, drop_port=True))


def _normalise(parts: SplitResult, *, drop_port: bool) -> str:
    path = parts.path or "/"
    netloc = parts.netloc
    if drop_port and parts.hostname is not None:
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        netloc = host
    return urlunsplit((parts.scheme.lower(), netloc.lower(), path, parts.query, ""))


def _loopback(parts: SplitResult) -> bool:
    return parts.scheme == "http" and (parts.hostname or "") in ("localhost", "127.0.0.1", "::1")


def is_loopback_http(uri: str) -> bool:
    form = _form(uri)
    return form is not None and form.loopback


def insecure(uri: str) -> bool:
    """An ``http`` URI on a host that is not a loopback one. Entra takes ``http`` only for
    ``localhost`` (and the loopback addresses) and stops any other on its error page with
    AADSTS500117, even when the URI is registered (entra-id.md §8, §5.3)."""
    form = _form(uri)
    return form is not None and not form.loopback and form.exact.startswith("http:")


def _compared(form: _Form) -> str:
    return form.portless if form.loopback else form.exact


def matches(requested: str, registered: Iterable[str]) -> bool:
    wanted = _form(requested)
    if wanted is None or wanted.fragment:
        return False
    for candidate in registered:
        form = _form(candidate)
        if form is not None and form.loopback == wanted.loopback and (
                _compared(form) == _compared(wanted)):
            return True
    return False


def registration_problem(web: Sequence[str], spa: Sequence[str], audience: str
                         ) -> tuple[str, int | None, str] | None:
    """The first registration rule an app's redirect URIs break, as ``(list, index, why)``
    (``list`` is ``web`` or ``spa``; ``index`` ``None`` for the list as a whole). Entra's
    redirect URI restrictions: the characters ``! $ ' ( ) , ;`` are not supported, and an app
    that signs in personal Microsoft accounts takes at most 100 URIs, none with a query string
    (entra-id.md §8)."""
    personal = audience in PERSONAL_ACCOUNT_AUDIENCES
    for kind, uris in (("web", web), ("spa", spa)):
        for i, uri in enumerate(uris):
            if bad := UNSUPPORTED_CHARACTERS & set(uri):
                return kind, i, f"must not contain {' '.join(sorted(bad))}"
            if personal and "?" in uri:
                return kind, i, ("must not have a query string in an app that signs in personal "
                                 "Microsoft accounts")
    if personal and len(web) + len(spa) > PERSONAL_ACCOUNT_MAX_URIS:
        return "web", None, (f"at most {PERSONAL_ACCOUNT_MAX_URIS} redirect URIs in an app that "
                             "signs in personal Microsoft accounts")
    return None
