"""The scenarios ``make scenarios`` runs.

Every module in this package registers scenarios with ``@scenario(...)``, each naming the
capabilities it needs from the app under test. This module registers how they run: each
scenario gets a fresh live stack (the mock provider on an ephemeral port, and the app the run's
profile describes: by default the reference relying party), so no state leaks from one
scenario to the next; a scenario whose needs the profile does not meet is skipped, with the
reason.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from scenarios import Scenario, WorkerInfo, default_registry
from scenarios.app.capabilities import skip_reason
from scenarios.app.profile import AppProfile
from scenarios.live import LiveStack, StackOptions, live_stack, profile_for


@dataclass(frozen=True)
class WorkerEnvironment:
    workdir: Path
    profile: AppProfile


@default_registry.environment_factory
@contextlib.contextmanager
def worker_environment(worker: WorkerInfo) -> Iterator[WorkerEnvironment]:
    profile = profile_for(worker.app)
    with tempfile.TemporaryDirectory(prefix=f"sso-scenarios-{worker.index}-") as workdir:
        yield WorkerEnvironment(Path(workdir), profile)


@default_registry.skip_when
def unmet_needs(scenario: Scenario, app: str | None) -> str | None:
    return skip_reason(scenario.needs, profile_for(app))


@default_registry.around_scenario
@contextlib.contextmanager
def fresh_stack(env: object, scenario: Scenario) -> Iterator[LiveStack]:
    assert isinstance(env, WorkerEnvironment)
    options = StackOptions(app=env.profile, connection="no-connection" not in scenario.tags)
    scenario_dir = env.workdir / scenario.id
    scenario_dir.mkdir(parents=True, exist_ok=True)
    with live_stack(options, workdir=scenario_dir) as stack:
        yield stack
