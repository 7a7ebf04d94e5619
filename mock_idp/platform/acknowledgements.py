"""What a partner app acknowledges through the platform's Apps API: its installation, and
rotated credentials.

Talkdesk's facts the mock keeps:

- An installation waits for the partner to approve or reject it
  (``POST /apps/{app_id}/installations/{id}/state`` with ``approve`` or ``reject``,
  docs.talkdesk.com/reference/appsapp_idinstallationsidstate); the customer has seven days to
  confirm before the process times out (docs.talkdesk.com/docs/app-enablement).
- A routine credential rotation leaves both sets working for a grace period of seven days; the
  app acknowledges the new set (``POST …/credentials/{client_id}/state`` with
  ``acknowledged``), which ends the old set at once, and without an acknowledgement the old set
  ends with the grace period. When the old credentials were compromised there is no grace period
  (docs.talkdesk.com/reference/appcredentials_rotated).

Pure records and rules; the registry stores them and the platform state applies their effects
on the app registration.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from .errors import Conflict, InvalidField

ACKNOWLEDGEMENT_WINDOW = timedelta(days=7)
"""How long an installation waits for the partner's approval, and a rotation's grace period."""
MAX_REASON = 1000
"""The longest ``reason`` an installation's state change takes, in characters."""

ApprovalState = Literal["pending", "completed", "rejected", "timeout"]
CredentialsState = Literal["issued", "pending", "acknowledged", "grace_ended", "revoked"]
REQUESTED_STATES: dict[str, ApprovalState] = {"approve": "completed", "reject": "rejected"}
"""The states an app may ask for, and the installation state each leads to."""


def _isoformat(instant: datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, kw_only=True)
class Approval:
    """The partner's answer to an installation: ``pending`` until it approves (``completed``)
    or rejects it; past ``deadline`` with no answer it reads as ``timeout``, and stays
    ``timeout`` once the clock has left a time past the deadline (:meth:`final_at`)."""

    state: ApprovalState = "pending"
    reason: str | None = None
    updated_at: datetime
    deadline: datetime

    @classmethod
    def start(cls, now: datetime, window: timedelta = ACKNOWLEDGEMENT_WINDOW) -> Approval:
        return cls(updated_at=now, deadline=now + window)

    def state_at(self, now: datetime) -> ApprovalState:
        if self.state == "pending" and now >= self.deadline:
            return "timeout"
        return self.state

    def final_at(self, now: datetime) -> Approval:
        """The approval as it stays when the clock leaves ``now`` for an earlier time: timed
        out for good when it reads ``timeout`` at ``now``."""
        if self.state == "pending" and self.state_at(now) == "timeout":
            return replace(self, state="timeout")
        return self

    def answer(self, requested: str, reason: str | None, now: datetime) -> Approval:
        """The approval after the app asked for ``requested`` (``approve`` or ``reject``).
        Asking again for what was granted changes nothing; anything else once the answer is
        given, or once the installation timed out, is a :class:`Conflict`."""
        target = REQUESTED_STATES.get(requested)
        if target is None:
            raise InvalidField('state must be "approve" or "reject"', field="state")
        current = self.state_at(now)
        if current == target:
            return self
        if current != "pending":
            said = {"completed": "was approved", "rejected": "was rejected",
                    "timeout": "timed out unanswered"}[current]
            raise Conflict(f"the installation {said}; it cannot be {target} now", field="state")
        return Approval(state="completed" if target == "completed" else "rejected",
                        reason=reason, updated_at=now, deadline=self.deadline)

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {"state": self.state_at(now), "reason": self.reason,
                "updated_at": _isoformat(self.updated_at), "deadline": _isoformat(self.deadline)}


@dataclass(frozen=True, kw_only=True)
class Rotation:
    """The latest rotation of an installation's credentials: the secret it replaced
    (``previous_key_id``), whether that one was revoked at once (``compromised``), the end of
    the grace period, and when the app acknowledged the new set."""

    rotated_at: datetime
    previous_key_id: str
    compromised: bool
    grace_ends_at: datetime
    acknowledged_at: datetime | None = None
    grace_over: bool = False
    """The grace period ended by a time the clock has since left for an earlier one
    (:meth:`final_at`): it stays over."""

    def state_at(self, now: datetime) -> CredentialsState:
        if self.acknowledged_at is not None:
            return "acknowledged"
        if self.compromised:
            return "revoked"
        return "grace_ended" if self.grace_over or now >= self.grace_ends_at else "pending"

    def final_at(self, now: datetime) -> Rotation:
        """The rotation as it stays when the clock leaves ``now`` for an earlier time: a grace
        period that has ended by ``now`` stays over."""
        if self.grace_over or self.state_at(now) != "grace_ended":
            return self
        return replace(self, grace_over=True)

    def previous_works_at(self, now: datetime) -> bool:
        """Whether the replaced secret still opens the token endpoint."""
        return self.state_at(now) == "pending"

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {"state": self.state_at(now), "rotated_at": _isoformat(self.rotated_at),
                "previous_secret_key_id": self.previous_key_id,
                "grace_ends_at": _isoformat(self.grace_ends_at),
                "acknowledged_at": _isoformat(self.acknowledged_at)}


def credentials_json(rotation: Rotation | None, now: datetime) -> dict[str, Any]:
    """The installation's ``credentials`` member: ``issued`` until a first rotation."""
    if rotation is None:
        return {"state": "issued", "rotated_at": None, "previous_secret_key_id": None,
                "grace_ends_at": None, "acknowledged_at": None}
    return rotation.to_json(now)


def check_reason(reason: object) -> str | None:
    if reason is None:
        return None
    if not isinstance(reason, str):
        raise InvalidField("reason must be a string", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidField(f"reason is longer than {MAX_REASON} characters", field="reason")
    return reason
