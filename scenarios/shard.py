"""``--shard I/N``: split a catalogue deterministically so N CI machines each run one part.

The ids are sorted and dealt round-robin: shard ``I`` (counting from 1) takes the ids at
positions ``I-1``, ``I-1+N``, ``I-1+2N``, ... of the sorted list. Every id lands in exactly one
shard, the split depends on nothing but the ids (not on the machine, the order of
registration or ``PYTHONHASHSEED``), and shard sizes differ by at most one. Neighbouring ids
(one group's scenarios) are spread across the shards, so no shard gets all the slow ones of a
group. Within a shard the caller's order is kept.

The scenario runner (``python -m scenarios run --shard``), ``conformance --shard`` and the
pytest plugin (``--sso-shard``) all split with :meth:`Shard.select`.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Shard", "ShardError", "parse_shard", "shard_option"]

T = TypeVar("T")

_SHARD_RE = re.compile(r"^\s*(\d{1,6})\s*/\s*(\d{1,6})\s*$")


class ShardError(ValueError):
    """A ``--shard`` value that is not ``I/N`` with ``1 <= I <= N``."""


@dataclass(frozen=True)
class Shard:
    """Part ``index`` (from 1) of ``count``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise ShardError(f"shard {self.index}/{self.count}: need 1 <= I <= N")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def ids(self, ids: Iterable[str]) -> frozenset[str]:
        """The ids of ``ids`` this shard takes."""
        ordered = sorted(set(ids))
        return frozenset(ordered[self.index - 1 :: self.count])

    def select(self, items: Sequence[T], key: Callable[[T], str]) -> list[T]:
        """The items this shard runs, in their given order; ``key`` gives each one's id."""
        mine = self.ids(key(item) for item in items)
        return [item for item in items if key(item) in mine]


def parse_shard(value: str) -> Shard:
    """``"2/4"`` -> ``Shard(2, 4)``; anything else raises :class:`ShardError`."""
    match = _SHARD_RE.match(value)
    if match is None:
        raise ShardError(f"--shard {value!r}: expected I/N, e.g. 2/4")
    return Shard(int(match.group(1)), int(match.group(2)))


def shard_option(value: str) -> Shard:
    """``--shard I/N`` as an argparse ``type``: a bad value is a usage error."""
    try:
        return parse_shard(value)
    except ShardError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
