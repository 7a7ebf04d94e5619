"""What a scenario receives: a clean browser context, named steps, and the worker's environment."""

from __future__ import annotations

import contextlib
import re
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from scenarios.app_exit import shielded
from scenarios.screenshots import (
    Photographer,
    failure_screenshot,
    screenshot,
    waiting_picture,
    watch_page_versions,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

    from scenarios.protocol_view import BrowserLog
    from scenarios.registry import Scenario

__all__ = [
    "NoEnvironment",
    "NoEnvironmentError",
    "NotExercised",
    "ScenarioContext",
    "StepRecord",
    "screenshot",
    "watch_page_versions",
]

EnvT = TypeVar("EnvT")

StepStatus = Literal["passed", "failed", "skipped"]
"""``skipped``: the step raised :class:`NotExercised`; it proved nothing, so not ``passed``."""


@dataclass(frozen=True, kw_only=True)
class StepRecord:
    """One finished step; ``screenshot`` is relative to the report directory."""

    name: str
    status: StepStatus
    seconds: float
    screenshot: str | None = None
    error: str | None = None


class NotExercised(Exception):  # noqa: N818 -- an outcome, as pytest's Skipped
    """Raised by a scenario whose check the app never reached, so that it proves nothing either
    way (an app that never asks UserInfo, say): the scenario is skipped with this reason, as
    conformance skips such a row."""


class NoEnvironmentError(AttributeError):
    """A scenario used ``ctx.env`` where its registry provides none (see :class:`NoEnvironment`).
    An :class:`AttributeError`, so ``hasattr`` and ``getattr`` with a default still work."""


class NoEnvironment:
    """``ctx.env`` of a scenario whose registry has no environment hooks (a ``Registry()`` of
    one's own, run without ``stack=``): falsy, as the ``None`` it stands for, but any attribute
    asked of it (``ctx.env.people``) raises :class:`NoEnvironmentError` saying what to pass,
    rather than ``'NoneType' object has no attribute``."""

    def __init__(self, scenario_id: str) -> None:
        self._scenario_id = scenario_id

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and the like look for their hooks
            raise AttributeError(name)
        raise NoEnvironmentError(
            f"ctx.env.{name}: scenario {self._scenario_id!r} has no environment (ctx.env is "
            "None): its registry has no environment hooks, as a Registry() of your own has "
            "none. Pass stack= to sso_run_scenario (the test's sso_stack, say), or give the "
            "registry environment_factory and around_scenario as scenarios/catalogue does")

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NoEnvironment()"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "step"


@dataclass(kw_only=True)
class ScenarioContext(Generic[EnvT]):
    """Handed to each scenario.

    ``page`` lives in ``context``, a browser context this scenario has to itself: a new one,
    or the last scenario's, cleaned (:mod:`scenarios.clean_page`, where the registry
    allows it); ``env`` is whatever the catalogue's environment hooks provide (live servers
    and their handles), or a :class:`NoEnvironment` where they provide none.
    """

    scenario: Scenario
    browser: Browser
    context: BrowserContext
    page: Page
    env: EnvT
    report_dir: Path
    default_timeout_ms: float = 10_000
    steps: list[StepRecord] = field(default_factory=list)
    step_screenshots: bool = True
    """``False``: a step gets a screenshot only when it fails."""
    screenshot_seconds: float = 0.0
    """Time spent on the steps' screenshots so far."""
    browser_log: BrowserLog | None = None
    """Records the documents of ``context`` and of every context :meth:`new_context` opens
    (the browser's side of the protocol view)."""
    _extra_contexts: list[BrowserContext] = field(default_factory=list, repr=False)
    _shots: dict[int, tuple[str, str]] = field(default_factory=dict, repr=False)
    """Per page (by ``id``): the version it had at its last screenshot, and that file."""
    _photographer: Photographer = field(default_factory=Photographer, repr=False)

    @contextlib.contextmanager
    def step(self, name: str, *, page: Page | None = None) -> Iterator[None]:
        """A named step; a (masked) screenshot of ``page`` is taken when it ends, pass or fail.
        A step that raises :class:`NotExercised` is recorded ``skipped``, with the reason the
        scenario's result gives."""
        started = time.monotonic()
        error: str | None = None
        status: StepStatus = "passed"
        try:
            yield
        except NotExercised as exc:
            status, error = "skipped", f"not exercised: {exc}"
            raise
        except BaseException as exc:
            status, error = "failed", "".join(traceback.format_exception_only(exc)).strip()
            raise
        finally:
            seconds = time.monotonic() - started  # the picture's time is its phase's
            with shielded():  # the picture of a step the app's exit failed is still taken
                shot = self._capture(name, page or self.page, always=status == "failed")
            self.steps.append(
                StepRecord(
                    name=name,
                    status=status,
                    seconds=seconds,
                    screenshot=shot,
                    error=error,
                )
            )

    def _capture(self, name: str, page: Page, *, always: bool = False) -> str | None:
        """The step's screenshot: a new one, or the page's last one when the page has not
        changed since (a blank page that never navigated gets none), unless ``always``."""
        filename = f"{len(self.steps) + 1:02d}-{_slug(name)}.png"
        relative = Path("screenshots") / self.scenario.id / filename
        if not always and (not self.step_screenshots or page.url == "about:blank"):
            return None
        started = time.monotonic()
        version: str | None = None
        try:
            if always:  # a failed step's picture is taken whatever the page's state, masked
                failure_screenshot(page, self.report_dir / relative)
                return relative.as_posix()
            if waiting_picture(page, self.report_dir / relative):  # no state to read then
                return relative.as_posix()
            state = self._photographer.state(page)
            last = self._shots.get(id(page))
            if state is not None and last is not None and last[0] == state.version:
                return last[1]
            unchanged = self._photographer.take(
                page, self.report_dir / relative, secret=state is None or state.secret,
                version=state.version if state is not None else None,
                area=state.area if state is not None else None)
            if state is not None:
                # Playwright's masked screenshot changes the document (the masks and the caret
                # style come and go), and the page may have moved on to another document:
                # read it again, so the next step compares with the page as it is now.
                after = state if unchanged else self._photographer.state(page)
                version = after.version if after is not None else None
        except Exception:
            return None  # a closed page must not hide the step's own outcome
        finally:
            self.screenshot_seconds += time.monotonic() - started
        if version is not None:
            self._shots[id(page)] = (version, relative.as_posix())
        return relative.as_posix()

    def new_context(self, **options: Any) -> BrowserContext:
        """Another fresh browser context (a second user, say); closed with the scenario. Like
        the scenario's own context it accepts the https mock's local CA."""
        extra = self.browser.new_context(**{"ignore_https_errors": True, **options})
        extra.set_default_timeout(self.default_timeout_ms)
        watch_page_versions(extra)
        self._extra_contexts.append(extra)
        if self.browser_log is not None:
            self.browser_log.watch(extra, len(self._extra_contexts))
        return extra

    def close_extra_contexts(self) -> None:
        for extra in self._extra_contexts:
            with contextlib.suppress(Exception):
                extra.close()
        self._extra_contexts.clear()
