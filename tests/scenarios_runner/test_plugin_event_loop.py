"""The plugin's Playwright driver leaves the module's other tests free to run an event loop."""

from __future__ import annotations

import pytest

INNER_TESTS = '''
import asyncio


def test_starts_the_driver(sso_playwright):
    sso_playwright.request.new_context().dispose()


def test_runs_an_event_loop_of_its_own():
    assert asyncio.run(asyncio.sleep(0, result="ran")) == "ran"


def test_reaches_the_driver_through_the_harness():
    from scenarios.playwright_driver import playwright_driver

    with playwright_driver() as playwright:
        playwright.request.new_context().dispose()


def test_uses_the_driver_again(sso_playwright):
    sso_playwright.request.new_context().dispose()
'''


def test_tests_beside_browser_tests_may_run_an_event_loop(pytester: pytest.Pytester) -> None:
    """Playwright's sync API leaves its loop marked running in the thread while its driver runs
    (microsoft/playwright-pytest #167): a later test of the module calling ``asyncio.run()``, or
    a pytest-asyncio test, failed with "cannot be called from a running event loop". In a
    process of its own, whose main thread runs no driver yet (this one's runs the worker's)."""
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_mixed=INNER_TESTS)
    done = pytester.runpytest_subprocess("-p", "scenarios.pytest_plugin", "-p",
                                         "no:cacheprovider", "-q", "--sso-key-pool", "0")
    out = done.stdout.str() + done.stderr.str()
    assert "4 passed" in out, out


PYTEST_PLAYWRIGHT_LIKE = '''
import pytest
from playwright.sync_api import sync_playwright


class SessionDriver:
    """pytest-playwright's ``playwright`` fixture, under its plugin name."""

    @pytest.fixture(scope="session")
    def playwright(self):
        driver = sync_playwright().start()
        yield driver
        driver.stop()


def pytest_configure(config):
    config.pluginmanager.register(SessionDriver(), "playwright")
'''

BESIDE_PYTEST_PLAYWRIGHT = '''
def test_its_driver_first(playwright, sso_playwright):
    assert sso_playwright is playwright
    sso_playwright.request.new_context().dispose()


def test_the_plugins_alone(sso_playwright):
    sso_playwright.request.new_context().dispose()
'''


def test_beside_pytest_playwright_its_driver_is_the_one(pytester: pytest.Pytester) -> None:
    """pytest-playwright keeps a driver for the session; a second one in the thread failed
    every test using the plugin's browser with "using Playwright Sync API inside the asyncio
    loop"."""
    pytester.makeini("[pytest]\n")
    pytester.makeconftest(PYTEST_PLAYWRIGHT_LIKE)
    pytester.makepyfile(test_beside=BESIDE_PYTEST_PLAYWRIGHT)
    done = pytester.runpytest_subprocess("-p", "scenarios.pytest_plugin", "-p",
                                         "no:cacheprovider", "-q", "--sso-key-pool", "0")
    out = done.stdout.str() + done.stderr.str()
    assert "2 passed" in out, out


def test_beside_pytest_playwright_unused_the_plugins_own_driver_runs(
        pytester: pytest.Pytester) -> None:
    """pytest-playwright installed but none of the session's tests using its driver: the plugin
    starts its own, for the module only, whose other tests may still run an event loop."""
    pytester.makeini("[pytest]\n")
    pytester.makeconftest(PYTEST_PLAYWRIGHT_LIKE)
    pytester.makepyfile(test_own=INNER_TESTS)
    done = pytester.runpytest_subprocess("-p", "scenarios.pytest_plugin", "-p",
                                         "no:cacheprovider", "-q", "--sso-key-pool", "0")
    out = done.stdout.str() + done.stderr.str()
    assert "4 passed" in out, out
