"""How long the app under test let the provider hold its request: the provider's record of the
requests a ``hang`` fault held (:mod:`mock_idp.faults.holds`), read over the control API.

A hang's record lists its holds while the fault is listed; a one-shot hang goes as its hold
ends, at the moment the held request is logged, with the hold in the entry's note. So the
latest hold is in one or the other, whenever it is read.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from mock_idp.faults.holds import HoldRecord
from scenarios.live import LiveStack

__all__ = ["last_hold", "settled_hold"]

SETTLE_SECONDS = 1.0
"""How long :func:`settled_hold` waits for a hold to end: the app has closed its request by the
time it answers its callback, and the provider notices within its 20 ms look (longer on a
loaded machine)."""


def last_hold(stack: LiveStack, fault_id: str) -> HoldRecord | None:
    """The latest request the hang ``fault_id`` held or holds; ``None``: it held none."""
    fault = stack.armed_fault(fault_id, spent=True)
    if fault is not None:
        holds = fault.get("holds") or []
        return HoldRecord.from_json(holds[-1]) if holds else None
    for entry in reversed(stack.provider_requests()):
        for note in entry.get("notes") or ():
            if _held_by(note, fault_id):
                return HoldRecord.from_json(note["held"])
    return None


def settled_hold(stack: LiveStack, fault_id: str) -> HoldRecord | None:
    """:func:`last_hold` once its hold has ended, or as it stands after
    :data:`SETTLE_SECONDS` (the app answered with its request still open)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        hold = last_hold(stack, fault_id)
        if hold is None or hold.ended is not None or time.monotonic() >= deadline:
            return hold
        time.sleep(0.02)  # the provider's next look at the connection


def _held_by(note: Any, fault_id: str) -> bool:
    fault = note.get("fault") if isinstance(note, Mapping) else None
    return isinstance(fault, Mapping) and fault.get("id") == fault_id and "held" in note
