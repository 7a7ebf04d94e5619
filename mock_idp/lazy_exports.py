"""A package's public names imported on first use (PEP 562), so that importing one of its
light modules does not import all of it.

The pytest plugin is loaded by every pytest session of a project that installs the harness;
it reaches :mod:`mock_idp.key_source` and :mod:`scenarios.app.process` at start, and those
packages' ``__init__`` would otherwise import the whole provider and Playwright's API with
them. A package sets, hidden from type checkers (which then take each name from the
``TYPE_CHECKING`` imports, and still flag a misspelt one)::

    if not TYPE_CHECKING:
        __getattr__ = lazy_getattr(__name__, EXPORTS)
        __dir__ = lazy_dir(__name__, EXPORTS)

``EXPORTS`` maps each public name to its module.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from types import ModuleType


def lazy_getattr(package: str, exports: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``. A name of ``exports`` is looked up in the
    module it maps to (relative to ``package``) each time, not kept: a module a test harness
    unloaded (pytest's ``pytester`` restores ``sys.modules`` after an inner run) is imported
    again rather than its old classes handed out. A submodule's name imports it
    (``import mock_idp; mock_idp.config``, which worked while the package imported its
    modules eagerly). Any other name is an :class:`AttributeError`."""

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is not None:
            if importlib.util.resolve_name(module, package) not in sys.modules:
                forget_unloaded(package.partition(".")[0])
            return getattr(importlib.import_module(module, package), name)
        if not name.startswith("__") and _has_submodule(package, name):
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


def _has_submodule(package: str, name: str) -> bool:
    """Whether ``package`` is a package with a submodule ``name`` (a plain module has none)."""
    if not hasattr(sys.modules.get(package), "__path__"):
        return False
    try:
        return importlib.util.find_spec(f"{package}.{name}") is not None
    except (ImportError, ValueError):
        return False


def lazy_dir(package: str, exports: Mapping[str, str]) -> Callable[[], list[str]]:
    """A module ``__dir__`` for ``package`` that lists the names of ``exports`` before they
    are imported."""

    def __dir__() -> list[str]:
        return sorted({*vars(importlib.import_module(package)), *exports})

    return __dir__


def forget_unloaded(root: str) -> None:
    """Drop from the loaded packages under ``root`` the submodules ``sys.modules`` no longer
    holds, before modules of theirs are imported again.

    pytester's in-process runs restore ``sys.modules`` and so forget the modules an inner run
    imported, but a package imported before the run keeps each of them as an attribute (the
    import system sets it). ``from .endpoints import faults`` takes such an attribute rather
    than importing the module again, so the provider was built of forgotten modules (routes
    made with a forgotten ``starlette.routing``) and fresh ones (its router), which match
    nothing of each other: every control call was Starlette's 307 to the path with a ``/``.
    """
    prefix = root + "."
    for name, module in list(sys.modules.items()):
        if name != root and not name.startswith(prefix):
            continue
        for attr, value in list(vars(module).items()):
            if (isinstance(value, ModuleType) and value.__name__ == f"{name}.{attr}"
                    and sys.modules.get(value.__name__) is not value):
                delattr(module, attr)
