"""The per-app state object every handler reads from ``request.app.state.idp``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .config import IdpConfig
from .keys import KeyRing
from .store import Store


@dataclass
class IdpState:
    config: IdpConfig
    clock: Clock
    store: Store
    keys: KeyRing
    extensions: dict[str, Any] = field(default_factory=dict)
    """Room for the optional subsystems (faults, notifications, platform events)."""

    @classmethod
    def create(cls, config: IdpConfig) -> IdpState:
        clock = config.clock
        return cls(
            config=config,
            clock=clock,
            store=Store.from_config(config, clock.now()),
            keys=KeyRing(clock=clock, retain_for=config.key_retention),
        )

    def reset(self) -> None:
        """Back to the configured directory, with no sessions, codes or tokens."""
        self.store = Store.from_config(self.config, self.clock.now())
