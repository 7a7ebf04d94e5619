"""Running registered scenarios inside a pytest test: what the ``sso_run_scenario`` fixture of
:mod:`scenarios.pytest_plugin` hands a test, and how a result becomes a test's outcome."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from _pytest.outcomes import Failed

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from scenarios.live import LiveStack
    from scenarios.registry import Registry, Scenario, WorkerInfo
    from scenarios.runner import ScenarioResult

__all__ = ["ScenarioFailed", "ScenarioRunner", "describe_result", "expect_passed", "inert_report",
           "skip_at_the_test", "summarise_failure", "uses_the_plugin", "xdist_worker"]


def _as_given(app: str) -> str:
    return app


def _nothing() -> None:
    pass


def _unheard(notes: tuple[str, ...]) -> None:
    pass


def xdist_worker() -> WorkerInfo:
    """This process's pytest-xdist worker (index 0 of 1 without xdist)."""
    from scenarios.registry import WorkerInfo

    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    return WorkerInfo(index=index, count=max(count, index + 1))


@dataclass(frozen=True, kw_only=True)
class ScenarioRunner:
    """Runs registered scenarios in this test, as ``make scenarios`` would."""

    browser: Browser
    report_dir: Path
    """Screenshots of every step and the trace of a failure."""
    environments: Callable[[Registry, str | None], object]
    app: str | None = None
    """The app profile scenarios run against (``None``: the reference relying party)."""
    find_app: Callable[[str], str] = _as_given
    """The profile a run's ``app=`` names, as the runner takes it (the plugin's finds a
    relative path as a marker's is found, and makes a profile with problems a usage
    error)."""
    on_reference_app: Callable[[], None] = _nothing
    """Called when a run falls back to the reference relying party because nothing named the
    app (the plugin's gives the test its ``ReferenceAppWarning``)."""
    on_notes: Callable[[tuple[str, ...]], None] = _unheard
    """Called with what ``run --app`` would note of a run's app beside its results
    (:func:`scenarios.app_notes.app_notes`: an app that holds no e-mail address for the people
    it signed in), when there is anything (the plugin's gives the test an
    ``AppNoteWarning`` each)."""

    def __call__(self, scenario: str | Scenario, *, registry: Registry | None = None,
                 stack: LiveStack | None = None, app: str | None = None) -> ScenarioResult:
        """Run one scenario (an id of ``registry``, default the ``scenarios.catalogue``)
        against the app under test (``app``: a profile path or shipped name; default the
        runner's, from ``--sso-app``, the ``sso_app`` marker or ``sso_stack_options``).

        With ``stack`` it runs against that stack (one this test arranged, whose app is then
        the app under test) instead of the fresh one its catalogue would build, and the stack's
        provider is reset once it ends (:mod:`scenarios.stack_reset`). A scenario whose needs
        the profile does not meet comes back skipped, with the reason, either way.
        """
        __tracebackhide__ = _usage_error  # a mistyped id or app: the test's line, the message
        from scenarios.registry import Registry, load_catalogue
        from scenarios.runner import (
            DEFAULT_CATALOGUE,
            RunOptions,
            expect_timeout,
            run_scenario,
            skipped_result,
        )

        catalogue = registry if registry is not None else load_catalogue(DEFAULT_CATALOGUE)
        item = _registered(catalogue, scenario) if isinstance(scenario, str) else scenario
        if stack is not None:  # its app is the one the scenario meets
            app = _stack_app(stack)
        else:
            app = self.find_app(app) if app is not None else self.app
        worker = replace(xdist_worker(), app=app)
        reason = catalogue.skip_reason(item, app)
        if reason is not None:
            return skipped_result(item, reason, worker)
        if stack is None:
            runs_in, worker_env = catalogue, self.environments(catalogue, app)
            if app is None and worker_env is not None:  # the registry's stack for no app
                self.on_reference_app()
        else:
            from scenarios.stack_reset import reset_after

            runs_in, worker_env = Registry(), None
            runs_in.around = lambda _env, _item: reset_after(stack)
        options = RunOptions(report_dir=self.report_dir, app=app)
        with expect_timeout(options.timeout_ms):  # the run's timeout, for expectations too
            result = run_scenario(item, browser=self.browser, worker_env=worker_env,
                                  registry=runs_in, options=options, worker=worker)
        if result.addressless:
            from scenarios.app_notes import app_notes
            from scenarios.live import profile_for

            self.on_notes(app_notes((result,), profile_for(app)))
        return result

    def expect_passed(self, result: ScenarioResult) -> None:
        """Fail the current test with the scenario's own message unless it passed."""
        expect_passed(result, self.report_dir)


