"""A piece of work as a :class:`~concurrent.futures.Future`: run beside the caller on a thread of
its own, or at once on the caller's thread, so that the caller waits for either the same way
(a scenario's environment opens beside its browser context when the catalogue allows)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

__all__ = ["at_once", "beside"]

T = TypeVar("T")


def beside(work: Callable[[], T]) -> Future[T]:
    """Run ``work`` on a thread of its own; its result (or exception) in the future."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=run, name=f"{threading.current_thread().name}-beside",
                     daemon=True).start()
    return future


def at_once(work: Callable[[], T]) -> Future[T]:
    """Run ``work`` now, on this thread; its result (or exception) in the future."""
    future: Future[T] = Future()
    try:
        future.set_result(work())
    except Exception as exc:
        future.set_exception(exc)
    return future
