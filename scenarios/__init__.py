"""Real-browser SSO scenarios: a catalogue of journeys, a parallel runner and its reports.

Scenario authors need :func:`scenario` (or a :class:`Registry`'s decorator), the
:class:`ScenarioContext` each scenario receives, and :class:`WorkerInfo` for environment
factories. Browser choice lives in :mod:`scenarios.browser`, running in :mod:`scenarios.runner`
(each worker in :mod:`scenarios.worker`). These names are imported on first use, so the pytest
plugin's light modules load without Playwright's API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mock_idp.lazy_exports import lazy_dir, lazy_getattr

if TYPE_CHECKING:
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

_EXPORTS = {
    **dict.fromkeys(("ScenarioContext", "StepRecord"), "scenarios.context"),
    **dict.fromkeys(("Registry", "Scenario", "WorkerInfo", "default_registry", "load_catalogue",
                     "scenario"), "scenarios.registry"),
}

if not TYPE_CHECKING:  # mypy takes the names from the imports above
    __getattr__ = lazy_getattr(__name__, _EXPORTS)
    __dir__ = lazy_dir(__name__, _EXPORTS)
