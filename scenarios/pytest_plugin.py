"""pytest fixtures for testing single sign-on against the mock provider in a real browser.

Installed as the ``sso_harness`` pytest plugin. Every fixture name starts with ``sso_`` (or is
``mock_idp`` / ``relying_party``) so it never collides with pytest-playwright's ``page`` or
``browser``:

``sso_stack``
    A :class:`~scenarios.live.LiveStack`: the mock provider and the app under test on ephemeral
    ports: by default the reference relying party (on the provider's clock, with its
    customer-SSO connection), else the app an app profile describes (``--sso-app PROFILE``,
    ``@pytest.mark.sso_app("PROFILE")``, or ``app`` in ``sso_stack_options``, which every
    fixture then takes). A test that names no app gets a :class:`ReferenceAppWarning`. Fresh
    for each test; ``relying_party`` is the same object. The reference RP gets a fresh admin
    credential, ``sso_stack.app.values["admin_token"]`` (a bearer token for its admin API,
    typed into its admin sign-in form).
``sso_app``
    The app under test's adapter (``sso_stack.app``): sign-in URLs, ``expect_signed_in``,
    ``expect_failure``, ``renew_secret``... ``sso_app_profile`` is its
    :class:`~scenarios.app.AppProfile`.
``mock_idp``
    A :class:`StackIdp` for the provider of ``sso_stack``: the helpers of
    :class:`mock_idp.testing.MockIdp` (``add_user``, ``add_app``, ``add_secret``, ``assign``,
    ``graph``, ``advance``, and for claims ``add_group``, ``add_groups``, ``configure_claims``,
    ``add_extension``, ``update_user``, ``set_custom_claims``) plus ``add_tenant``,
    ``arm_fault``, ``clear_faults``, ``rotate_keys``.
``sso_stack_options``
    The :class:`~scenarios.live.StackOptions` ``sso_stack`` is built with; set them per test
    with ``@pytest.mark.sso_stack_options(connection=False)`` (keywords, or one StackOptions),
    or override the fixture.
``sso_stack_factory``
    Start further stacks in the same test: ``sso_stack_factory(StackOptions(...))``.
``sso_browser``
    One Chromium per test module (and pytest-xdist worker), chosen by
    :mod:`scenarios.browser`: a remote browser server, ``$SSO_HARNESS_CHROMIUM``, Playwright's
    Chromium or the system one.
``sso_context`` / ``sso_page``
    A fresh browser context and a page in it for each test, with a short default timeout
    (``--sso-timeout``, default 5 s) for their actions and for ``expect(...)``; in a test that
    starts stacks it accepts a provider's certificate from the local CA of ``idp_https``.
    Neither starts a stack.
``sso_run_scenario``
    Run one registered scenario (by id) in a fresh context against the app under test (or
    ``app=``, found as a marker's path is) and return its
    :class:`~scenarios.runner.ScenarioResult` (skipped, with the reason, when the app's
    profile cannot run it); :func:`expect_passed` turns a failure into a test failure with the
    scenario's message, and a skip into a pytest skip. With ``stack=`` it runs on that stack
    (the test's ``sso_stack``, say), whose provider is reset once it ends
    (:mod:`scenarios.stack_reset`). What ``run --app`` would note of the app beside the
    result (:mod:`scenarios.app_notes`: it holds no e-mail address for the people it signed
    in) is an :class:`AppNoteWarning` at the test's own line.

Signing keys: every provider a test starts makes an RSA-2048 signing key, and generating one
takes tens of milliseconds. For the session the mock takes them from a pool of 16 private keys
(:class:`mock_idp.key_source.RsaKeyPool`), each under a certificate and ``kid`` of its own;
``--sso-key-pool N`` sets the pool's size, and 0 makes a fresh key every time. pytest's cache
(``.pytest_cache``) keeps the pool's keys for the next session, which then generates none:
they are the mock's test keys, which nothing outside the tests trusts. ``--cache-clear``
makes new ones, and ``-p no:cacheprovider`` keeps none.

A relative profile path in ``@pytest.mark.sso_app("tests/helpdesk.toml")`` is found in pytest's
rootdir (``config.rootpath``), else in the current directory; one given as ``--sso-app`` in the
current directory, else in the rootdir.

Options: ``--sso-app PROFILE``, ``--sso-headed``, ``--sso-timeout SECONDS``,
``--sso-browser-ws-endpoint URL``, ``--sso-shard I/N`` (run part I of N of the collected
tests, split by test id as :mod:`scenarios.shard` splits scenarios; the JUnit report's suite
is then ``pytest shard I/N``; a shard left none of the tests collected passes, and says so),
``--sso-key-pool N``.

SIGTERM ends the session as Ctrl-C does: the tests' stacks are torn down, and an app started
by its profile's command (in a session of its own, which neither signal reaches) is stopped; a
pytest-xdist worker killed before its teardown ends leaves no app running either
(:mod:`scenarios.app.orphan_guard`).

Long because: it is the module the ``pytest11`` entry point loads, and its options, hooks and
fixtures read one another (the options' values, the markers, the stack a fixture builds);
running registered scenarios is apart, in :mod:`scenarios.pytest_run`.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import inspect
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from mock_idp.key_source import POOL_SIZE, RsaKeyPool, RsaKeySource, fresh_rsa_key, rsa_keys_from
from mock_idp.lazy_exports import lazy_getattr
from scenarios.app.process import AppStartError, interrupted_by
from scenarios.options import profile_option, timeout_option
from scenarios.shard import Shard, shard_option

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

    from scenarios.app import AppProfile
    from scenarios.app.adapter import ProfileAdapter
    from scenarios.live import LiveStack, StackOptions
    from scenarios.pytest_run import ScenarioRunner, describe_result, expect_passed, xdist_worker
    from scenarios.registry import Registry
    from scenarios.stack_idp import StackIdp

__all__ = [
    "ScenarioRunner",
    "chosen_app",
    "StackFactory",
    "StackIdp",
    "describe_result",
    "expect_passed",
    "signing_key_source",
    "stack_options_from_marker",
    "xdist_worker",
]

MARKER = "sso_stack_options"
APP_MARKER = "sso_app"
DEFAULT_TIMEOUT_SECONDS = 5.0
DEFAULT_KEY_POOL = POOL_SIZE
KEPT_KEYS = "sso_harness/signing_keys"
"""Where pytest's cache keeps the key pool's keys between sessions."""
DEFAULT_SUITE_NAME = "pytest"
"""pytest's own ``junit_suite_name``."""


