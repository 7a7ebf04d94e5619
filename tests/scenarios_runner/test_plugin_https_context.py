"""The pytest plugin's browser context takes certificate errors as errors, unless the test may
start a provider on https with a local CA: its options ask for it, or it calls the stack
factory itself (whose options come after the context is made)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from scenarios.live import StackOptions
from scenarios.pytest_plugin import _may_start_https


@dataclass
class _Node:
    function: Any


@dataclass
class _Request:
    function: Any
    options: StackOptions = field(default_factory=StackOptions)
    fixturenames: tuple[str, ...] = (
        "sso_context", "sso_stack", "sso_stack_factory", "sso_stack_options")

    @property
    def node(self) -> _Node:
        return _Node(self.function)

    def getfixturevalue(self, name: str) -> Any:
        assert name == "sso_stack_options"
        return self.options


def _through_the_stack(sso_stack: object, sso_page: object) -> None: ...


def _calling_the_factory(sso_stack_factory: object, sso_page: object) -> None: ...


@pytest.mark.parametrize(("function", "options", "accepted"), [
    (_through_the_stack, StackOptions(), False),
    (_through_the_stack, StackOptions(idp_https=True), True),
    (_calling_the_factory, StackOptions(), True),
])
def test_certificate_errors_are_accepted_only_where_a_local_ca_may_serve(
        function: Any, options: StackOptions, accepted: bool) -> None:
    request: Any = _Request(function, options)
    assert _may_start_https(request) is accepted


def test_a_test_of_the_browser_alone_accepts_no_certificate_error() -> None:
    request: Any = _Request(_through_the_stack, fixturenames=("sso_context", "sso_page"))
    assert _may_start_https(request) is False
