"""Fixtures for in-process tests of the mock provider, and a browser for its browser tests.

``@pytest.mark.idp_config(IdpConfig(...))`` (or ``@pytest.mark.idp_config(**overrides)`` for
``IdpConfig.default(**overrides)``) picks the configuration ``idp_app`` is built from;
``@pytest.mark.idp_config.with_args(function)`` calls a function that returns one when the test
runs (for a configuration too dear to build at import).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from asgi_client import AppClient
from starlette.applications import Starlette

from mock_idp import create_app
from mock_idp.clock import MockClock
from mock_idp.config import IdpConfig

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture
def idp_config(request: pytest.FixtureRequest) -> IdpConfig:
    marker = request.node.get_closest_marker("idp_config")
    if marker is None:
        return IdpConfig.default()
    if marker.args:
        config = marker.args[0]
        if callable(config):
            config = config()
        assert isinstance(config, IdpConfig), ("idp_config takes an IdpConfig, a function that "
                                               "returns one, or keyword overrides")
        return config
    return IdpConfig.default(**marker.kwargs)


@pytest.fixture
def idp_app(idp_config: IdpConfig) -> Starlette:
    return create_app(idp_config)


@pytest.fixture
def client(idp_app: Starlette) -> Iterator[AppClient]:
    with AppClient(idp_app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def clock(idp_app: Starlette) -> MockClock:
    value = idp_app.state.idp.clock
    assert isinstance(value, MockClock)
    return value


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context, closed after the test."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