class ReferenceAppWarning(UserWarning):
    """A test ran against the reference relying party because nothing named the app under
    test: no ``--sso-app``, no ``sso_app`` marker, no ``app`` in ``sso_stack_options``, no
    ``app=`` given to ``sso_run_scenario``. Given once per test, at the test's own line, when
    ``sso_app_profile`` (so ``sso_stack``) or a run of ``sso_run_scenario`` falls back to it."""

class AppNoteWarning(UserWarning):
    """What ``run --app`` notes beside its results (:mod:`scenarios.app_notes`), for a run of
    ``sso_run_scenario``: the app holds no e-mail address for the people it signed in, though
    the scenario passed on the name it shows. Given at the test's own line, in the words of
    ``run --app``'s note."""

# pytest loads this module in every session of a project that installs the harness, whether or
# not a test uses a fixture of it: what the fixtures run (the mock, the stack, Playwright's
# API) is imported when a fixture first needs it, and these names when first asked for. Not
# listed by dir(): pytest reads every name dir() lists when it registers a plugin.
if not TYPE_CHECKING:  # mypy takes the names from the imports above
    __getattr__ = lazy_getattr(__name__, {
        **dict.fromkeys(("ScenarioRunner", "describe_result", "expect_passed", "xdist_worker"),
                        "scenarios.pytest_run"),
        "StackIdp": "scenarios.stack_idp",
    })


