"""A worker process that ignores SIGTERM, for the tests of stopping one.

It lives apart from the tests so that the process, spawned, imports this small module and
nothing else of theirs: a spawned process imports the module its target comes from, and a
test module's imports (the runner, the command line) cost about half a second of CPU more.
"""

from __future__ import annotations

import signal
import time
from multiprocessing.synchronize import Event


def ignore_sigterm(deaf: Event) -> None:
    """Ignore SIGTERM, say so through ``deaf``, then wait to be killed."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    deaf.set()
    time.sleep(600)
