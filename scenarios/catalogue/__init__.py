"""The scenarios ``make scenarios`` runs.

Every module in this package registers scenarios with ``@scenario(...)``, each naming the
capabilities it needs from the app under test. This module registers how they run: each worker
starts the mock provider once (and, for an in-process app, one server to mount it on; see
:mod:`scenarios.shared_servers`), and each scenario gets a fresh live stack on them: the
provider reset to its configured state, and a new instance of the app the run's profile
describes (by default the reference relying party), so no state leaks from one scenario to
the next; a scenario whose needs the profile does not meet is skipped, with the reason. Tags
shape the stack: ``no-connection`` (no ``[[configure]]`` calls), ``idp-https`` (a provider of
its own on https with a local CA, given to the app as ``{ca_file}``) and ``entra-v1`` (the app
gets Entra's v1 endpoints; an app that does not start on them fails that scenario, with the
v2.0-only advice, only when it then starts without them: else it is an app that cannot start).
A ``provider-only`` scenario involves no app at all (the harness plays every part): it runs
with the reference relying party, the harness's own catalogue, and is skipped for any other
app rather than reported as passing against it.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from scenarios import Scenario, WorkerInfo, default_registry
from scenarios.app.capabilities import skip_reason
from scenarios.app.interrupts import STOPPING
from scenarios.app.process import AppStartError
from scenarios.app.profile import AppProfile
from scenarios.catalogue.entra_v1 import refused_v1_settings
from scenarios.live import LiveStack, StackOptions, live_stack, profile_for
from scenarios.profiles import REFERENCE_RP
from scenarios.shared_servers import SharedServers, shared_servers

PROVIDER_ONLY = ("it checks the provider, not the app: the harness plays every part, so it runs "
                 "with the reference relying party only")


@dataclass(frozen=True)
class WorkerEnvironment:
    workdir: Path
    profile: AppProfile
    shared: SharedServers


# The catalogue's scenarios leave no init scripts, clock, emulation or timeouts on their page:
# a worker hands each one the last one's page, cleaned (scenarios.clean_page).
default_registry.keeps_pages = True


@default_registry.environment_factory
@contextlib.contextmanager
def worker_environment(worker: WorkerInfo) -> Iterator[WorkerEnvironment]:
    profile = profile_for(worker.app)
    with tempfile.TemporaryDirectory(prefix=f"sso-scenarios-{worker.index}-") as workdir, \
            shared_servers(profile) as shared:
        yield WorkerEnvironment(Path(workdir), profile, shared)


@default_registry.skip_when
def unmet_needs(scenario: Scenario, app: str | None) -> str | None:
    profile = profile_for(app)
    if "provider-only" in scenario.tags and profile.path != REFERENCE_RP:
        return PROVIDER_ONLY
    return skip_reason(scenario.needs, profile)


@default_registry.around_scenario(thread_safe=True)  # nothing in the stack is tied to a thread
@contextlib.contextmanager
def fresh_stack(env: object, scenario: Scenario) -> Iterator[LiveStack]:
    assert isinstance(env, WorkerEnvironment)
    tags = scenario.tags
    options = StackOptions(app=env.profile, connection="no-connection" not in tags,
                           idp_https="idp-https" in tags, entra_v1="entra-v1" in tags)
    # A directory of its own each time (the pytest plugin may run one scenario twice).
    scenario_dir = Path(tempfile.mkdtemp(prefix=f"{scenario.id}-", dir=env.workdir))
    # STOPPING set from here on is an interrupt of this start (start_command clears it too:
    # one handled before, a test's say, holds no later start, an in-process app's neither).
    STOPPING.clear()
    with contextlib.ExitStack() as exits:
        try:
            stack = exits.enter_context(live_stack(options, workdir=scenario_dir,
                                                   shared=env.shared))
        except AppStartError as exc:
            if not options.entra_v1 or STOPPING.is_set():
                raise  # an interrupted run starts no app again: it is stopping
            if (also := _start_without_v1(env, options, scenario_dir)) is not None:
                if STOPPING.is_set():  # interrupted as it started again: says nothing
                    raise
                how = "the same way" if also.message == exc.message else f"({also.message})"
                raise exc.hinted(
                    "it did not start on the profile's own settings (the v2.0 endpoints) "
                    f"either {how}, so it is not the v1 endpoints it refused") from exc
            raise refused_v1_settings(env.profile, exc) from exc
        yield stack


def _start_without_v1(env: WorkerEnvironment, options: StackOptions,
                      scenario_dir: Path) -> AppStartError | None:
    """Why the app does not start on the profile's own settings either, at once after it did
    not start on an ``entra-v1`` scenario's v1 endpoints (``None``: it starts, and is stopped).

    The two starts differ in the v1 endpoints alone, so only an app that starts without them
    refused them (:func:`~scenarios.catalogue.entra_v1.refused_v1_settings`); a broken app, a
    port taken, a crash the v1 settings have nothing to do with fails both and is an app that
    cannot start. What the app printed is not read for an issuer: a refusal may say nothing of
    it, and a broken app may name it too. The extra start is made only on this failure."""
    plain = replace(options, entra_v1=False, connection=False)
    try:
        with live_stack(plain, workdir=scenario_dir / "without-v1", shared=env.shared):
            return None
    except AppStartError as exc:
        return exc