# --- options and markers ----------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    from scenarios.browser import WS_ENDPOINT_ENV

    group = parser.getgroup("sso_harness", "sso-harness browser fixtures")
    group.addoption("--sso-app", type=profile_option, default=None, metavar="PROFILE",
                    help="the app under test of sso_stack and sso_run_scenario: an app profile "
                    "(TOML) or a shipped profile's name (default: the reference relying party)")
    group.addoption("--sso-headed", action="store_true", default=False,
                    help="show the browser window of the sso_* fixtures")
    group.addoption("--sso-timeout", type=timeout_option, default=DEFAULT_TIMEOUT_SECONDS,
                    metavar="SECONDS",
                    help="default timeout of sso_page actions and expectations, more than 0 "
                    "and at most 600 (default: 5)")
    group.addoption("--sso-browser-ws-endpoint", default=None, metavar="URL",
                    help=f"connect to a remote Playwright browser server (env {WS_ENDPOINT_ENV})")
    group.addoption("--sso-shard", type=shard_option, default=None, metavar="I/N",
                    help="run only part I of N of the collected tests (a deterministic split by "
                    "test id: N CI machines with I = 1..N run every test once)")
    group.addoption("--sso-key-pool", type=_key_pool_size, default=DEFAULT_KEY_POOL,
                    metavar="N",
                    help="the mock's signing keys take their RSA keys from a pool of N for the "
                    f"session (default: {DEFAULT_KEY_POOL}); 0: a fresh key every time")


def _key_pool_size(text: str) -> int:
    try:
        size = int(text)
    except ValueError:
        size = -1
    if not 0 <= size <= 1000:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1000, got {text!r}")
    return size


def signing_key_source(size: int, kept: Iterable[str] = ()) -> RsaKeySource:
    """Where the mock's signing keys take their RSA keys: a pool of ``size`` that hands out the
    ``kept`` keys first, or fresh ones."""
    return RsaKeyPool(size, kept=kept) if size else fresh_rsa_key


def _kept_keys(cache: pytest.Cache | None) -> list[str]:
    """The pool's keys pytest's cache kept from an earlier session (texts only: what is not a
    key is passed over by the pool)."""
    value = cache.get(KEPT_KEYS, []) if cache is not None else []
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


@pytest.fixture(scope="session", autouse=True)
def sso_signing_keys(pytestconfig: pytest.Config) -> Iterator[None]:
    """For the session, the mock's signing keys come from ``--sso-key-pool``'s pool; its keys
    are kept in pytest's cache, so that the next session (each pytest-xdist worker of it)
    generates none."""
    cache: pytest.Cache | None = getattr(pytestconfig, "cache", None)  # -p no:cacheprovider
    source = signing_key_source(_option(pytestconfig, "sso_key_pool", DEFAULT_KEY_POOL),
                                _kept_keys(cache))
    with rsa_keys_from(source):
        yield
    if cache is not None and isinstance(source, RsaKeyPool) and source.made:
        cache.set(KEPT_KEYS, source.pem())


@pytest.hookimpl(trylast=True)  # after junitxml's, whose report it names
def pytest_configure(config: pytest.Config) -> None:
    """``--sso-app`` checked; the markers; SIGTERM stops the run as Ctrl-C does, so every
    stack and app it started is stopped (:func:`~scenarios.app.process.interrupted_by`); and
    with ``--sso-shard``, the JUnit report's suite is named for the shard."""
    _check_the_app_option(config)
    interrupting = contextlib.ExitStack()
    interrupting.enter_context(interrupted_by())
    config.add_cleanup(interrupting.close)
    _name_the_shards_suite(config)
    config.addinivalue_line(
        "markers",
        f"{MARKER}(options=None, **changes): StackOptions for this test's sso_stack "
        "(e.g. connection=False, support_contact='it@fabrikam.example')",
    )
    config.addinivalue_line(
        "markers",
        f"{APP_MARKER}(profile): the app under test of this test's sso_stack and "
        "sso_run_scenario (an app profile's path or a shipped profile's name)",
    )


def _check_the_app_option(config: pytest.Config) -> None:
    """``--sso-app``: a profile that is not there, or has problems, ends the session before it
    starts, as a usage error (exit 4), rather than failing each test that uses it while a test
    that uses none passes."""
    option = _option(config, "sso_app", None)
    if option:
        source = f"--sso-app {option}"
        _checked_profile(_profile_path(str(option), config, marker=False), source=source)


