"""The platform's trial events (partner-sso.md b.2), recorded per installation
(:mod:`relying_party.db.trials`) and shown on the admin pages.

- ``app.trial_started`` (https://docs.talkdesk.com/reference/apptrial_started) comes after
  ``app.installed``, once the app approved the installation through the Apps API; ``data``:
  ``installation_id``, ``account_id``, ``expires_at`` (a date-time).
- ``app.trial_extended`` (https://docs.talkdesk.com/docs/managing-trials-and-user-roles): an
  active trial was extended; ``expires_at`` is its new end.
- ``app.trial_ended`` (https://docs.talkdesk.com/reference/apptrial_ended) adds ``ended_at``
  (a date-time), ``ended_reason`` (:data:`ENDED_REASONS`) and ``ended_by`` (:data:`ENDED_BY`).

The platform itself restricts users' access to the app once a trial expires
(https://docs.talkdesk.com/docs/managing-trials-and-user-roles), so the app only records the
trial: no sign-in is refused because of it.

Retries make the events arrive out of order: one applies only when newer than the last trial
event applied to the installation (:meth:`relying_party.db.trials.TrialStore.apply`), and only
to an installation that is there and active, as ``app.updated`` does
(:func:`relying_party.lifecycle.active`); otherwise it is ``ignored_stale`` (2xx), or 404 for
an installation this app does not have. Installing an installation afresh, or uninstalling it,
forgets its trial. A refused member is named (``data.expires_at``), and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from .db import Trial
from .inputs import InputError, identifier
from .lifecycle import STALE, active
from .oidc.event_signature import parse_event_time
from .web import AppState

ENDED_REASONS = ("trial_expired", "app_uninstalled", "plan_upgraded")
"""``app.trial_ended``'s ``data.ended_reason``
(https://docs.talkdesk.com/reference/apptrial_ended)."""
ENDED_BY = ("system", "user")
"""``app.trial_ended``'s ``data.ended_by`` (https://docs.talkdesk.com/reference/apptrial_ended)."""
ENDED = "app.trial_ended"


def _instant(data: Mapping[str, Any], name: str) -> datetime:
    """A date-time member, read as the envelope's ``created_at`` is, in UTC."""
    field = f"data.{name}"
    instant = parse_event_time(data.get(name), field=field)
    try:
        return instant.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+01:00
        raise InputError.of(field, "is out of range") from exc


def _one_of(data: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = data.get(name)
    if not isinstance(value, str) or value not in allowed:
        raise InputError.of(f"data.{name}", f"must be one of {', '.join(allowed)}")
    return value


def read_trial(event_type: str, data: Mapping[str, Any]) -> Trial:
    """The trial a trial event describes; a refusal names the member. ``installation_id`` is
    read by the caller."""
    identifier(data.get("account_id"), "data.account_id")
    expires_at = _instant(data, "expires_at")
    if event_type != ENDED:
        return Trial(state="active", expires_at=expires_at)
    return Trial(
        state="ended",
        expires_at=expires_at,
        ended_at=_instant(data, "ended_at"),
        ended_reason=_one_of(data, "ended_reason", ENDED_REASONS),
        ended_by=_one_of(data, "ended_by", ENDED_BY),
    )


TrialEffect = Callable[[AppState, Mapping[str, Any], Mapping[str, Any], datetime], str]


def _effect(event_type: str, outcome: str) -> TrialEffect:
    def apply(rp: AppState, event: Mapping[str, Any], data: Mapping[str, Any],
              created_at: datetime) -> str:
        installation_id = identifier(data.get("installation_id"), "data.installation_id")
        trial = read_trial(event_type, data)
        if not active(rp, installation_id, created_at):
            return STALE
        if not rp.db.trials.apply(installation_id, trial, changed_at=created_at):
            return STALE
        return outcome

    return apply


TRIAL_EFFECTS: Mapping[str, TrialEffect] = {
    "app.trial_started": _effect("app.trial_started", "trial_started"),
    "app.trial_extended": _effect("app.trial_extended", "trial_extended"),
    ENDED: _effect(ENDED, "trial_ended"),
}
"""The trial events' effects, by event type (:data:`relying_party.partner.EFFECTS`)."""


def _minute(instant: datetime) -> str:
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")


def describe(trial: Trial) -> str:
    """The admin page's text: ``active until 2026-03-02 09:30 UTC``, or ``ended
    (trial_expired by system, 2026-03-02 09:30 UTC)`` (when it ended)."""
    if trial.state == "active":
        return f"active until {_minute(trial.expires_at)} UTC"
    when = "" if trial.ended_at is None else f", {_minute(trial.ended_at)} UTC"
    return f"ended ({trial.ended_reason} by {trial.ended_by}{when})"
