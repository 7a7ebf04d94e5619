"""At-least-once delivery of signed events, with retries on the injected clock.

Schedule: attempt 1 is sent by :meth:`EventDispatcher.dispatch`. When an attempt fails (a non-2xx
answer, a timeout, a connection error), the next one falls due a fixed delay after that failure:
5 minutes after the first failure, then 10 minutes after the second. Three attempts at most.
An attempt gets the delivery timeout as a whole: a receiver whose whole answer has not come by
then fails it as a ``timeout``, however steadily it trickles bytes. Of a refusal's body only the
first :data:`MAX_ANSWER_READ` bytes are read, for the log.
Nothing sleeps: :meth:`EventDispatcher.start_due` starts whatever is due on the clock without
waiting for it (the app calls it before each request, so no request waits for a receiver), and
:meth:`EventDispatcher.run_due` (``POST /_mock/events/run``) starts what is due and waits until
every attempt in flight has finished.

Each attempt runs as its own task on the event loop, so deliveries to different receivers go out
together; an attempt leaves the queue when it starts, so it is never in flight twice. An attempt
that is cancelled (:meth:`EventDispatcher.aclose`, at shut-down) goes back to the queue, unless
it is a forged event's, which is sent once at most.

Every attempt posts the same bytes (same event id); the signature is recomputed per attempt with
the active key. Every attempt is written to the delivery log.

:meth:`EventDispatcher.drop` forgets a deleted tenant's installations' events and retries.

The clock may move back. Before it does, :meth:`EventDispatcher.keep_due` marks the attempts
due by the time it leaves as overdue, and :meth:`EventDispatcher.queue` queues, overdue, the
events the platform sends on its own by then; an overdue attempt is started by the next
``start_due`` or ``run_due`` whatever the clock then says, so an attempt once due is never
put off again.

Long because: the event store, the retry queue, the attempts in flight and the log share one
lock, and the code that reads or changes them together stays in one class.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

import httpx

from ..clock import Clock
from .envelope import Envelope, encode
from .installations import Installation, isoformat
from .send_errors import classify_error

RETRY_DELAYS: tuple[timedelta, ...] = (timedelta(minutes=5), timedelta(minutes=10))
MAX_LOGGED = 1000
"""Delivery attempts kept in the log; older ones fall off."""
MAX_EVENTS = 1000
"""Events kept (to read and redeliver); older ones are forgotten."""
USER_AGENT = "mock-idp-platform-events/1"
MAX_ANSWER_READ = 4096
"""Bytes read of a receiver's refusal (the start of its text goes in the log); the rest is
left unread."""

log = logging.getLogger(__name__)

Outcome = Literal["delivered", "retry_scheduled", "failed"]


class Signer(Protocol):
    def signature_headers(self, body: bytes) -> dict[str, str]: ...


@dataclass(frozen=True, kw_only=True)
class DeliveryAttempt:
    event_id: str
    event_type: str
    url: str
    attempt: int
    at: datetime
    status: int | None
    error: str | None
    detail: str | None
    duration_ms: float
    next_retry_at: datetime | None
    outcome: Outcome
    redelivery: bool = False
    wall: float = 0.0
    """Real time the attempt started, seconds since the epoch (for ordering against other
    logs; ``at`` is on the provider's clock, which may be moved)."""
    forgery: str | None = None
    """How a forged event's signature is wrong (:meth:`EventDispatcher.deliver_forged`)."""

    @property
    def delivered(self) -> bool:
        return self.outcome == "delivered"

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.event_type,
            "url": self.url,
            "attempt": self.attempt,
            "at": isoformat(self.at),
            "status": self.status,
            "error": self.error,
            "detail": self.detail,
            "duration_ms": round(self.duration_ms, 3),
            "next_retry_at": isoformat(self.next_retry_at),
            "outcome": self.outcome,
            "redelivery": self.redelivery,
            "wall": round(self.wall, 3),
            **({"forgery": self.forgery} if self.forgery else {}),
        }


@dataclass(frozen=True, kw_only=True)
class _Send:
    event_id: str
    event_type: str
    url: str
    body: bytes
    attempt: int
    due: datetime
    redelivery: bool
    headers: tuple[tuple[str, str], ...] | None = None
    """A forged event's own signature headers: sent as they are, and never retried."""
    forgery: str | None = None
    installation_id: str | None = None
    overdue: bool = False
    """Fell due before the clock moved back: due whatever the clock says."""


