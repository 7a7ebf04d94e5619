"""Which account a platform event speaks for.

An installation belongs to one account, and the platform signs every account's events with the
same keys: an event about an installation this app holds that named another ``account_id``
would change the installation on that account's behalf. It is refused (400 naming
``data.account_id``) inside the event's transaction, so nothing of it is applied or recorded.
An event that names no account is taken as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .db import Installation
from .inputs import InputError, identifier
from .web import AppState


def check_account(installation: Installation, data: Mapping[str, Any]) -> None:
    """Refuse ``data`` when it names an account other than ``installation``'s."""
    if "account_id" not in data:
        return
    if identifier(data.get("account_id"), "data.account_id") != installation.account_id:
        raise InputError.of("data.account_id",
                            f"is not the account of installation {installation.installation_id}")


def check_held_account(rp: AppState, event_type: str, data: Mapping[str, Any]) -> None:
    """:func:`check_account` against the installation the event names, when this app holds it;
    not for ``app.installed``, which checks an active installation only (an uninstalled one may
    be installed again)."""
    installation_id = data.get("installation_id")
    if event_type == "app.installed" or not isinstance(installation_id, str):
        return  # the effect reads the installation id itself, refusing a bad one by its name
    held = rp.db.installations.get(installation_id)
    if held is not None:
        check_account(held, data)