def _stack_app(stack: LiveStack) -> str:
    """The profile file of ``stack``'s app, which the registry judges a scenario's needs by; a
    profile with no file is a usage error."""
    if stack.profile.path is None:
        raise pytest.UsageError(
            f"sso_run_scenario(stack=...): the stack's profile {stack.profile.name!r} has no "
            "file, which judging a scenario's needs takes: start the stack with its path")
    return str(stack.profile.path)


def _usage_error(info: pytest.ExceptionInfo[BaseException]) -> bool:
    return info.errisinstance(pytest.UsageError)


def _registered(registry: Registry, scenario_id: str) -> Scenario:
    """The scenario ``scenario_id`` names; an id not registered is a usage error naming the
    registered ids closest to it."""
    if scenario_id in registry:
        return registry.get(scenario_id)
    close = difflib.get_close_matches(scenario_id, [s.id for s in registry], n=3, cutoff=0.8)
    hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise pytest.UsageError(f"sso_run_scenario: no scenario {scenario_id!r} is registered"
                            + hint)


def describe_result(result: ScenarioResult, report_dir: Path | None = None) -> str:
    """The scenario's outcome as the runner reports it: status, message, steps, the failed
    step's screenshot, trace, and where what the app printed is kept."""
    message = result.message or ""
    lines = [f"{result.id} {result.status.upper()}: {message or 'passed'}"]
    lines += [f"  {s.status.upper():<6} {s.name}" + (
        "" if not s.error else SAID_ABOVE if _said(s.error, message) else f": {s.error}")
        for s in result.steps]
    shots = [s.screenshot for s in result.steps if s.status == "failed" and s.screenshot]
    if shots and report_dir is not None:
        lines.append(f"screenshot at the failure: {report_dir / shots[0]}")
    if result.trace and report_dir is not None:
        lines.append(f"trace: playwright show-trace {report_dir / result.trace}")
    if result.app_log and report_dir is not None:
        lines.append(f"what the app printed: {report_dir / result.app_log}")
    if result.details:
        lines.append(_traceback_without(result.details, message))
    return "\n".join(lines)


SAID_ABOVE = " (the error above)"
"""A step line's ending in place of an error the result's first line gives already: pytest
shows the whole message in the failure and, under CI, in its short summary, where the same
text twice (or three times, with the traceback's last line) reads as several failures."""

_EXCEPTION_TYPE = re.compile(r"[A-Za-z_][\w.]*: ")


def _said(error: str, message: str) -> bool:
    """Whether the step's ``error`` is in ``message`` already, with or without its exception
    type (a step names ``NoFailurePage``'s module path where the message says
    ``AssertionError``)."""
    if error in message:
        return True
    typed = _EXCEPTION_TYPE.match(error)
    return typed is not None and error[typed.end():] in message


def _traceback_without(details: str, message: str) -> str:
    """``details``, a traceback, with its last exception's text cut when ``message`` gives it
    (its type is kept): the worker takes the message from that exception."""
    lines = details.rstrip("\n").splitlines()
    frames = [i for i, line in enumerate(lines) if line.startswith("  File ")]
    if not frames:
        return details
    end = next((i for i in range(frames[-1] + 1, len(lines))
                if not lines[i].startswith(" ")), None)
    if end is None:
        return details
    raised = "\n".join(lines[end:])
    typed = _EXCEPTION_TYPE.match(raised)
    if typed is None or not _said(raised, message):
        return details
    return "\n".join([*lines[:end], raised[:typed.end() - 2] + SAID_ABOVE])


def expect_passed(result: ScenarioResult, report_dir: Path | None = None) -> None:
    """Fail the current test with the scenario's own message unless it passed (a scenario
    skipped for the app under test skips the test, with the reason)."""
    from scenarios.github import inert

    if result.skipped:
        pytest.skip(inert(f"{result.id}: {result.message}"))
    if not result.passed:
        said = [line for line in f"{result.id} {result.status.upper()}: {result.message}"
                .splitlines() if line.strip()]
        raise ScenarioFailed(inert(describe_result(result, report_dir)),
                             inert("\n".join(said[:SUMMARY_LINES])))