def _name_the_shards_suite(config: pytest.Config) -> None:
    """``--sso-shard 2/4 --junitxml=...``: the suite is ``pytest shard 2/4``, as ``run
    --shard``'s and ``conformance --shard``'s are named for theirs, so CI tells the shards'
    reports apart. A name set in the ini file or with ``-o junit_suite_name=`` is kept."""
    from _pytest.junitxml import xml_key

    shard: Shard | None = _option(config, "sso_shard", None)
    xml = config.stash.get(xml_key, None)
    if shard is None or xml is None:
        return
    name = str(config.getini("junit_suite_name"))
    overrides = getattr(config.option, "override_ini", None) or ()
    if name != DEFAULT_SUITE_NAME or any(
            o.replace(" ", "").startswith("junit_suite_name=") for o in overrides):
        return
    xml.suite_name = f"{name} shard {shard}"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--sso-shard I/N``: keep this shard's tests (after -k and -m have chosen theirs)."""
    shard: Shard | None = _option(config, "sso_shard", None)
    if shard is None:
        return
    kept = shard.select(items, key=lambda item: item.nodeid)
    config.stash[_EMPTY_SHARD] = bool(items) and not kept
    worker_output = getattr(config, "workeroutput", None)  # a pytest-xdist worker's
    if worker_output is not None:
        worker_output[_EMPTY_SHARD_OUTPUT] = config.stash[_EMPTY_SHARD]
    if len(kept) < len(items):
        mine = {id(item) for item in kept}
        config.hook.pytest_deselected(items=[i for i in items if id(i) not in mine])
        items[:] = kept


_EMPTY_SHARD = pytest.StashKey[bool]()
"""The tests were collected, and ``--sso-shard`` left this shard none of them."""
_EMPTY_SHARD_OUTPUT = "sso_harness_empty_shard"
"""The same, as a pytest-xdist worker tells its controller (which collects nothing itself)."""


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """Under pytest-xdist: the controller learns from its workers that the shard is empty, so
    that it passes and says so as a run without workers does."""
    if getattr(node, "workeroutput", {}).get(_EMPTY_SHARD_OUTPUT):
        node.config.stash[_EMPTY_SHARD] = True


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """An empty part of a collection that has tests passes, as ``run --shard``'s does."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and session.config.stash.get(
            _EMPTY_SHARD, False):
        session.exitstatus = pytest.ExitCode.OK


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    if config.stash.get(_EMPTY_SHARD, False):
        terminalreporter.write_line(f"pytest shard {_option(config, 'sso_shard', None)} "
                                    "has no tests")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A scenario a test skips is reported at the test's line, one that fails by its message's
    first lines in the short summary (not its steps and traceback); inside GitHub Actions, what a
    test of this plugin's fixtures prints when it fails (its message, which may quote the app's
    output or a page's text) holds no workflow command."""
    report = yield
    if not report.passed:
        from scenarios.pytest_run import (
            inert_report,
            skip_at_the_test,
            summarise_failure,
            uses_the_plugin,
        )

        skip_at_the_test(item, report)
        summarise_failure(report, call)
        if uses_the_plugin(item):
            inert_report(report)
    return report


def _driver_loop_aside(item: pytest.Item, nextitem: pytest.Item | None = None,
                       *, teardown: bool = False) -> contextlib.AbstractContextManager[None]:
    """Playwright's driver, once a test of the module started it (``sso_playwright``), leaves
    its event loop marked running in this thread until the module ends, and the module's other
    tests could run no event loop of their own (``asyncio.run()``, pytest-asyncio's tests and
    fixtures). A test that does not use the driver gets the mark taken off while it runs; its
    teardown too, unless fixtures of a wider scope, which may hold Playwright's objects, end
    with it."""
    if "sso_playwright" in getattr(item, "fixturenames", ()) or (
            teardown and (nextitem is None or nextitem.parent is not item.parent)):
        return contextlib.nullcontext()
    driver = sys.modules.get("scenarios.playwright_driver")  # not imported: no driver runs
    return contextlib.nullcontext() if driver is None else driver.driver_loop_set_aside()


