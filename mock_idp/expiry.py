"""Collections that forget their records once the provider's clock passes each one's deadline.

Every write pushes the record's deadline onto a time-ordered queue (a heap) and then drops the
records whose deadline has passed, so the work is amortised over writes: a record costs one push
and one pop, and nothing ever scans the whole collection. A record whose deadline moved later
after it was written (a session extended, say) is queued again at its new deadline rather than
dropped. Records due but not yet dropped are still there to read; readers check expiry
themselves, as they always did.

A record may be kept past the end of its lifetime, to answer "expired" rather than "unknown"
(its deadline then comes later than its ``ends``). Before the clock moves back,
:meth:`ExpiringMap.drop_ended` drops every record whose lifetime has ended by the time the clock
leaves, so none is good again at the earlier time
(:meth:`mock_idp.clock.MockClock.before_moving_back`).

The clock may be moved back from another thread (a test's, while the server's thread answers
requests), so that sweep can drop records in the middle of a request: iterating a collection
goes over a copy taken under its lock, and :meth:`ExpiringMap.pop` reads and removes in one step.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import (
    Callable,
    Hashable,
    ItemsView,
    Iterator,
    MutableMapping,
    MutableSet,
    ValuesView,
)
from datetime import datetime, timedelta
from typing import Any, Generic, Self, TypeVar, overload

from .clock import Clock

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")

_MISSING: Any = object()

Deadline = Callable[[V, datetime], datetime]
"""``(record, when it was written) -> when it may be dropped``."""
Ends = Callable[[V], datetime]
"""``record -> when its lifetime ends`` (for records kept past it, to say they expired)."""


def after(lifetime: timedelta) -> Deadline[object]:
    """A deadline ``lifetime`` after the record was written (for records without their own)."""
    return lambda _record, written: written + lifetime


class ExpiringMap(MutableMapping[K, V], Generic[K, V]):
    """A dict whose records are dropped, on later writes, once their deadline has passed."""

    def __init__(self, clock: Clock, deadline: Deadline[V], *,
                 ends: Ends[V] | None = None) -> None:
        self._clock = clock
        self._deadline = deadline
        self._ends = ends
        self._data: dict[K, V] = {}
        self._written: dict[K, tuple[datetime, int]] = {}
        """When each record was written, and the sequence number of its latest queue entry."""
        self._queue: list[tuple[datetime, int, K]] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()

    @classmethod
    def kept_past(cls, clock: Clock, ends: Ends[V], kept: timedelta) -> Self:
        """One whose records are kept ``kept`` past the end of their lifetime (``ends``), to
        answer "expired" rather than "unknown"; dropped then, or before the clock moves back
        from a time past their lifetime (:meth:`drop_ended`)."""
        return cls(clock, lambda record, _written: ends(record) + kept, ends=ends)

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[K]:
        """Over the keys as they are now: a record dropped meanwhile (by a move of the clock
        back on another thread, say) does not end the iteration with an error."""
        with self._lock:
            return iter(list(self._data))

    def items(self) -> ItemsView[K, V]:
        """The records as they are now (a copy, as :meth:`__iter__`)."""
        with self._lock:
            return dict(self._data).items()

    def values(self) -> ValuesView[V]:
        """The records' values as they are now (a copy, as :meth:`__iter__`)."""
        with self._lock:
            return dict(self._data).values()

    @overload
    def pop(self, key: K, /) -> V: ...
    @overload
    def pop(self, key: K, default: V, /) -> V: ...
    @overload
    def pop(self, key: K, default: T, /) -> V | T: ...

    def pop(self, key: K, default: Any = _MISSING) -> Any:
        """Remove ``key`` and return its record, in one step: a record dropped between a read
        and a delete gives ``default``, not a ``KeyError``."""
        with self._lock:
            if key not in self._data:
                if default is _MISSING:
                    raise KeyError(key)
                return default
            value = self._data[key]
            del self[key]
            return value

    def replace_present(self, key: K, value: V) -> bool:
        """Write ``value`` over ``key``'s record only while there is one: a record dropped
        since it was read (by a move of the clock back on another thread) is not brought
        back. Returns whether it was written."""
        with self._lock:
            if key not in self._data:
                return False
            self[key] = value
            return True

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._written.clear()
            self._queue.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __setitem__(self, key: K, value: V) -> None:
        now = self._clock.now()
        with self._lock:
            self._data[key] = value
            seq = next(self._seq)
            self._written[key] = (now, seq)
            heapq.heappush(self._queue, (self._deadline(value, now), seq, key))
            self.drop_expired(now)
            self._compact()

    def __delitem__(self, key: K) -> None:
        with self._lock:
            del self._data[key]
            self._written.pop(key, None)
            self._compact()

    def _compact(self) -> None:
        """Drop the queue entries of records deleted or written again, once they outnumber the
        live ones: a collection capped by deleting its oldest records (or one written over and
        over) would otherwise queue an entry per write until each deadline, for ever under a
        frozen clock. Amortised: a rebuild follows at least as many writes as it keeps."""
        if len(self._queue) <= 2 * len(self._written) + 64:
            return
        self._queue = [entry for entry in self._queue
                       if (written := self._written.get(entry[2])) is not None
                       and written[1] == entry[1]]
        heapq.heapify(self._queue)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"

    def drop_expired(self, now: datetime | None = None) -> int:
        """Drop every record whose deadline has passed; returns how many were dropped."""
        now = self._clock.now() if now is None else now
        dropped = 0
        with self._lock:
            while self._queue and self._queue[0][0] <= now:
                _, seq, key = heapq.heappop(self._queue)
                written = self._written.get(key)
                if written is None or written[1] != seq:
                    continue  # deleted, or written again with a newer queue entry
                deadline = self._deadline(self._data[key], written[0])
                if deadline > now:
                    heapq.heappush(self._queue, (deadline, seq, key))
                    continue
                del self._data[key]
                del self._written[key]
                dropped += 1
        return dropped

    def drop_ended(self, now: datetime) -> int:
        """Drop every record whose deadline, or the end of its lifetime, is ``now`` or before:
        called with the time a clock leaves before it moves back (a scan of every record, which
        only moves back pay for). Returns how many were dropped."""
        with self._lock:
            dropped = self.drop_expired(now)
            ended = [key for key, value in self._data.items()
                     if self._deadline(value, self._written[key][0]) <= now
                     or (self._ends is not None and self._ends(value) <= now)]
            for key in ended:
                del self[key]
            return dropped + len(ended)


class ExpiringSet(MutableSet[K], Generic[K]):
    """A set whose members are dropped, on later additions, ``lifetime`` after being added."""

    def __init__(self, clock: Clock, lifetime: timedelta) -> None:
        self._members: ExpiringMap[K, None] = ExpiringMap(clock, after(lifetime))

    def __contains__(self, member: object) -> bool:
        return member in self._members

    def __iter__(self) -> Iterator[K]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)

    def add(self, member: K) -> None:
        self._members[member] = None

    def discard(self, member: K) -> None:
        self._members.pop(member, None)

    def drop_expired(self, now: datetime | None = None) -> int:
        return self._members.drop_expired(now)

    def drop_ended(self, now: datetime) -> int:
        return self._members.drop_ended(now)
