"""The README's names for annotating the plugin's fixtures are importable from the modules it
names and are the types the fixtures are declared to give."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

from scenarios import pytest_plugin

README = Path(__file__).parents[2] / "README.md"
ANNOTATED = re.compile(r"`(\w+): (\w+)`(?:\s\(from\s`([\w.]+)`\))?")


def test_each_fixture_annotation_in_the_readme_imports_and_matches_the_fixture() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("For a type checker (the three packages ship `py.typed`)")
    paragraph = text[start:text.index("\n\n", start)]
    found = ANNOTATED.findall(paragraph)
    assert len(found) == 7, found
    module = "scenarios.pytest_plugin"
    for fixture, type_name, named_module in reversed(found):
        if fixture == "sso_page":
            continue
        module = named_module or module
        assert hasattr(importlib.import_module(module), type_name), (module, type_name)
        declared = getattr(pytest_plugin, fixture)
        unwrap = getattr(declared, "_get_wrapped_function", None)
        function = unwrap() if unwrap is not None else declared
        returns = str(inspect.signature(function).return_annotation)
        assert type_name in returns, (fixture, returns)