# The three wrappers below are on the way of every test's exceptions, the project's own too: a
# fixture of its conftest.py that raises would show this module's `return (yield)` as its
# traceback's first entry (pytest cuts a traceback at the test's module, which a conftest
# fixture is not in), as if the plugin had a part in it. __tracebackhide__ leaves them out.
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    __tracebackhide__ = True
    with _driver_loop_aside(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    __tracebackhide__ = True
    with _driver_loop_aside(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None
                            ) -> Generator[None, None, None]:
    __tracebackhide__ = True
    with _driver_loop_aside(item, nextitem, teardown=True):
        return (yield)


def pytest_report_header(config: pytest.Config) -> str | None:
    shard: Shard | None = _option(config, "sso_shard", None)
    return f"sso-harness: shard {shard} of the collected tests" if shard else None


def _option(config: pytest.Config, name: str, default: Any) -> Any:
    """A plugin option; its default when the plugin was registered after the command line
    was parsed (from a conftest), so its options could not be given there."""
    return config.getoption(name, default)


def stack_options_from_marker(node: pytest.Item, base: StackOptions | None = None
                              ) -> StackOptions:
    """``base`` changed by every ``sso_stack_options`` marker on ``node``, outermost first. A
    marker's StackOptions replaces the options so far, but one with no ``app`` keeps the app
    chosen so far (``app=None`` names none: the test's ``sso_app`` marker or ``--sso-app``
    still does)."""
    from scenarios.live import StackOptions

    options = base or StackOptions()
    for mark in reversed(list(node.iter_markers(MARKER))):
        if len(mark.args) > 1 or mark.args and not isinstance(mark.args[0], StackOptions):
            raise pytest.UsageError(
                f"{MARKER}: pass keyword arguments or one StackOptions, not {mark.args!r}")
        if mark.args:
            given: StackOptions = mark.args[0]
            options = given if given.app is not None else replace(given, app=options.app)
        try:
            options = _replace(options, mark.kwargs)
        except TypeError as exc:
            raise pytest.UsageError(f"{MARKER}: {exc}") from None
    if isinstance(options.app, str | Path):
        source = f"{MARKER}(app={str(options.app)!r})"
        app = _profile_path(str(options.app), node.config, marker=True, source=source)
        options = replace(options, app=_checked_profile(app, source=source))
    return options


def _replace(options: StackOptions, changes: Mapping[str, Any]) -> StackOptions:
    """``options`` changed; an option StackOptions does not have is a usage error naming the
    closest it has."""
    known = [f.name for f in fields(options)]
    for name in changes:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            guess = f"did you mean {close[0]!r}? " if close else ""
            raise pytest.UsageError(f"{MARKER}: no option {name!r} ({guess}options: "
                                    f"{', '.join(known)})")
    return replace(options, **changes) if changes else options


# --- the stack --------------------------------------------------------------------------------


class StackFactory(Protocol):
    def __call__(self, options: StackOptions | None = None) -> LiveStack: ...


def chosen_app(node: pytest.Item, config: pytest.Config) -> str | None:
    """The app under test for ``node``, as a profile's path or a shipped profile's name
    (``None``: nothing names one, so the reference relying party): the ``app`` of its
    ``sso_stack_options`` markers, else its closest ``sso_app`` marker, else ``--sso-app``; a
    relative profile path made absolute, as the module docstring says."""
    app = _named_app(node, config)
    if app is None or isinstance(app, str):
        return app
    if app.path is None:
        raise pytest.UsageError(f"{MARKER}: the profile {app.name!r} has no file, which "
                                "sso_run_scenario needs: give app= its path")
    return str(app.path)


def _named_app(node: pytest.Item, config: pytest.Config) -> AppProfile | str | None:
    """What names the app under test of ``node``, in :func:`chosen_app`'s order: the profile
    the ``sso_stack_options`` markers give (checked), or a path or shipped name."""
    marked = stack_options_from_marker(node).app
    if marked is not None:
        return _checked_profile(marked)
    mark = node.get_closest_marker(APP_MARKER)
    if mark is not None:
        if len(mark.args) != 1 or not isinstance(mark.args[0], str | Path) or mark.kwargs:
            raise pytest.UsageError(f"{APP_MARKER}: pass one profile path or name, not "
                                    f"{mark.args!r}")
        return _profile_path(str(mark.args[0]), config, marker=True)
    option = _option(config, "sso_app", None)
    return _profile_path(str(option), config, marker=False) if option else None


def _profile_path(app: str, config: pytest.Config, *, marker: bool,
                  source: str | None = None) -> str:
    """A shipped profile's name or an absolute path as given; a relative path in a marker
    against pytest's rootdir, else the current directory (on the command line the other way
    round): the first where the file exists. A usage error names both when neither has it, and
    the shipped profile's name it is close to, as ``run --app`` does."""
    from scenarios.profiles import resolve as resolve_shipped
    from scenarios.profiles import shipped_hint

    path = Path(app)
    if path.is_absolute() or resolve_shipped(app) != path:
        return app
    rootdir = (config.rootpath, "pytest's rootdir")
    current = (Path.cwd(), "the current directory")
    bases = (rootdir, current) if marker else (current, rootdir)
    for base, _ in bases:
        if (base / path).is_file():
            return str(base / path)
    source = source or (f"{APP_MARKER}({app!r})" if marker else f"--sso-app {app}")
    raise pytest.UsageError(f"{source}: no such profile: a relative path is looked up in "
                            + ", then in ".join(f"{what} ({base})" for base, what in bases)
                            + "; neither has it"
                            + (f", {hint}" if (hint := shipped_hint(path)) else ""))


def _checked_profile(app: AppProfile | str | Path | None, source: str = APP_MARKER
                     ) -> AppProfile:
    """The profile ``app`` names; a profile with problems is a usage error naming each."""
    from scenarios.app import ProfileError
    from scenarios.live import profile_for

    try:
        return profile_for(app)
    except ProfileError as exc:
        from scenarios.github import inert

        raise pytest.UsageError(inert(f"{source}: the profile has problems:\n{exc}")) from None


_WARNED = pytest.StashKey[bool]()
"""The test was given its :class:`ReferenceAppWarning` already."""


def _warn_of_the_reference_app(node: pytest.Item) -> None:
    """:class:`ReferenceAppWarning`, once for ``node``, at the test's own line (pytest's
    ``Item.warn``; a fixture's stack level would name pytest's fixture machinery)."""
    if node.stash.get(_WARNED, False):
        return
    node.stash[_WARNED] = True
    node.warn(ReferenceAppWarning(
        "no --sso-app or sso_app marker names the app under test: this test runs against "
        "the reference relying party, not your app (mark it sso_app(\"reference-rp\") to "
        "mean that)"))


@pytest.fixture
def sso_app_profile(request: pytest.FixtureRequest) -> AppProfile:
    """The profile of the app under test (the ``app`` of ``sso_stack_options``, the
    ``sso_app`` marker, ``--sso-app``; default: the reference relying party, with a
    :class:`ReferenceAppWarning`). A profile with problems is a usage error naming each."""
    app = _named_app(request.node, request.config)
    if app is None:
        _warn_of_the_reference_app(request.node)
    return _checked_profile(app)


@pytest.fixture
def sso_stack_options(request: pytest.FixtureRequest, sso_app_profile: AppProfile
                      ) -> StackOptions:
    """The options of this test's ``sso_stack``: the app under test, changed by
    ``sso_stack_options`` markers."""
    from scenarios.live import StackOptions

    return stack_options_from_marker(request.node, StackOptions(app=sso_app_profile))


@pytest.fixture
def sso_stack_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackFactory]:
    """Start live stacks for this test; all of them stop when it ends."""
    from scenarios.live import live_stack

    with contextlib.ExitStack() as stacks:

        def start(options: StackOptions | None = None) -> LiveStack:
            workdir = tmp_path_factory.mktemp("sso-stack")
            return stacks.enter_context(live_stack(options, workdir=workdir))

        yield start


