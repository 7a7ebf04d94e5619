"""Fixtures for the example apps: the mock provider over https, an app registration for the
example, the example app itself as a subprocess, and a browser context that reaches both."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from example_apps import SERVER_APPS, ExampleApp, ExampleStack, example_stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page


@pytest.fixture(scope="session", params=SERVER_APPS, ids=[a.name for a in SERVER_APPS])
def example(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleStack]:
    """One stack per server-side example app and test process; each test has its own browser
    context, and faults are cleared after it (see ``example_page``)."""
    app: ExampleApp = request.param
    with example_stack(app, tmp_path_factory.mktemp(app.name)) as stack:
        yield stack


@pytest.fixture(params=SERVER_APPS, ids=[a.name for a in SERVER_APPS])
def example_app(request: pytest.FixtureRequest) -> ExampleApp:
    """Each server-side example app, for tests that start their own stack."""
    app: ExampleApp = request.param
    return app


@pytest.fixture
def fresh_example(tmp_path: Path) -> Iterator[Callable[..., ExampleStack]]:
    """Start a stack of one's own (for tests that move the provider's clock)."""
    with contextlib.ExitStack() as stacks:
        def start(app: ExampleApp, **options: Any) -> ExampleStack:
            return stacks.enter_context(example_stack(app, tmp_path, **options))

        yield start


@pytest.fixture
def example_context(sso_browser: Browser, sso_timeout_ms: float) -> Iterator[BrowserContext]:
    """A fresh browser context; the provider's certificate comes from its private test CA."""
    context = sso_browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(max(sso_timeout_ms, 10_000))
    yield context
    with contextlib.suppress(Exception):
        context.close()


@pytest.fixture
def example_page(example_context: BrowserContext, example: ExampleStack) -> Iterator[Page]:
    yield example_context.new_page()
    example.clear_faults()
