"""Smart lockout: what wrong passwords do to an account, on the sign-in page and the token
endpoint's password grant alike.

As Entra's smart lockout guide describes it (entra-docs, "Protect user accounts from attacks
with Microsoft Entra smart lockout"):

- an account locks after a number of failed sign-ins, the tenant's lockout threshold (10 by
  default), for the tenant's lockout duration (60 seconds by default);
- the same wrong password entered again does not count: the last three bad passwords are
  remembered;
- while locked, every sign-in is refused with AADSTS50053, the right password too;
- when the lockout has run out, the first sign-in that fails again locks the account again,
  each time for longer. Entra does not say by how much; the mock doubles it, up to a day;
- an administrator who resets the user's password unlocks the account.

The attempt that reaches the threshold is itself answered 50053: the account is locked from
that attempt on. A right password before that clears the count.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

DEFAULT_THRESHOLD = 10
DEFAULT_DURATION = timedelta(seconds=60)
MAX_THRESHOLD = 1000
MAX_DURATION = timedelta(days=1)
REMEMBERED_BAD_PASSWORDS = 3


@dataclass
class LockoutCounter:
    """One user's failed sign-ins since their last good one."""

    failures: int = 0
    recent: list[str] = field(default_factory=list)
    """Digests of the last three wrong passwords, newest last."""
    locked_until: datetime | None = None
    lockouts: int = 0
    """How many times the account has locked since its last good sign-in."""

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


def _digest(user_id: str, password: str) -> str:
    return hashlib.sha256(f"{user_id}\0{password}".encode()).hexdigest()


@dataclass
class Lockout:
    """A tenant's smart lockout: its two settings, and each user's failed sign-ins by object
    id (dropped at a good sign-in)."""

    threshold: int = DEFAULT_THRESHOLD
    duration: timedelta = DEFAULT_DURATION
    counters: dict[str, LockoutCounter] = field(default_factory=dict)

    def locked(self, user_id: str, now: datetime) -> bool:
        return self.locked_until(user_id, now) is not None

    def locked_until(self, user_id: str, now: datetime) -> datetime | None:
        """When the user's lockout ends, while it lasts."""
        counter = self.counters.get(user_id)
        return counter.locked_until if counter is not None and counter.locked(now) else None

    def fail(self, user_id: str, password: str, now: datetime) -> bool:
        """Count a wrong password; whether the account is now locked."""
        counter = self.counters.setdefault(user_id, LockoutCounter())
        digest = _digest(user_id, password)
        if digest in counter.recent:
            return counter.locked(now)
        counter.recent = [*counter.recent, digest][-REMEMBERED_BAD_PASSWORDS:]
        counter.failures += 1
        if counter.failures >= self.threshold:
            longer = self.duration * 2 ** min(counter.lockouts, 16)
            counter.locked_until = now + min(longer, MAX_DURATION)
            counter.lockouts += 1
            return True
        return False

    def end_lockouts(self, now: datetime) -> None:
        """Lockouts that ran out by ``now`` are over for good (the clock leaves ``now`` for an
        earlier time): the counts stay, so the next wrong password locks again, for longer.
        Over a copy: the clock may move back on another thread while a sign-in counts."""
        for counter in list(self.counters.values()):
            if counter.locked_until is not None and counter.locked_until <= now:
                counter.locked_until = None

    def forget(self, user_id: str) -> None:
        """A right password while unlocked, an administrator's password reset, or the user
        deleted: the count starts again."""
        self.counters.pop(user_id, None)