@pytest.fixture
def sso_stack(sso_stack_factory: StackFactory, sso_stack_options: StackOptions) -> LiveStack:
    """The mock provider and the app under test, wired together, fresh for this test. An app
    that does not start errors the test with what it printed, not a traceback through the
    harness's start-up code (of which the app's fault is the last line)."""
    try:
        return sso_stack_factory(sso_stack_options)
    except AppStartError as exc:
        fault = f"{type(exc).__name__}: {exc}"
    pytest.fail(fault, pytrace=False)  # outside the except: no "During handling of ..." chain


@pytest.fixture
def sso_app(sso_stack: LiveStack) -> ProfileAdapter:
    """The app under test of ``sso_stack``, through its profile's adapter."""
    return sso_stack.app


@pytest.fixture
def relying_party(sso_stack: LiveStack) -> LiveStack:
    """The reference relying party of ``sso_stack`` (``rp_url()``, ``sign_in_url()``, ...)."""
    return sso_stack


@pytest.fixture
def mock_idp(sso_stack: LiveStack) -> Iterator[StackIdp]:
    """The running mock provider of ``sso_stack``, with helpers to arrange the directory."""
    from scenarios.stack_idp import StackIdp

    with StackIdp(sso_stack) as handle:
        yield handle


# --- the browser ------------------------------------------------------------------------------