SUMMARY_LINES = 3
"""Lines of a failed scenario's message its line in pytest's short summary holds."""


class ScenarioFailed(Failed):
    """A catalogue scenario that did not pass, as ``pytest.fail(..., pytrace=False)``; its
    ``summary`` (the scenario, its status and the first lines of its message) is the failure's
    line in pytest's short summary (:func:`summarise_failure`)."""

    def __init__(self, msg: str, summary: str) -> None:
        super().__init__(msg, pytrace=False)
        self.summary = summary


def summarise_failure(report: pytest.TestReport, call: pytest.CallInfo[None]) -> None:
    """The short summary's line of a failed scenario (``FAILED test_x.py::test - <message>``)
    made :attr:`ScenarioFailed.summary`, in place. pytest takes that line from the failure's
    crash message, which is the whole failure: its steps and the scenario's traceback, printed
    in full where pytest runs in CI (``CI`` set) or with ``-vv``, and also as ``--tb=line``'s
    one line per failure; the failures section keeps all of it."""
    from _pytest._code.code import ExceptionRepr

    if (call.excinfo is not None and isinstance(call.excinfo.value, ScenarioFailed)
            and isinstance(report.longrepr, ExceptionRepr)
            and report.longrepr.reprcrash is not None):
        report.longrepr.reprcrash.message = call.excinfo.value.summary


def skip_at_the_test(item: pytest.Item, report: pytest.TestReport) -> None:
    """A scenario :func:`expect_passed` skips is reported at the test's own line, as pytest
    reports a ``skip`` marker's (``-rs``: ``SKIPPED [1] tests/test_sso.py:12: signout.backchannel:
    …``), not at the line of this module that raised the skip, which names no test of the
    project and is the same for every skipped scenario; in place."""
    longrepr = report.longrepr
    if not (report.skipped and report.when == "call" and isinstance(longrepr, tuple)):
        return
    raised_in, _, reason = longrepr
    if os.path.normcase(os.path.realpath(raised_in)) != os.path.normcase(
            os.path.realpath(__file__)):
        return
    path, line = item.reportinfo()[:2]
    report.longrepr = (os.fspath(path), (line or 0) + 1, reason)


AUTOUSE_FIXTURES = frozenset({"sso_signing_keys"})
"""The plugin's fixtures every test of the session has (``autouse``): they are no sign that a
test uses the plugin."""


def uses_the_plugin(item: pytest.Item) -> bool:
    """Whether ``item`` uses a fixture of the ``sso_harness`` plugin (its names start with
    ``sso_``, or are ``mock_idp`` and ``relying_party``), not counting :data:`AUTOUSE_FIXTURES`:
    a project's own tests that fail or skip then cost no import of the harness's modules."""
    names = getattr(item, "fixturenames", ())
    return any((name.startswith("sso_") and name not in AUTOUSE_FIXTURES)
               or name in ("mock_idp", "relying_party") for name in names)


def inert_report(report: pytest.TestReport) -> None:
    """What pytest prints of ``report`` (a failure's traceback and message, which may quote
    the app's output or a page's text, and the output it captured) made
    :func:`~scenarios.github.inert`, in place; outside GitHub Actions it is left alone."""
    from _pytest._code.code import ExceptionChainRepr, ExceptionRepr, ReprEntry

    from scenarios.github import inert

    longrepr = report.longrepr
    if isinstance(longrepr, str):
        report.longrepr = inert(longrepr)
    elif isinstance(longrepr, tuple):  # a skip: (path, line, reason)
        path, line, reason = longrepr
        report.longrepr = (path, line, inert(reason))
    elif isinstance(longrepr, ExceptionRepr):
        chain = (longrepr.chain if isinstance(longrepr, ExceptionChainRepr)
                 else [(longrepr.reprtraceback, longrepr.reprcrash, None)])
        for traceback, crash, _ in chain:
            for entry in traceback.reprentries:
                entry.lines = [inert(line) for line in entry.lines]
                if isinstance(entry, ReprEntry) and entry.reprfileloc is not None:
                    entry.reprfileloc.message = inert(entry.reprfileloc.message)
            if crash is not None:
                crash.message = inert(crash.message)
        longrepr.sections = [(name, inert(content), sep)
                             for name, content, sep in longrepr.sections]
    elif longrepr is not None:
        report.longrepr = inert(str(longrepr))
    report.sections = [(name, inert(content)) for name, content in report.sections]
