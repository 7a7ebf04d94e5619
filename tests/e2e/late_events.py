"""The reference relying party made into an app that answers some platform events at once and
applies them :data:`LATE_S` seconds later, in the order they came (from a queue of its own), as
a correct app may: the partner scenarios give it up to ``[partner] acknowledgement_wait``
seconds."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest

from relying_party import partner

LATE_S = 3.0
"""How long the queuing app waits before applying an event it queued: longer than the
scenarios' own short polls of the app."""


def apply_late(monkeypatch: pytest.MonkeyPatch, *event_types: str) -> None:
    """For the test, the reference RP answers ``event_types`` at once and applies them
    :data:`LATE_S` seconds later; other events at once."""
    apply_once = partner.apply_once

    def queued(rp: Any, event: Mapping[str, Any], event_id: str, event_type: str, *,
               created_at: datetime) -> str:
        if event_type not in event_types:
            return apply_once(rp, event, event_id, event_type, created_at=created_at)
        # called in the app's event loop: each event waits its turn, in order
        asyncio.get_running_loop().call_later(
            LATE_S, lambda: apply_once(rp, event, event_id, event_type, created_at=created_at))
        return "queued"

    monkeypatch.setattr(partner, "apply_once", queued)
