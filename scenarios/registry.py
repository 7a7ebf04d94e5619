"""The scenario catalogue: what a scenario is, how it is registered and how runs select them.

A scenario module registers plain functions::

    from scenarios import ScenarioContext, scenario

    @scenario(
        id="auto-login.widget",
        title="Widget signs in with no click",
        proves="An IdP session is enough to reach the widget without any page in between",
    )
    def widget_auto_login(ctx: ScenarioContext[LiveEnv]) -> None:
        with ctx.step("open the widget sign-in URL"):
            ...

The same module (or its package) registers how each worker process builds the environment the
scenarios run against, with :meth:`Registry.environment_factory`, and optionally what happens
around each scenario, with :meth:`Registry.around_scenario`, and which scenarios an app profile
cannot run (skipped, with the reason), with :meth:`Registry.skip_when`.
"""

from __future__ import annotations

import contextlib
import fnmatch
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, overload

from scenarios.close_ids import did_you_mean

if TYPE_CHECKING:
    from scenarios.context import ScenarioContext

__all__ = [
    "AroundScenario",
    "CatalogueError",
    "EnvironmentFactory",
    "Registry",
    "Scenario",
    "ScenarioFn",
    "SelectionError",
    "SkipCheck",
    "WorkerInfo",
    "default_registry",
    "load_catalogue",
    "scenario",
]

ScenarioFn = Callable[["ScenarioContext[Any]"], None]
F = TypeVar("F", bound=ScenarioFn)

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True, kw_only=True)
class WorkerInfo:
    """Which worker an environment is built for (index counts from 0)."""

    index: int
    count: int
    app: str | None = None
    """The app profile the run targets: a path or a shipped profile's name (``None``: the
    catalogue's default app)."""


EnvironmentFactory = Callable[[WorkerInfo], contextlib.AbstractContextManager[object]]
"""Builds one worker's environment (live servers, handles); entered once per worker process."""

AroundScenario = Callable[[object, "Scenario"], contextlib.AbstractContextManager[object]]
"""Wraps one scenario: receives the worker's environment, yields what ``ctx.env`` becomes."""

SkipCheck = Callable[["Scenario", "str | None"], "str | None"]
"""Why a scenario cannot run against an app profile (``None``: it can)."""


@contextlib.contextmanager
def _no_environment(_worker: WorkerInfo) -> Iterator[object]:
    yield None


@contextlib.contextmanager
def _same_environment(env: object, _scenario: Scenario) -> Iterator[object]:
    yield env


def _never_skip(_scenario: Scenario, _app: str | None) -> str | None:
    return None


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """One browser journey and the claim it checks."""

    id: str
    title: str
    proves: str
    group: str
    tags: frozenset[str] = frozenset()
    needs: frozenset[str] = frozenset()
    run: ScenarioFn = field(repr=False, compare=False)

    def matches(self, pattern: str) -> bool:
        return fnmatch.fnmatchcase(self.id, pattern)


class SelectionError(ValueError):
    """An ``--only`` pattern matched no scenario."""


class CatalogueError(ValueError):
    """A ``--catalogue`` that names no module, no attribute of it, or no :class:`Registry`."""


