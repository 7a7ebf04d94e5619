"""The scenarios ``make scenarios`` runs.

Every module in this package registers scenarios with ``@scenario(...)``. This module registers
how they run: each scenario gets a fresh live stack (mock provider + reference relying party on
ephemeral ports, sharing one clock), so no state leaks from one scenario to the next. Tags
shape the stack: ``no-connection`` (no customer-SSO connection made up front) and ``idp-https``
(the provider serves https with a local CA the relying party trusts).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from scenarios import Scenario, WorkerInfo, default_registry
from scenarios.live import LiveStack, StackOptions, live_stack


@default_registry.environment_factory
@contextlib.contextmanager
def worker_environment(worker: WorkerInfo) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"sso-scenarios-{worker.index}-") as workdir:
        yield Path(workdir)


@default_registry.around_scenario
@contextlib.contextmanager
def fresh_stack(workdir: object, scenario: Scenario) -> Iterator[LiveStack]:
    assert isinstance(workdir, Path)
    options = StackOptions(connection="no-connection" not in scenario.tags,
                           idp_https="idp-https" in scenario.tags)
    scenario_dir = workdir / scenario.id
    scenario_dir.mkdir(parents=True, exist_ok=True)
    with live_stack(options, workdir=scenario_dir) as stack:
        yield stack
