"""``--shard I/N``: split a catalogue deterministically so N CI machines each run one part.

The ids are sorted and dealt round-robin: shard ``I`` (counting from 1) takes the ids at
positions ``I-1``, ``I-1+N``, ``I-1+2N``, ... of the sorted list. Every id lands in exactly one
shard, the split depends on nothing but the ids (not on the machine, the order of
registration or ``PYTHONHASHSEED``), and shard sizes differ by at most one. Neighbouring ids
(one group's scenarios) are spread across the shards, so no shard gets all the slow ones of a
group. Within a shard the caller's order is kept.

When the caller knows which items will be skipped (the runner knows it from the app
profile before anything starts), the items that run are dealt first and the skipped ones
after them, the deal going on where it stopped. Each shard then gets its share of the work,
not a share of the ids that may hold only skipped scenarios, and the sizes still differ by at
most one. The split then depends on the ids and on which of them are skipped: every shard of
a CI matrix is given the same profile, so they agree on both.

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

    def ids(self, ids: Iterable[str], *, skipped: Iterable[str] = ()) -> frozenset[str]:
        """The ids of ``ids`` this shard takes; those in ``skipped`` are dealt last."""
        every, later = set(ids), set(skipped)
        ordered = sorted(every - later) + sorted(every & later)
        return frozenset(ordered[self.index - 1 :: self.count])

    def select(self, items: Sequence[T], key: Callable[[T], str], *,
               runs: Callable[[T], bool] | None = None) -> list[T]:
        """The items this shard runs, in their given order; ``key`` gives each one's id,
        ``runs`` (when known) whether it will run rather than be skipped."""
        skipped = () if runs is None else [key(item) for item in items if not runs(item)]
        mine = self.ids((key(item) for item in items), skipped=skipped)
        return [item for item in items if key(item) in mine]


def parse_shard(value: str) -> Shard:
    """``"2/4"`` -> ``Shard(2, 4)``; anything else raises :class:`ShardError`."""
    match = _SHARD_RE.match(value)
    if match is None:
        # no option's name: the command line's is --shard, the pytest plugin's --sso-shard
        raise ShardError(f"expected I/N (e.g. 2/4), got {value!r}")
    return Shard(int(match.group(1)), int(match.group(2)))


def shard_option(value: str) -> Shard:
    """``--shard I/N`` as an argparse ``type``: a bad value is a usage error."""
    try:
        return parse_shard(value)
    except ShardError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
