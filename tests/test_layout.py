"""The shape of the code base: small modules, and two apps that stand alone.

- A module in ``mock_idp``, ``relying_party`` or ``scenarios`` longer than :data:`MAX_LINES`
  says why at its top: a line of its docstring starting with ``Long because:``.
- ``relying_party`` never imports ``mock_idp`` and ``mock_idp`` never imports ``relying_party``
  (the RP is what integrators copy; the mock must stay a stand-in for any provider), neither
  directly nor through another module, and neither imports the ``scenarios`` that drive them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mock_idp", "relying_party", "scenarios")
MAX_LINES = 400
REASON = "Long because:"
# Each app, and the packages it must not import.
SEPARATE = {"relying_party": ("mock_idp", "scenarios"), "mock_idp": ("relying_party", "scenarios")}


def modules(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def long_without_reason(source: str, limit: int = MAX_LINES) -> bool:
    """Longer than ``limit`` lines and no docstring line starting with :data:`REASON`."""
    if len(source.splitlines()) <= limit:
        return False
    docstring = ast.get_docstring(ast.parse(source)) or ""
    return not any(line.strip().startswith(REASON) for line in docstring.splitlines())


def imported_packages(source: str) -> set[str]:
    """Top-level packages a module imports anywhere in it (functions and ``TYPE_CHECKING``
    blocks included), also through ``importlib.import_module("...")``; relative imports stay
    inside the package and are left out."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"
                   or isinstance(node.func, ast.Name)
                   and node.func.id in ("import_module", "__import__"))):
            found.add(node.args[0].value.split(".")[0])
    return found


# -- the rules over the code base ---------------------------------------------------------------


def test_every_long_module_says_why_at_its_top() -> None:
    offenders = []
    for package in PACKAGES:
        for path in modules(package):
            source = path.read_text(encoding="utf-8")
            if long_without_reason(source):
                offenders.append(f"{path.relative_to(ROOT)} ({len(source.splitlines())} lines)")
    assert offenders == [], (
        f"over {MAX_LINES} lines: {', '.join(offenders)}. Split each by concern, or start a line "
        f"of its module docstring with {REASON!r} and the reason.")


@pytest.mark.parametrize("package", sorted(SEPARATE))
def test_the_apps_do_not_import_each_other(package: str) -> None:
    forbidden = set(SEPARATE[package])
    offenders = {}
    for path in modules(package):
        wrong = imported_packages(path.read_text(encoding="utf-8")) & forbidden
        if wrong:
            offenders[str(path.relative_to(ROOT))] = sorted(wrong)
    assert offenders == {}


@pytest.mark.parametrize("package", sorted(SEPARATE))
def test_importing_every_module_of_an_app_loads_nothing_of_the_other(package: str) -> None:
    """Catches an import through a third module, which reading one module cannot."""
    script = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        import {package} as root
        for info in pkgutil.walk_packages(root.__path__, prefix="{package}."):
            importlib.import_module(info.name)
        print(" ".join(sorted({{name.split(".")[0] for name in sys.modules}})))
    """)
    loaded = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True).stdout.split()
    assert package in loaded
    assert sorted(set(loaded) & set(SEPARATE[package])) == []


# -- the checks themselves ----------------------------------------------------------------------


def test_a_long_module_needs_a_reason_and_a_short_one_does_not() -> None:
    body = "x = 1\n" * 10
    assert long_without_reason('"""Short."""\n' + body, limit=5)
    assert not long_without_reason(
        '"""Many rules.\n\nLong because: one table read top to bottom.\n"""\n' + body, limit=5)
    assert long_without_reason('"""Says long because: lower case, mid-line."""\n' + body, limit=5)
    assert not long_without_reason('"""Short."""\n' + body, limit=20)
    assert long_without_reason(f"# {REASON} a comment is not the docstring\n" + body, limit=5)


def test_imports_are_found_wherever_they_are_written() -> None:
    source = textwrap.dedent("""
        from __future__ import annotations
        import os.path
        from typing import TYPE_CHECKING
        from . import sibling
        from .sub import thing
        if TYPE_CHECKING:
            from mock_idp.config import IdpConfig
        def later():
            import relying_party.app
            importlib.import_module("scenarios.live")
            return __import__("jwt")
    """)
    assert imported_packages(source) == {
        "__future__", "os", "typing", "mock_idp", "relying_party", "scenarios", "jwt"}
