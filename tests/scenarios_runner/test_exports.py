from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "scenarios",
        "scenarios.browser",
        "scenarios.context",
        "scenarios.registry",
        "scenarios.report",
        "scenarios.results",
        "scenarios.runner",
        "scenarios.worker",
        "scenarios.conformance",
        "scenarios.doctor.checks",
    ],
)
def test_every_exported_name_exists(module: str) -> None:
    loaded = importlib.import_module(module)
    missing = [name for name in loaded.__all__ if not hasattr(loaded, name)]
    assert missing == []


def test_the_package_exports_what_scenario_authors_use() -> None:
    import scenarios

    assert {"scenario", "ScenarioContext", "Registry", "WorkerInfo"} <= set(scenarios.__all__)
