"""A scenario run on a stack a test holds names only the people it found with no e-mail address:
the adapter's list starts empty for each scenario, so the pytest plugin does not warn a later
test of the people an earlier one found."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

import scenarios.stack_reset
from scenarios.app.adapter import ProfileAdapter
from scenarios.stack_reset import reset_after


def test_each_scenario_on_a_held_stack_starts_with_no_one_addressless(
        monkeypatch: pytest.MonkeyPatch) -> None:
    resets: list[object] = []
    monkeypatch.setattr(scenarios.stack_reset, "published_keys", lambda http, url: b"keys")
    monkeypatch.setattr(scenarios.stack_reset, "reset_stack",
                        lambda stack, keys: resets.append(stack))
    adapter = ProfileAdapter.__new__(ProfileAdapter)
    adapter.addressless = {"alice@contoso.onmicrosoft.com"}  # an earlier test's scenario
    stack: Any = SimpleNamespace(app=adapter, http=None,
                                 idp=SimpleNamespace(base_url="http://idp"))
    with reset_after(stack) as held:
        assert held.app.addressless == set()
        held.app.addressless.add("bob@contoso.onmicrosoft.com")
    assert adapter.addressless == {"bob@contoso.onmicrosoft.com"}, "kept for the result"
    assert resets == [stack]
