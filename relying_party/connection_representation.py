"""A connection as the admin API shows it: its JSON, its ``ETag``, and the members a client
may send back but not set.

**Read-only members.** ``GET`` answers members the server sets (:data:`READ_ONLY`). A client's
natural round trip, ``GET``, change one field, ``PUT`` (or ``PATCH``) the whole object back,
sends them too; they are taken when they equal what ``GET`` answers for the connection the
change is made from, and a read-only member with another value is refused, 400 naming it, rather
than ignored: sending ``"id": "other"`` does not rename the connection, and the client is told
so. This is the rule Kubernetes applies to an object's name and uid on an update (a different
one is refused, the same one taken); ``version`` is the change's precondition instead
(:mod:`relying_party.connection_versions`). ``health`` is a live report that changes while the
connection does not (a day passes, a user signs in, the provider refuses the secret): it is
taken whatever it holds, as long as it is an object, so that a round trip never fails because
time passed between the ``GET`` and the ``PUT``.

**ETag.** ``"<version>-<digest>"``: the connection's version, then a digest of the whole body
``GET`` answers. ``health`` is part of that body and changes at the same version, so a tag of
the version alone would be a strong validator that stays the same while the body changes,
which RFC 9110 §8.8.3 forbids, and a conditional ``GET`` (``If-None-Match``) would answer 304
over a new secret refusal or a new error an admin polls health for. A change's ``If-Match``
names the version only (:func:`tag_version`): health is no stored state a change could undo, so
a sign-in between an admin's ``GET`` and ``PUT`` does not make the change stale."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from .connection_admin import connection_health
from .connections import discovery_url_for, frontchannel_logout_url, sign_in_urls
from .db import Connection
from .redirect_uris import connection_redirect_uri
from .web import AppState


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def connection_json(rp: AppState, c: Connection) -> dict[str, Any]:
    h = connection_health(rp, c)
    return {
        "id": c.id,
        "name": c.name,
        "authorization_uri": c.authorization_uri,
        "token_url": c.token_url,
        "client_id": c.client_id,
        "client_secret_set": bool(c.client_secret),
        "secret_expires_on": c.secret_expires_on.isoformat(),
        "support_contact": c.support_contact,
        "discovery_url": c.discovery_url,
        "effective_discovery_url": discovery_url_for(c),
        "client_auth_method": c.client_auth_method,
        "enabled": c.enabled,
        "created_at": _iso(c.created_at),
        "updated_at": _iso(c.updated_at),
        "sign_in_urls": sign_in_urls(rp.settings.base_url, c.id),
        "frontchannel_logout_url": frontchannel_logout_url(rp.settings.base_url, c.id),
        "redirect_uri": connection_redirect_uri(rp.settings.base_url, c.id),
        "post_logout_redirect_uri": rp.settings.post_logout_redirect_uri,
        "version": c.version,
        "health": {
            "days_until_secret_expiry": h.days_until_secret_expiry,
            "secret_expired": h.secret_expired,
            "secret_accepted_after_end_date": h.secret_accepted_after_end_date,
            "secret_invalid": h.secret_invalid,
            "secret_warning": h.secret_warning,
            "secret_refused": None if h.secret_refused_code is None else {
                "idp_error_code": h.secret_refused_code, "at": _iso(h.secret_refused_at)},
            "secret_saved_at": _iso(h.secret_saved_at),
            "last_login_at": _iso(h.last_login_at),
            "secret_accepted_at": _iso(h.secret_accepted_at),
            "recent_errors": [e.ref for e in h.recent_errors],
            "errors_before_secret": [e.ref for e in h.recent_errors
                                     if e.ref in h.errors_before_secret],
        },
    }


READ_ONLY = ("id", "client_secret_set", "effective_discovery_url", "created_at", "updated_at",
             "sign_in_urls", "frontchannel_logout_url", "redirect_uri",
             "post_logout_redirect_uri", "health")
"""The members ``GET`` answers that no change sets (``version`` aside)."""
_LIVE = "health"


def writable(shown: Mapping[str, Any], body: dict[str, Any]) -> dict[str, str]:
    """Take the read-only members out of ``body``, a change to the connection ``GET`` shows
    as ``shown``; each one refused (another value than ``shown``'s), and why."""
    refused: dict[str, str] = {}
    for name in READ_ONLY:
        if name not in body:
            continue
        value = body.pop(name)
        if name == _LIVE:
            if not isinstance(value, dict):
                refused[name] = ("is read-only: send the object GET answers, or leave it out")
        elif value != shown[name]:
            refused[name] = (f"is read-only, and is {json.dumps(shown[name])} here: send what "
                             "GET answers, or leave it out")
    return refused


def representation_tag(version: int, shown: Mapping[str, Any]) -> str:
    """The ``ETag`` of the connection at ``version`` whose ``GET`` body is ``shown``."""
    text = json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f'"{version}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"'


def etag(rp: AppState, connection: Connection) -> str:
    return representation_tag(connection.version, connection_json(rp, connection))


_TAG = re.compile(r'"([1-9][0-9]{0,18})(?:-[0-9a-f]{16})?"')


def tag_version(tag: str) -> int | None:
    """The version a strong entity tag (with its quotes) names: an ``ETag`` this API answered,
    or ``"<version>"``; None for any other tag (``"03"``, ``"v3"``)."""
    found = _TAG.fullmatch(tag)
    return int(found.group(1)) if found else None
