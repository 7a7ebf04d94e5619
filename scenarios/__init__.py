"""Real-browser SSO scenarios: a catalogue of journeys, a parallel runner and its reports.

Scenario authors need :func:`scenario` (or a :class:`Registry`'s decorator), the
:class:`ScenarioContext` each scenario receives, and :class:`WorkerInfo` for environment
factories. Browser choice lives in :mod:`scenarios.browser`, running in :mod:`scenarios.runner`
(each worker in :mod:`scenarios.worker`).
"""

from __future__ import annotations

from scenarios.context import ScenarioContext, StepRecord
from scenarios.registry import (
    Registry,
    Scenario,
    WorkerInfo,
    default_registry,
    load_catalogue,
    scenario,
)

__all__ = [
    "Registry",
    "Scenario",
    "ScenarioContext",
    "StepRecord",
    "WorkerInfo",
    "default_registry",
    "load_catalogue",
    "scenario",
]
