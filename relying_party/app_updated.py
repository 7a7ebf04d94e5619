"""The platform's ``app.updated`` (partner-sso.md b.4): users' licences and the subscription.

Authentication does not imply authorization. The platform's documented ``app.installed``
carries no user list, so the RP cannot hold an allow-list from the start: every user of the
installation's account is licensed until an ``app.updated`` removes them
(``data.users.removing``), and licensed again once one adds them back (``adding``). So the RP
keeps, per installation, the users whose licence was removed (:mod:`relying_party.db.licences`,
forgotten at uninstall); a removal also ends the user's sessions of the installation and
sign-ins in progress, and their next sign-in ends on the failure page (``unlicensed_user``)
once the provider has said who they are (the launch's ``user_id`` is only a hint).

Retries make ``app.updated`` events arrive out of order, and one installation gets them about
different users, so an installation-wide "newest event" would drop a late removal of one user
because another user's change (or a credentials rotation) came first. Each user's change
applies only when newer than the last one applied to that user; an event older than the
``app.installed`` that began the installation's current lifetime, or than its uninstall, is
``ignored_stale``; one for an unknown or uninstalled installation is 404.

``data`` names, besides ``installation_id``, ``account_id`` and ``account_name``, only what
changed: ``users`` (``adding`` and ``removing``, lists of platform user ids) when users gained
or lost the app's licence, and ``subscription.adding`` (``name``, ``licenses``: a string of
digits, ``"10"``, or an integer) when the subscription did. A list left out is empty; a member
of the wrong type (``null`` included) is refused naming it (``data.users.removing[0]``,
``data.subscription.adding.licenses``), as every other event field is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .inputs import InputError, display_name, identifier
from .web import AppState

MAX_LICENCE_CHANGES = 1000
"""The most users one ``app.updated`` may add, and the most it may remove."""
MAX_LICENSES = 10_000_000
_DIGITS = re.compile(r"[0-9]{1,8}")


@dataclass(frozen=True, kw_only=True)
class LicenceUpdate:
    """What an ``app.updated`` changes: platform user ids given and taken the app's licence,
    and the subscription's new name and licence count (``None``: unchanged)."""

    adding: tuple[str, ...]
    removing: tuple[str, ...]
    subscription_name: str | None
    subscription_licenses: int | None


def _member(parent: Mapping[str, Any], name: str, field: str, kind: type) -> Any:
    """``parent[name]`` when it is a ``kind``; None when absent; a refusal naming ``field``
    otherwise (``null`` included)."""
    if name not in parent:
        return None
    value = parent[name]
    if not isinstance(value, kind):
        raise InputError.of(field, f"must be {'an object' if kind is dict else 'a list'}")
    return value


def _user_ids(users: Mapping[str, Any], name: str) -> tuple[str, ...]:
    field = f"data.users.{name}"
    given = _member(users, name, field, list) or []
    if len(given) > MAX_LICENCE_CHANGES:
        raise InputError.of(field, f"must list at most {MAX_LICENCE_CHANGES} users")
    ids = (identifier(item, f"{field}[{index}]") for index, item in enumerate(given))
    return tuple(dict.fromkeys(ids))


def _licenses(value: object) -> int:
    field = "data.subscription.adding.licenses"
    problem = f"must be a number of licences from 0 to {MAX_LICENSES:,}, digits or an integer"
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LICENSES:
        raise InputError.of(field, problem)
    return value


def licence_update(data: Mapping[str, Any]) -> LicenceUpdate:
    """``app.updated``'s ``data.users`` (``adding`` and ``removing``; one left out is empty)
    and ``data.subscription.adding`` (``name``, ``licenses``), present only when they changed;
    a refusal names the member."""
    users = _member(data, "users", "data.users", dict) or {}
    adding, removing = _user_ids(users, "adding"), _user_ids(users, "removing")
    if set(adding) & set(removing):
        raise InputError.of("data.users", "must not both add and remove the same user")
    subscription = _member(data, "subscription", "data.subscription", dict) or {}
    changed = _member(subscription, "adding", "data.subscription.adding", dict) or {}
    name = None
    if "name" in changed:
        name = display_name(changed["name"], "data.subscription.adding.name", max_length=256)
    licenses = _licenses(changed["licenses"]) if "licenses" in changed else None
    return LicenceUpdate(adding=adding, removing=removing, subscription_name=name,
                         subscription_licenses=licenses)


def apply_update(rp: AppState, installation_id: str, update: LicenceUpdate,
                 created_at: datetime, *, forget_before: datetime) -> str | None:
    """Apply an ``app.updated`` created at ``created_at`` to an active installation: each
    user's change unless a newer one of theirs was applied, a removal ending the user's
    sessions and sign-ins in progress (:meth:`relying_party.db.Database.take_licence`). The
    outcome, or None when the event is older than the installation's current lifetime."""
    licences = rp.db.licences
    if licences.predates(installation_id, created_at):
        return None
    now = rp.settings.clock.now()
    removed = added = stale = ended = 0
    for user_id in update.removing:
        taken = rp.db.take_licence(installation_id, user_id, changed_at=created_at,
                                   received_at=now, keep_for=2 * rp.settings.login_timeout,
                                   forget_before=forget_before)
        if taken is None:
            stale += 1
        else:
            removed, ended = removed + 1, ended + taken
    for user_id in update.adding:
        if licences.change(installation_id, user_id, licensed=True, changed_at=created_at,
                           forget_before=forget_before):
            added += 1
        else:
            stale += 1
    if update.subscription_name is not None or update.subscription_licenses is not None:
        licences.set_subscription(installation_id, name=update.subscription_name,
                                  licenses=update.subscription_licenses, changed_at=created_at)
    return f"updated:removed={removed},added={added},stale={stale},sessions_ended={ended}"
