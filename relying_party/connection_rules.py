"""What an admin's change to a connection must satisfy beyond each field's own checks
(:func:`relying_party.connections.parse_connection_input`): the rules that compare the change
with the stored connection and today's date.

- A new client secret comes with its own end date, after today: the date stored is the one
  health is computed from, so an old or a past date would report the new secret as expired
  (or the reverse). A JSON edit that sends ``client_secret`` must send ``secret_expires_on``
  with it; the form always sends the date field, which it labels as the secret's.
- A new Client ID needs the secret again: the stored one belongs to the previous app
  registration, and Entra would refuse it for the new one (AADSTS7000215), so every sign-in
  would fail after the save.

Pure functions over plain data, as :mod:`relying_party.connections`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from .db import Connection

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _given(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _date(value: object) -> date | None:
    """The date in ``value``, or None when it is not one (refused by the field's own check)."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def change_problems(
    changes: Mapping[str, object], *, previous: Connection | None, today: date
) -> dict[str, str]:
    """Each field of ``changes`` (admin input; on an edit, only what it sends) that the rules
    above refuse, and why. ``previous`` is the stored connection (None when creating);
    ``today`` the UTC date."""
    problems: dict[str, str] = {}
    new_secret = previous is None or _given(changes.get("client_secret"))
    if new_secret:
        raw = changes.get("secret_expires_on")
        ends = _date(raw)
        if previous is not None and not _given(raw):
            problems["secret_expires_on"] = (
                "is required with a new client secret: give the new secret's end date "
                "(its Expires date under Certificates & secrets), not the previous one's")
        elif ends is not None and ends <= today:
            when = "today" if ends == today else "in the past"
            problems["secret_expires_on"] = (
                f"is {when} ({ends.isoformat()}): a new client secret must end after today "
                f"({today.isoformat()}, UTC), as the provider refuses a secret from its end "
                "date on; enter the new secret's Expires date")
    elif previous is not None:
        client_id = changes.get("client_id")
        if _given(client_id) and str(client_id).strip() != previous.client_id:
            problems["client_secret"] = (
                "is required again: the Client ID changed, and the stored secret belongs to "
                "the previous app registration; enter a secret of the new one")
    return problems
