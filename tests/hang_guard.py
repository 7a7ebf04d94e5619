"""A test that runs longer than ``hang_timeout`` seconds (the ini option; 0: no limit) has
every thread's stack dumped to stderr and its process ended, so a test that hangs (a
Playwright ``close()`` has no timeout of its own) fails the run instead of holding it until
CI gives up. Under pytest-xdist the worker that ran it is reported as crashed in that test,
and a new worker goes on with the rest; without it, the session ends there.

Loaded by ``tests/conftest.py``; pytest's own ``faulthandler_timeout`` only dumps the stacks
and lets the hang go on.
"""

from __future__ import annotations

import faulthandler
import os
import sys
from collections.abc import Iterator

import pytest

DEFAULT_HANG_TIMEOUT = "600"
stderr_key = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("hang_timeout", "seconds a test may run before its process is ended with "
                  "every thread's stack dumped (0: no limit)", default=DEFAULT_HANG_TIMEOUT)


def pytest_configure(config: pytest.Config) -> None:
    # The real stderr, kept now: while a test runs, pytest's capture has replaced it.
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a stream with no descriptor of its own
        fd = 2
    config.stash[stderr_key] = os.dup(fd)


def pytest_unconfigure(config: pytest.Config) -> None:
    os.close(config.stash[stderr_key])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    limit = float(item.config.getini("hang_timeout"))
    if limit > 0:
        faulthandler.dump_traceback_later(limit, exit=True, file=item.config.stash[stderr_key])
    try:
        yield
    finally:
        if limit > 0:
            faulthandler.cancel_dump_traceback_later()
