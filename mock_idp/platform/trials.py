"""A partner app's free trial on the platform, and the events that tell the app about it.

Talkdesk's facts the mock keeps:

- A partner app offers a 30-day trial, which the customer chooses while installing
  (docs.talkdesk.com/docs/managing-trials-and-user-roles).
- ``app.trial_started`` follows ``app.installed`` once the partner has approved the installation
  through the Apps API; its ``data`` has ``installation_id``, ``account_id`` and ``expires_at``
  (docs.talkdesk.com/reference/apptrial_started).
- A trial can be extended while it is active (``app.trial_extended``, the same members with the
  new ``expires_at``).
- ``app.trial_ended`` says when (``ended_at``) and why: ``trial_expired`` (by the ``system``),
  ``app_uninstalled`` or ``plan_upgraded`` (by the ``user``)
  (docs.talkdesk.com/reference/apptrial_ended).

The mock ends a trial when a test says so (``POST /_mock/installations/{id}/trial``), when the
app is uninstalled, and once its ``expires_at`` has passed by the mock's clock when a test or
the console asks for what is due (``POST /_mock/events/run``, :func:`run_due`) or before the
clock moves back from a time past it (:func:`expire`, so an expired trial never reads
``active`` again); until then it reads ``expired``. Nothing on the sign-in path looks for
expired trials. The records and rules are pure; :func:`start`, :func:`change`,
:func:`send_ended_by_uninstall` and :func:`end_expired` send the events through the platform, and
:func:`expire` hands them to its caller.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from .delivery import DeliveryAttempt, EventResult
from .envelope import Envelope, envelope, format_at, installation_url
from .errors import Conflict, InvalidField
from .installations import Installation, isoformat

if TYPE_CHECKING:
    from .state import PlatformState

APP_TRIAL_STARTED = "app.trial_started"
APP_TRIAL_EXTENDED = "app.trial_extended"
APP_TRIAL_ENDED = "app.trial_ended"
TRIAL_EVENT_TYPES = (APP_TRIAL_STARTED, APP_TRIAL_EXTENDED, APP_TRIAL_ENDED)
MAX_TRIAL_DAYS = 365
"""The longest trial an install or an extension asks for, in days."""
ENDED_BY: dict[str, Literal["system", "user"]] = {
    "trial_expired": "system", "app_uninstalled": "user", "plan_upgraded": "user"}
"""Why a trial ends, and who ended it (Talkdesk's ``ended_reason`` and ``ended_by``)."""

TrialState = Literal["offered", "active", "ended"]


@dataclass(frozen=True, kw_only=True)
class Trial:
    """``offered`` at the install (``days`` long) until the app approves the installation,
    then ``active`` until ``expires_at``, then ``ended`` with its reason."""

    days: int
    state: TrialState = "offered"
    started_at: datetime | None = None
    expires_at: datetime | None = None
    ended_at: datetime | None = None
    ended_reason: str | None = None

    def state_at(self, now: datetime) -> str:
        """``expired`` for an active trial past its end that no ``app.trial_ended`` closed."""
        if self.state == "active" and self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return self.state

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {"days": self.days, "state": self.state_at(now),
                "started_at": isoformat(self.started_at), "expires_at": isoformat(self.expires_at),
                "ended_at": isoformat(self.ended_at), "ended_reason": self.ended_reason,
                "ended_by": None if self.ended_reason is None else ENDED_BY[self.ended_reason]}


def check_days(days: object, field: str) -> int:
    if isinstance(days, bool) or not isinstance(days, (int, float)) or days != int(days):
        raise InvalidField(f"{field} must be a whole number of days", field=field)
    if not 1 <= days <= MAX_TRIAL_DAYS:
        raise InvalidField(f"{field} must be from 1 to {MAX_TRIAL_DAYS}", field=field)
    return int(days)


def _trial_of(installation: Installation) -> Trial:
    if installation.trial is None:
        raise Conflict("the installation has no trial (install it with trial_days)",
                       field="trial")
    return installation.trial


def _active(installation: Installation) -> Trial:
    trial = _trial_of(installation)
    if trial.state != "active":
        raise Conflict(f"the trial is {trial.state}, not active", field="trial")
    return trial


def trial_event(installation: Installation, event_type: str, data: dict[str, Any], *,
                base_url: str, now: datetime) -> Envelope:
    """A trial event: lifecycle envelope, ``installation_id`` and ``account_id`` first, and the
    ``installation`` link beside ``root`` and ``self``."""
    body = {"installation_id": installation.installation_id,
            "account_id": installation.tenant.id, **data}
    links = {"installation": {"href": installation_url(base_url, installation)}}
    return envelope(event_type=event_type, installation=installation, data=body,
                    base_url=base_url, now=now, lifecycle=True, links=links)


async def start(platform: PlatformState, installation_id: str, *, base_url: str
                ) -> EventResult | None:
    """The approved installation's offered trial starts now: ``app.trial_started``. ``None``
    when it has no trial, or one already started."""
    now = platform.clock.now()
    installation = platform.registry.get(installation_id)
    trial = installation.trial
    if trial is None or trial.state != "offered" or not installation.active:
        return None
    started = replace(trial, state="active", started_at=now,
                      expires_at=now + timedelta(days=trial.days))
    installation = platform.registry.change(installation_id, trial=started)
    body = trial_event(installation, APP_TRIAL_STARTED,
                       {"expires_at": format_at(started.expires_at)},
                       base_url=base_url, now=now)
    return await platform.send(installation, body)


async def change(platform: PlatformState, installation_id: str, *, action: str,
                 days: int | None, reason: str | None, base_url: str) -> EventResult:
    """A test's change to the active trial: ``extend`` it by ``days`` (``app.trial_extended``)
    or ``end`` it for ``reason`` (``trial_expired``, the default, or ``plan_upgraded``:
    ``app.trial_ended``)."""
    now = platform.clock.now()
    installation = platform.registry.require_active(installation_id)
    trial = _active(installation)
    assert trial.expires_at is not None
    if action == "extend":
        if reason is not None:
            raise InvalidField("reason applies to end only", field="reason")
        extended = replace(trial, expires_at=trial.expires_at + timedelta(
            days=check_days(days, "days")))
        installation = platform.registry.change(installation_id, trial=extended)
        body = trial_event(installation, APP_TRIAL_EXTENDED,
                           {"expires_at": format_at(extended.expires_at)},
                           base_url=base_url, now=now)
        return await platform.send(installation, body)
    if action != "end":
        raise InvalidField('action must be "extend" or "end"', field="action")
    if days is not None:
        raise InvalidField("days applies to extend only", field="days")
    reason = reason or "trial_expired"
    if reason not in ("trial_expired", "plan_upgraded"):
        raise InvalidField('reason must be "trial_expired" or "plan_upgraded"', field="reason")
    installation = platform.registry.change(installation_id, trial=_ended(trial, reason, now))
    return await platform.send(installation, _ended_event(installation, base_url, now))


def _ended(trial: Trial, reason: str, now: datetime) -> Trial:
    return replace(trial, state="ended", ended_at=now, ended_reason=reason)


def _ended_event(installation: Installation, base_url: str, now: datetime) -> Envelope:
    trial = installation.trial
    assert trial is not None and trial.ended_reason is not None
    # The reference's example has expires_at equal to the event's date for an ended trial.
    return trial_event(installation, APP_TRIAL_ENDED, {
        "expires_at": format_at(now), "ended_at": format_at(trial.ended_at),
        "ended_reason": trial.ended_reason, "ended_by": ENDED_BY[trial.ended_reason],
    }, base_url=base_url, now=now)


def ended_by_uninstall(trial: Trial | None, now: datetime) -> Trial | None:
    """The trial as an uninstall at ``now`` leaves it: an active one ends, ``app_uninstalled``
    by the user; any other as it was."""
    if trial is None or trial.state != "active":
        return trial
    return _ended(trial, "app_uninstalled", now)


async def send_ended_by_uninstall(platform: PlatformState, installation: Installation, *,
                                  base_url: str, now: datetime) -> EventResult | None:
    """Before ``app.uninstalled``: ``app.trial_ended`` for the trial the uninstall at ``now``
    ended (:func:`ended_by_uninstall`); ``None`` when it ended none."""
    trial = installation.trial
    if trial is None or trial.ended_reason != "app_uninstalled" or trial.ended_at != now:
        return None
    return await platform.send(installation, _ended_event(installation, base_url, now))


async def end_expired(platform: PlatformState, *, base_url: str) -> list[EventResult]:
    """Every active trial whose ``expires_at`` has passed ends, ``trial_expired`` by the
    ``system`` at that time: one ``app.trial_ended`` each."""
    return [await platform.send(installation, body)
            for installation, body in expire(platform, platform.clock.now(), base_url=base_url)]


async def run_due(platform: PlatformState, *, base_url: str) -> list[DeliveryAttempt]:
    """What ``POST /_mock/events/run`` and the console's "Send due deliveries now" do: end
    every trial past its ``expires_at`` (:func:`end_expired`), then send the due retries and
    wait for every delivery in flight; the attempts made, the trials' first."""
    ended = await end_expired(platform, base_url=base_url)
    return [*(e.delivery for e in ended), *await platform.run_due()]


def expire(platform: PlatformState, now: datetime, *, base_url: str
           ) -> list[tuple[Installation, Envelope]]:
    """End every active trial whose ``expires_at`` is ``now`` or before, ``trial_expired`` by
    the ``system`` at that time; each one's ``app.trial_ended``, dated ``now``, for the caller
    to send (:func:`end_expired` now, or queued before the clock moves back). A trial
    ended or changed since it was read (by a request, while the clock moves back on another
    thread) is left as that request left it."""
    ended = []
    for installation in platform.registry.all():
        trial = installation.trial
        if (not installation.active or trial is None or trial.state != "active"
                or trial.expires_at is None or now < trial.expires_at):
            continue
        expired = _ended(trial, "trial_expired", trial.expires_at)
        changed = platform.registry.change_if(installation.installation_id, was=trial,
                                              trial=expired)
        if changed is not None:
            ended.append((changed, _ended_event(changed, base_url, now)))
    return ended
