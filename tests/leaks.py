"""What a block of code leaves open: the files and sockets that Python finds unclosed when it
collects them, and reports as a ``ResourceWarning`` (hidden by the default warning filters).

    with unclosed() as left:
        ...
    assert left == []
"""

from __future__ import annotations

import contextlib
import gc
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def unclosed() -> Iterator[list[str]]:
    """The messages of the ResourceWarnings raised in the block, filled in as it ends (after
    a collection, so objects held only by reference cycles count too). What earlier code left
    for the collector is collected first, and not counted."""
    left: list[str] = []
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        try:
            yield left
        finally:
            gc.collect()
            left.extend(str(w.message) for w in caught if issubclass(w.category, ResourceWarning))
