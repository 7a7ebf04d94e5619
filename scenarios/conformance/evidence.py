"""What the mock provider's request log says about a row: whether the app fetched the signing
keys, which flow and client its authorization requests asked for, how the token endpoint
answered, and whether the app started its sign-in again after a fault changed an answer.

The log is ``GET /_mock/activity`` (its ``requests``), read once per row by the protocol view;
the functions here are pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

__all__ = ["ProviderEvidence", "asks_for_id_token", "evidence_of"]

KEY_PATHS = ("/discovery/v2.0/keys", "/discovery/keys")
AUTHORIZE_PATHS = ("/oauth2/v2.0/authorize", "/oauth2/authorize")
TOKEN_PATHS = ("/oauth2/v2.0/token", "/oauth2/token")


@dataclass(frozen=True, kw_only=True)
class ProviderEvidence:
    key_fetches: int = 0
    """GETs of a tenant's signing keys (``jwks_uri``) the provider answered."""
    response_type: str | None = None
    """The ``response_type`` of the last authorization request (``None``: there was none)."""
    sent_nonce: bool | None = None
    """Whether the last authorization request carried a ``nonce`` (``None``: there was none)."""
    sent_pkce: bool | None = None
    """Whether it carried a PKCE ``code_challenge`` (``None``: there was none)."""
    client_ids: tuple[str, ...] = ()
    """The ``client_id`` of each authorization request, each once (case ignored), first seen
    first."""
    token_answers: tuple[str, ...] = ()
    """How the token endpoint answered each request: ``HTTP 200`` or ``HTTP 401
    invalid_client``."""
    asked_id_token: bool | None = None
    """Whether the last authorization request asked for an ID token: ``openid`` in its
    ``scope``, ``id_token`` in its ``response_type``, or Entra's v1 endpoint, whose code flow
    always answers one (``None``: there was none). Entra's v2.0 endpoints answer a request
    without ``openid`` with an access token alone (django-allauth's Microsoft provider asks
    ``User.Read`` and reads the person from Graph's ``/me``)."""
    restarted: bool = False
    """The app sent a new authorization request after the provider answered one of its
    requests with an armed fault's change (a tampered ID token, a changed userinfo): it
    refused that answer and started its sign-in again, which the fault, fired once, leaves
    correct."""


def _faulted(entry: Mapping[str, Any]) -> bool:
    """Whether a fault changed the provider's answer to this request (its log's notes)."""
    notes = entry.get("notes")
    return isinstance(notes, list) and any(isinstance(note, Mapping) and "fault" in note
                                           for note in notes)


def _interactive(entry: Mapping[str, Any]) -> bool:
    """An authorization request that starts a sign-in (``client_id``, and no ``prompt=none``:
    a silent renewal, which an app that took the faulted token makes for more tokens, does not
    show that it refused it)."""
    query = parse_qs(str(entry.get("query", "")))
    return "client_id" in query and "none" not in query.get("prompt", [])


def _answer(entry: Mapping[str, Any]) -> str:
    status = entry.get("status")
    response = entry.get("response")
    body = response.get("json") if isinstance(response, Mapping) else None
    error = body.get("error") if isinstance(body, Mapping) else None
    return f"HTTP {status}" + (f" {error}" if isinstance(error, str) and error else "")


def asks_for_id_token(path: str, scope: str, response_type: str) -> bool:
    """Whether an authorization request to ``path`` asks for an ID token: one to Entra's v1
    endpoint always gets one with its code; one to the v2.0 endpoint only with ``openid`` in
    its ``scope`` or ``id_token`` in its ``response_type``."""
    return (not path.endswith(AUTHORIZE_PATHS[0]) or "openid" in scope.split()
            or "id_token" in response_type.split())


def evidence_of(requests: Iterable[Mapping[str, Any]]) -> ProviderEvidence:
    """Read the provider's logged requests (oldest first)."""
    keys = 0
    response_type: str | None = None
    sent: set[str] | None = None
    asked_id_token: bool | None = None
    client_ids: dict[str, str] = {}
    answers: list[str] = []
    faulted = restarted = False
    for entry in requests:
        path = str(entry.get("path", ""))
        method = str(entry.get("method", "")).upper()
        if path.endswith(AUTHORIZE_PATHS) and faulted and _interactive(entry):
            restarted = True
        faulted = faulted or _faulted(entry)
        if method == "GET" and path.endswith(KEY_PATHS) and entry.get("status") == 200:
            keys += 1
        elif path.endswith(AUTHORIZE_PATHS):
            query = parse_qs(str(entry.get("query", "")))
            if "client_id" in query:  # not the sign-in page's own posts
                sent = set(query)
                asked_id_token = asks_for_id_token(path, " ".join(query.get("scope", [])),
                                                   " ".join(query.get("response_type", [])))
            if asked := query.get("response_type"):
                response_type = " ".join(asked[0].split())
            for client_id in query.get("client_id", ()):
                client_ids.setdefault(client_id.lower(), client_id)
        elif method == "POST" and path.endswith(TOKEN_PATHS):
            answers.append(_answer(entry))
    return ProviderEvidence(key_fetches=keys, response_type=response_type,
                            sent_nonce=None if sent is None else "nonce" in sent,
                            sent_pkce=None if sent is None else "code_challenge" in sent,
                            client_ids=tuple(client_ids.values()), token_answers=tuple(answers),
                            asked_id_token=asked_id_token, restarted=restarted)
