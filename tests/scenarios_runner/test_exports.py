from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "mock_idp",
        "mock_idp.keys",
        "scenarios",
        "scenarios.app",
        "scenarios.pytest_plugin",
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


@pytest.mark.parametrize("module", ["mock_idp", "scenarios", "scenarios.app",
                                    "scenarios.pytest_plugin"])
def test_a_name_the_package_does_not_export_is_an_attribute_error(module: str) -> None:
    loaded = importlib.import_module(module)
    with pytest.raises(AttributeError, match=f"module '{module}' has no attribute 'nothing'"):
        loaded.nothing  # noqa: B018


def test_the_packages_list_their_lazy_names() -> None:
    import mock_idp
    import scenarios.app

    assert {"MockIdp", "create_app", "IdpConfig"} <= set(dir(mock_idp))
    assert {"AppProfile", "load_profile"} <= set(dir(scenarios.app))
