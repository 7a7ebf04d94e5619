"""Benchmarks: the mock provider's speed beside other mock providers and the signing floor.

``python -m bench`` (``make bench``) runs every measurement and prints one table; ``--quick``
shortens every run and ``--only login,floor`` picks measurements. Nothing here runs under
``make test``. Every figure carries the 1-minute load average taken next to it, because the
numbers mean little on a busy machine.
"""

from __future__ import annotations

__all__: list[str] = []
