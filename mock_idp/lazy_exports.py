"""A package's public names imported on first use (PEP 562), so that importing one of its
light modules does not import all of it.

The pytest plugin is loaded by every pytest session of a project that installs the harness;
it reaches :mod:`mock_idp.key_source` and :mod:`scenarios.app.process` at start, and those
packages' ``__init__`` would otherwise import the whole provider and Playwright's API with
them. A package sets ``__getattr__ = lazy_getattr(__name__, EXPORTS)`` and
``__dir__ = lazy_dir(__name__, EXPORTS)``, ``EXPORTS`` mapping each name to its module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_getattr(package: str, exports: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: each name of ``exports`` is taken from the
    module it maps to (relative to ``package``) when first asked for, then kept in the
    package's namespace; any other name is an :class:`AttributeError`."""

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(importlib.import_module(package), name, value)
        return value

    return __getattr__


def lazy_dir(package: str, exports: Mapping[str, str]) -> Callable[[], list[str]]:
    """A module ``__dir__`` for ``package`` that lists the names of ``exports`` before they
    are imported."""

    def __dir__() -> list[str]:
        return sorted({*vars(importlib.import_module(package)), *exports})

    return __dir__