PYTEST_PLAYWRIGHT = "playwright"
"""pytest-playwright's plugin name (its ``pytest11`` entry point)."""


@pytest.fixture(scope="module")
def sso_playwright(request: pytest.FixtureRequest) -> Iterator[Playwright]:
    """Module-scoped: Playwright's sync API allows one driver per thread, so tests in other
    modules of the same worker that start their own (``sync_playwright()``) are not blocked.
    Inside the module, runs of the scenarios or conformance in-process share this driver
    (``scenarios.playwright_driver``). When the session's tests also use pytest-playwright's
    session driver (its ``playwright`` fixture), that one is shared: a second in the thread
    would fail, as "using Playwright Sync API inside the asyncio loop"."""
    from scenarios.playwright_driver import adopted, playwright_driver

    if request.config.pluginmanager.has_plugin(PYTEST_PLAYWRIGHT) and any(
            "playwright" in getattr(item, "fixturenames", ()) for item in request.session.items):
        with adopted(request.getfixturevalue("playwright")) as playwright:
            yield playwright
        return
    with playwright_driver(loop_may_be_set_aside=True) as playwright:
        yield playwright


@pytest.fixture(scope="module")
def sso_browser(pytestconfig: pytest.Config, sso_playwright: Playwright) -> Iterator[Browser]:
    """One browser per test module (each pytest-xdist worker launches its own)."""
    from scenarios.browser import BrowserUnavailable, launch_or_explain, resolve
    from scenarios.github import inert

    endpoint = _option(pytestconfig, "sso_browser_ws_endpoint", None)
    failure: str | None = None
    try:  # a choice that does not start names itself and the fix, not Playwright's traceback
        browser = launch_or_explain(sso_playwright, resolve(ws_endpoint=endpoint),
                                    headed=_option(pytestconfig, "sso_headed", False))
    except BrowserUnavailable as exc:
        failure = str(exc)
    if failure is not None:  # outside the except: no chained traceback in the report
        pytest.fail(inert(f"sso_browser: {failure}"), pytrace=False)
    yield browser
    with contextlib.suppress(Exception):
        browser.close()


@pytest.fixture(scope="session")
def sso_timeout_ms(pytestconfig: pytest.Config) -> float:
    """Default timeout of ``sso_page`` actions and expectations, in milliseconds."""
    seconds = float(_option(pytestconfig, "sso_timeout", DEFAULT_TIMEOUT_SECONDS))
    return seconds * 1000


