"""The log of the servers a worker runs in its own process, kept in the report.

The reference relying party and the embedded mock provider run inside each worker. What they
log (the relying party's warning for each sign-in it refuses, say) belongs beside the report,
not among the run's results in the terminal, where Python's last-resort handler would print
it. :func:`captured` sends their records, masked as reports mask text (codes, tokens, secrets),
to ``logs/worker-<n>.log`` under the report directory for as long as the worker runs.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from scenarios.protocol_view.tokens import mask_text

__all__ = ["LOGGERS", "captured", "log_dir", "written"]

LOGGERS = ("relying_party", "mock_idp")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _Masked(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


def log_dir(report_dir: Path) -> Path:
    return report_dir / "logs"


def written(report_dir: Path) -> Path | None:
    """The log directory when a server logged anything in the run, else ``None``."""
    found = log_dir(report_dir)
    if found.is_dir() and any(f.stat().st_size for f in found.glob("worker-*.log")):
        return found
    return None


@contextlib.contextmanager
def captured(report_dir: Path, worker: int) -> Iterator[Path]:
    """Within the block, the servers' records go to the worker's file (created with the first
    record) and no further; the loggers are left as they were after it."""
    path = log_dir(report_dir) / f"worker-{worker + 1}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(_Masked(FORMAT))
    loggers = [logging.getLogger(name) for name in LOGGERS]
    kept = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield path
    finally:
        for logger, propagate in zip(loggers, kept, strict=True):
            logger.removeHandler(handler)
            logger.propagate = propagate
        handler.close()