class Registry:
    """An ordered set of scenarios plus the environment hooks they run with."""

    def __init__(self) -> None:
        self._scenarios: dict[str, Scenario] = {}
        self.environment: EnvironmentFactory = _no_environment
        self.around: AroundScenario = _same_environment
        self.around_thread_safe = True
        """Whether :attr:`around` may be entered on another thread (see
        :meth:`around_scenario`)."""
        self.keeps_pages = False
        """Whether a worker may hand one scenario's browser context and page, cleaned, to the
        next (:mod:`scenarios.clean_page`): for scenarios that leave no init scripts, clock,
        emulation or changed timeouts on them. Otherwise every scenario gets a new pair."""
        self.skip_check: SkipCheck = _never_skip

    def add(self, item: Scenario) -> Scenario:
        if not _ID_RE.match(item.id):
            raise ValueError(
                f"scenario id {item.id!r}: use lowercase letters, digits, '.', '_' or '-'"
            )
        if (known := self._scenarios.get(item.id)) is not None and not _imported_again(
                known.run, item.run):
            raise ValueError(f"scenario id {item.id!r} is registered twice")
        self._scenarios[item.id] = item
        return item

    def scenario(
        self,
        *,
        id: str,
        title: str,
        proves: str,
        group: str | None = None,
        tags: Iterable[str] = (),
        needs: Iterable[str] = (),
    ) -> Callable[[F], F]:
        """Register the decorated function as a scenario; the function is returned unchanged.

        ``group`` defaults to the part of the id before the first dot.
        """

        def register(fn: F) -> F:
            self.add(
                Scenario(
                    id=id,
                    title=title,
                    proves=proves,
                    group=group if group is not None else id.split(".", 1)[0],
                    tags=frozenset(tags),
                    needs=frozenset(needs),
                    run=fn,
                )
            )
            return fn

        return register

    def environment_factory(self, factory: EnvironmentFactory) -> EnvironmentFactory:
        """Decorator: set how a worker process builds its environment (its own live servers)."""
        self.environment = factory
        return factory

    @overload
    def around_scenario(self, hook: AroundScenario) -> AroundScenario: ...

    @overload
    def around_scenario(self, *, thread_safe: bool) -> Callable[[AroundScenario],
                                                                AroundScenario]: ...

    def around_scenario(self, hook: AroundScenario | None = None, *,
                        thread_safe: bool = False) -> Any:
        """Decorator: set what wraps every scenario (reset state, arm faults, pick handles).

        The hook is entered and left on the worker's thread, before the scenario's browser
        context opens. With ``thread_safe=True`` it is entered on a thread of its own *while*
        the context opens, which hides its time behind the browser's (about 25 ms a scenario
        for the shipped catalogue), and left on the worker's thread: only for a hook whose
        environment may be used from any thread.
        """

        def register(hook: AroundScenario) -> AroundScenario:
            self.around, self.around_thread_safe = hook, thread_safe
            return hook

        return register if hook is None else register(hook)

    def skip_when(self, check: SkipCheck) -> SkipCheck:
        """Decorator: set how a scenario's needs are judged against the run's app profile."""
        self.skip_check = check
        return check

    def skip_reason(self, item: Scenario, app: str | None = None) -> str | None:
        """Why ``item`` is skipped for the app profile ``app`` (``None``: it runs)."""
        return self.skip_check(item, app)

    def __iter__(self) -> Iterator[Scenario]:
        return iter(self._scenarios.values())

    def __len__(self) -> int:
        return len(self._scenarios)

    def __contains__(self, scenario_id: object) -> bool:
        return scenario_id in self._scenarios

    def get(self, scenario_id: str) -> Scenario:
        return self._scenarios[scenario_id]

    def select(self, patterns: Iterable[str] = ()) -> list[Scenario]:
        """Scenarios whose id equals or glob-matches any pattern, in registration order.

        Patterns may also be comma-separated lists. No patterns selects everything; a pattern
        that matches nothing is an error, so a typo never passes as an empty run.
        """
        wanted = [p.strip() for item in patterns for p in item.split(",") if p.strip()]
        if not wanted:
            return list(self)
        unmatched = [p for p in wanted if not any(s.matches(p) for s in self)]
        if unmatched:
            hint = did_you_mean(unmatched, list(self._scenarios))
            raise SelectionError(f"no scenario matches {', '.join(map(repr, unmatched))}{hint}")
        return [s for s in self if any(s.matches(p) for p in wanted)]


default_registry = Registry()
scenario = default_registry.scenario


def load_catalogue(spec: str) -> Registry:
    """Import a catalogue given as ``module`` or ``module:attribute`` and return its registry.

    A package has all its submodules imported, so each scenario module registers itself.
    Without ``:attribute`` the scenarios are those registered with :data:`default_registry`.
    :class:`CatalogueError` when there is no such module or attribute, or the attribute is not
    a :class:`Registry`; a module that is found but fails as it is imported raises its own error.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or module_name.startswith("."):
        raise CatalogueError("needs a module's full name: module or module:registry")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if module_name == missing or module_name.startswith(f"{missing}."):
            raise CatalogueError(f"no module named {module_name!r}") from None
        raise
    if hasattr(module, "__path__"):
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{module.__name__}."):
            importlib.import_module(info.name)
    if not attribute:
        return default_registry
    registry = getattr(module, attribute, None)
    if registry is None:
        raise CatalogueError(f"module {module_name} has no {attribute!r}")
    if not isinstance(registry, Registry):
        raise CatalogueError(f"{spec} is not a scenarios.registry.Registry")
    return registry


def _imported_again(known: object, new: object) -> bool:
    """Whether ``new`` is ``known``'s function from its module imported again (a new module
    object, as after pytest's in-process runs restore ``sys.modules``): the same scenario,
    which replaces the old registration, not a second one under its id."""
    return (known is not new
            and getattr(known, "__module__", None) == getattr(new, "__module__", 0)
            and getattr(known, "__qualname__", None) == getattr(new, "__qualname__", 0)
            and getattr(known, "__globals__", None) is not getattr(new, "__globals__", None))