@dataclass(frozen=True)
class _Flight:
    send: _Send
    generation: int
    dropped: bool = False


@dataclass(frozen=True, kw_only=True)
class EventResult:
    """What sending an event gave: the installation as it then was, the event, and the
    first delivery attempt."""

    installation: Installation
    event: Envelope
    delivery: DeliveryAttempt
    at: datetime
    """When the event went out: the installation's JSON is shown as of then."""

    def to_json(self) -> dict[str, Any]:
        return {
            "installation": self.installation.to_json(self.at),
            "event": self.event,
            "delivery": self.delivery.to_json(),
        }


class EventDispatcher:
    """Posts signed envelopes and keeps the event store, the retry queue and the delivery log."""

    def __init__(
        self,
        clock: Clock,
        http_client: httpx.AsyncClient,
        signer: Signer,
        timeout: float = 5.0,
        *,
        retry_delays: Sequence[timedelta] = RETRY_DELAYS,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.clock = clock
        self.http_client = http_client
        self.signer = signer
        self.timeout = timeout
        self.retry_delays = tuple(retry_delays)
        self._timer = timer
        self._lock = threading.Lock()
        self._events: dict[str, Envelope] = {}
        self._urls: dict[str, str] = {}
        self._queue: list[_Send] = []
        self._in_flight: dict[asyncio.Task[DeliveryAttempt], _Flight] = {}
        self._generation = 0
        """Bumped by :meth:`reset`: an attempt started before it leaves no trace after it."""
        self._log: deque[DeliveryAttempt] = deque(maxlen=MAX_LOGGED)

    @property
    def max_attempts(self) -> int:
        return len(self.retry_delays) + 1

    async def dispatch(self, url: str, envelope: Envelope) -> DeliveryAttempt:
        """Store the event and send attempt 1 now; a failure queues the next attempt."""
        self._store(url, envelope)
        return await _finished(self._start(self._first_send(url, envelope, redelivery=False)))

    def queue(self, url: str, envelope: Envelope) -> None:
        """Store the event and queue attempt 1, overdue: sent by the next :meth:`start_due` or
        :meth:`run_due`, whatever the clock then says. For an event the platform sends on its
        own before the clock moves back, from outside the event loop."""
        self._store(url, envelope)
        send = replace(self._first_send(url, envelope, redelivery=False), overdue=True)
        with self._lock:
            self._queue.append(send)

    def keep_due(self, now: datetime) -> None:
        """The clock leaves ``now`` for an earlier time: the queued attempts due by ``now``
        stay due."""
        with self._lock:
            self._queue = [replace(s, overdue=True) if s.due <= now else s for s in self._queue]

    async def redeliver(self, event_id: str, url: str | None = None) -> DeliveryAttempt:
        """Send a stored event again, unchanged, as a new chain of up to three attempts."""
        with self._lock:
            envelope = self._events.get(event_id)
            target = url or self._urls.get(event_id)
        if envelope is None or target is None:
            raise KeyError(event_id)
        return await _finished(self._start(self._first_send(target, envelope, redelivery=True)))

    async def deliver_forged(self, url: str, envelope: Envelope, body: bytes,
                             headers: Mapping[str, str], forgery: str) -> DeliveryAttempt:
        """Post ``body`` once with ``headers`` (a signature that is wrong as ``forgery`` says)
        and log the attempt. The event is not stored, so it cannot be redelivered (which would
        sign it properly), and a refusal, the expected answer, is not retried."""
        send = replace(self._first_send(url, envelope, redelivery=False), body=body,
                       headers=tuple(headers.items()), forgery=forgery)
        return await _finished(self._start(send))

    def start_due(self) -> int:
        """Start every queued attempt whose due time has passed, each in a task of its own, and
        return at once with how many were started. Needs a running event loop."""
        return len(self._start_due(background=True))

    async def run_due(self) -> list[DeliveryAttempt]:
        """Start every attempt that is due, then wait for it and for every attempt already in
        flight; returns those attempts, in the order they fell due (cancelled ones left out)."""
        self._start_due(background=False)
        loop = asyncio.get_running_loop()
        with self._lock:
            flights = {t: f for t, f in self._in_flight.items() if t.get_loop() is loop}
        if not flights:
            return []
        await asyncio.wait(set(flights))  # unlike gather, leaves the attempts running if cancelled
        order = sorted(flights, key=lambda t: (flights[t].send.due, flights[t].send.attempt))
        return [t.result() for t in order if not t.cancelled()]

    async def aclose(self) -> None:
        """Cancel the attempts in flight and wait until they stop; each goes back to the queue
        (a forged event's is dropped)."""
        with self._lock:
            tasks = list(self._in_flight)
        loop = asyncio.get_running_loop()
        here = [t for t in tasks if t.get_loop() is loop]
        for task in here:
            task.cancel()
        for task in tasks:
            if task.get_loop() is not loop:
                with contextlib.suppress(RuntimeError):  # that loop has closed
                    task.get_loop().call_soon_threadsafe(task.cancel)
        if here:
            await asyncio.wait(here)

    def pending(self, event_id: str | None = None) -> list[dict[str, Any]]:
        """Attempts not made yet: queued ones by due time, then those in flight (``in_flight``);
        only ``event_id``'s when given."""
        with self._lock:
            queued = sorted(self._queue, key=lambda s: s.due)
            flying = sorted(
                (f.send for t, f in self._in_flight.items()
                 if not t.done() and f.generation == self._generation),
                key=lambda s: s.due,
            )
        return [
            {
                "event_id": s.event_id,
                "type": s.event_type,
                "url": s.url,
                "attempt": s.attempt,
                "due_at": isoformat(s.due),
                "in_flight": in_flight,
            }
            for in_flight, sends in ((False, queued), (True, flying))
            for s in sends
            if event_id is None or s.event_id == event_id
        ]

    def delivery_log(self, event_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            log = list(self._log)
        return [a.to_json() for a in log if event_id is None or a.event_id == event_id]

    def attempts(self) -> list[DeliveryAttempt]:
        with self._lock:
            return list(self._log)

    def events(self) -> list[Envelope]:
        with self._lock:
            return list(self._events.values())

    def event(self, event_id: str) -> Envelope | None:
        with self._lock:
            return self._events.get(event_id)

    def reset(self) -> None:
        """Forget events, queue and log; an attempt in flight finishes but is neither logged
        nor retried."""
        with self._lock:
            self._generation += 1
            self._events.clear()
            self._urls.clear()
            self._queue.clear()
            self._log.clear()

    def drop(self, installation_ids: Collection[str]) -> None:
        """Forget the events about ``installation_ids`` and their queued attempts; their
        attempts in flight are logged but never retried."""
        with self._lock:
            for event_id, sent in list(self._events.items()):
                if sent["data"].get("installation_id") in installation_ids:
                    del self._events[event_id], self._urls[event_id]
            self._queue = [s for s in self._queue if s.installation_id not in installation_ids]
            self._in_flight.update({t: replace(f, dropped=True) for t, f in self._in_flight.items()
                                    if f.send.installation_id in installation_ids})

    def _store(self, url: str, envelope: Envelope) -> None:
        with self._lock:
            self._events[envelope["id"]] = envelope
            self._urls[envelope["id"]] = url
            while len(self._events) > MAX_EVENTS:  # the oldest event can no longer be redelivered
                oldest = next(iter(self._events))
                del self._events[oldest]
                self._urls.pop(oldest, None)

    def _first_send(self, url: str, envelope: Envelope, *, redelivery: bool) -> _Send:
        return _Send(
            event_id=envelope["id"],
            event_type=envelope["type"],
            url=url,
            body=encode(envelope),
            attempt=1,
            due=self.clock.now(),
            redelivery=redelivery,
            installation_id=envelope["data"].get("installation_id"),
        )

    def _start_due(self, *, background: bool) -> list[asyncio.Task[DeliveryAttempt]]:
        if not self._queue:  # the common case, checked before every request: nothing queued
            return []
        now = self.clock.now()
        with self._lock:
            due = [s for s in self._queue if s.overdue or s.due <= now]
            self._queue = [s for s in self._queue if not (s.overdue or s.due <= now)]
        return [self._start(s, background=background) for s in sorted(due, key=lambda s: s.due)]

    def _start(self, send: _Send, *, background: bool = False) -> asyncio.Task[DeliveryAttempt]:
        with self._lock:
            generation = self._generation
        task = asyncio.get_running_loop().create_task(self._attempt(send, generation))
        with self._lock:
            self._in_flight[task] = _Flight(send=send, generation=generation)
        task.add_done_callback(self._landed_in_background if background else self._landed)
        return task

    def _landed(self, task: asyncio.Task[DeliveryAttempt]) -> None:
        with self._lock:
            self._in_flight.pop(task, None)

    def _landed_in_background(self, task: asyncio.Task[DeliveryAttempt]) -> None:
        self._landed(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("a platform event delivery failed in the mock", exc_info=exc)

    def _kept(self, generation: int) -> bool:
        """Whether the running attempt may be queued again: no reset or drop since it began."""
        task = asyncio.current_task()
        return generation == self._generation and not (task and self._in_flight[task].dropped)

    async def _attempt(self, send: _Send, generation: int) -> DeliveryAttempt:
        try:
            record = await self._post(send)
        except asyncio.CancelledError:
            with self._lock:
                if self._kept(generation) and send.headers is None:
                    self._queue.append(send)
            raise
        with self._lock:
            if generation == self._generation:
                if record.next_retry_at is not None and not self._kept(generation):
                    record = replace(record, next_retry_at=None, outcome="failed")
                self._log.append(record)
                if record.next_retry_at is not None:
                    self._queue.append(
                        replace(send, attempt=send.attempt + 1, due=record.next_retry_at,
                                overdue=False)
                    )
        return record

    async def _post(self, send: _Send) -> DeliveryAttempt:
        at = self.clock.now()
        wall = time.time()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **(dict(send.headers) if send.headers is not None
               else self.signer.signature_headers(send.body)),
        }
        status: int | None = None
        error: str | None = None
        detail: str | None = None
        started = self._timer()
        try:
            # httpx's timeout bounds each read and write, so a receiver that trickles its
            # answer a byte at a time would hold the attempt for ever: the attempt as a whole
            # gets ``timeout`` seconds.
            async with asyncio.timeout(self.timeout), self.http_client.stream(
                "POST", send.url, content=send.body, headers=headers, timeout=self.timeout
            ) as response:
                status = response.status_code
                if not 200 <= status < 300:
                    detail = await _answer_start(response)
        except TimeoutError:
            error = "timeout"
            detail = f"no whole answer within {self.timeout:g} seconds"
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            error = classify_error(exc)
            detail = f"{type(exc).__name__}: {exc}"[:200]
        duration_ms = (self._timer() - started) * 1000
        ok = error is None and status is not None and 200 <= status < 300

        next_retry_at: datetime | None = None
        outcome: Outcome = "delivered" if ok else "failed"
        if not ok and send.attempt < self.max_attempts and send.headers is None:
            next_retry_at = self.clock.now() + self.retry_delays[send.attempt - 1]
            outcome = "retry_scheduled"
        return DeliveryAttempt(
            event_id=send.event_id,
            event_type=send.event_type,
            url=send.url,
            attempt=send.attempt,
            at=at,
            status=status,
            error=error,
            detail=detail,
            duration_ms=duration_ms,
            next_retry_at=next_retry_at,
            outcome=outcome,
            redelivery=send.redelivery,
            wall=wall,
            forgery=send.forgery,
        )


async def _answer_start(response: httpx.Response) -> str | None:
    """The first characters of a refusal's body, for the log: only its first
    :data:`MAX_ANSWER_READ` bytes are read, however much the receiver sends. Read in the charset
    the receiver names, which may spell a lone surrogate (``utf-7``'s ``+2AA-``): one is kept
    escaped (``\\ud800``), as no JSON answer or page of the mock could carry it."""
    start = b""
    async for chunk in response.aiter_bytes():
        start += chunk
        if len(start) >= MAX_ANSWER_READ:
            break
    charset = response.charset_encoding or "utf-8"
    try:
        text = start[:MAX_ANSWER_READ].decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        text = start[:MAX_ANSWER_READ].decode("utf-8", errors="replace")
    return text[:200].encode("utf-8", "backslashreplace").decode("utf-8") or None


async def _finished(task: asyncio.Task[DeliveryAttempt]) -> DeliveryAttempt:
    """The task's attempt; the attempt goes on (and is logged) if the caller is cancelled."""
    return await asyncio.shield(task)
