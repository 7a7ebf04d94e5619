"""The ids a selection that matched nothing may have meant, for ``--only``'s "did you mean".

``run --only`` names scenarios (``failure.nonce-mismatch``: a group, a dot, a name) and
``conformance --only`` names rows (``rp-nonce-invalid``); both answer a pattern that matches no
id with the ids closest to it (:func:`did_you_mean`): the ids whose name after the group is the
pattern (``nonce-mismatch``), or matches it as a glob; then the ids that start with it, whole or
after the group (``rp-nonce``, ``failure.nonce``); then ids a typo away (``difflib``). Case is
ignored in the comparison (the selection itself is exact).
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable, Sequence

__all__ = ["LIMIT", "close_ids", "did_you_mean"]

LIMIT = 3
"""At most this many ids are suggested for a pattern."""


def _name(scenario_id: str) -> str:
    """The part after the group (``nonce-mismatch`` of ``failure.nonce-mismatch``); an id
    without a group is its own name."""
    return scenario_id.partition(".")[2] or scenario_id


def close_ids(pattern: str, ids: Sequence[str], limit: int = LIMIT) -> list[str]:
    """The ids ``pattern`` most likely meant, best first (see the module's text)."""
    wanted = pattern.strip().lower()
    if not wanted:
        return []
    folded = {i: i.lower() for i in ids}
    named = [i for i, low in folded.items() if fnmatch.fnmatchcase(_name(low), wanted)]
    started = [i for i, low in folded.items()
               if low.startswith(wanted) or _name(low).startswith(wanted)]
    by_low = {low: i for i, low in folded.items()}
    typos = [by_low[low] for low in difflib.get_close_matches(wanted, list(by_low), limit, 0.8)]
    return list(dict.fromkeys([*named, *started, *typos]))[:limit]


def did_you_mean(patterns: Iterable[str], ids: Sequence[str]) -> str:
    """`` (did you mean 'a', 'b'?)`` for the patterns that matched nothing, each id once; ``""``
    when none is close."""
    close = dict.fromkeys(i for p in patterns for i in close_ids(p, ids))
    return f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