@pytest.fixture
def sso_context(request: pytest.FixtureRequest, sso_browser: Browser,
                sso_timeout_ms: float) -> Iterator[BrowserContext]:
    """A fresh browser context (no cookies, no IdP session); it accepts the local CA of a
    provider the test starts on https (:func:`_may_start_https`).
    ``sso_timeout_ms`` is its actions' default timeout, and ``expect(...)``'s during the test."""
    from scenarios.runner import expect_timeout

    context = sso_browser.new_context(viewport={"width": 1280, "height": 800},
                                      ignore_https_errors=_may_start_https(request))
    context.set_default_timeout(sso_timeout_ms)
    with expect_timeout(sso_timeout_ms):
        yield context
    with contextlib.suppress(Exception):
        context.close()


def _may_start_https(request: pytest.FixtureRequest) -> bool:
    """Whether the test may start a provider on https, whose local CA the browser does not
    trust: its ``sso_stack_options`` (a marker, a fixture of its own) ask for https, or it
    calls ``sso_stack_factory`` itself, whose options are known only when it calls it, after
    its context is made. A test that uses the browser alone starts none."""
    from scenarios.live import profile_for

    if "sso_stack_options" in request.fixturenames:
        options: StackOptions = request.getfixturevalue("sso_stack_options")
        if options.idp_https or profile_for(options.app).provider.https:
            return True
    # Only a test that calls the factory itself knows its options after the context is made;
    # through ``sso_stack`` they are the ones above, and certificate errors stay errors.
    return "sso_stack_factory" in _own_arguments(request)


def _own_arguments(request: pytest.FixtureRequest) -> frozenset[str]:
    """The fixtures the test function names in its signature (not those they bring in)."""
    function = getattr(request.node, "function", None)
    if function is None:
        return frozenset()
    return frozenset(inspect.signature(function).parameters)


@pytest.fixture
def sso_page(sso_context: BrowserContext) -> Page:
    """A page in this test's own browser context."""
    return sso_context.new_page()


# --- running registered scenarios -------------------------------------------------------------


@pytest.fixture(scope="session")
def _sso_worker_environments() -> Iterator[Callable[[Registry, str | None], object]]:
    """Each registry's environment for each app, entered once per session (per xdist
    worker)."""
    from scenarios.pytest_run import xdist_worker

    entered: dict[tuple[int, str | None], tuple[Registry, object]] = {}
    with contextlib.ExitStack() as stack:

        def environment(registry: Registry, app: str | None) -> object:
            key = (id(registry), app)
            if key not in entered:
                worker = replace(xdist_worker(), app=app)
                env = stack.enter_context(registry.environment(worker))
                entered[key] = (registry, env)  # keeps the registry (and its id) alive
            return entered[key][1]

        yield environment


@pytest.fixture
def sso_run_scenario(request: pytest.FixtureRequest, sso_browser: Browser, tmp_path: Path,
                     _sso_worker_environments: Callable[[Registry, str | None], object]
                     ) -> ScenarioRunner:
    """Run registered scenarios by id against the app under test (as for ``sso_stack``, or the
    ``app=`` of a run: a relative path found as a marker's); artifacts go to this test's
    ``tmp_path``. A profile with problems is a usage error, as for ``sso_stack``; a run that
    falls back to the reference relying party gives the :class:`ReferenceAppWarning`."""
    from scenarios.pytest_run import ScenarioRunner

    node, config = request.node, request.config
    app = chosen_app(node, config)
    _checked_profile(app)

    def named(given: str) -> str:
        __tracebackhide__ = True
        source = f"sso_run_scenario(app={given!r})"
        try:
            path = _profile_path(given, config, marker=True, source=source)
            _checked_profile(path, source=source)
        except pytest.UsageError as exc:  # the message alone, at the test's line
            raise pytest.UsageError(str(exc)) from None
        return path

    return ScenarioRunner(browser=sso_browser, report_dir=tmp_path / "scenario-report",
                          environments=_sso_worker_environments, app=app, find_app=named,
                          on_reference_app=lambda: _warn_of_the_reference_app(node),
                          on_notes=lambda notes: _warn_of_notes(node, notes))


def _warn_of_notes(node: pytest.Item, notes: tuple[str, ...]) -> None:
    """An :class:`AppNoteWarning` for each note, at the test's own line."""
    from scenarios.github import inert

    for note in notes:
        node.warn(AppNoteWarning(inert(note)))
