"""The scenarios ``make scenarios`` runs.

Every module in this package is imported by the runner; each registers its scenarios with
``@scenarios.scenario(...)``. One module also registers the per-worker environment with
``@scenarios.default_registry.environment_factory`` (live mock provider and relying party on
ephemeral ports) and, if needed, ``@scenarios.default_registry.around_scenario``.
"""

from __future__ import annotations
