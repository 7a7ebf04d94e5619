"""The log of the servers a worker runs in its own process, kept in the report.

The reference relying party and the embedded mock provider run inside each worker. What they
log (the relying party's warning for each sign-in it refuses, say) belongs beside the report,
not among the run's results in the terminal, where Python's last-resort handler would print
it. :func:`captured` sends their records, masked as reports mask text (codes, tokens, secrets,
by name and by the values the run knows: :mod:`scenarios.protocol_view.known`), to
``logs/worker-<n>.log`` under the report directory for as long as the worker runs (``n``: the
worker's number, as the terminal's ``[worker n]`` and the reports' ``worker`` show it).

An app the profile starts as a command prints to its own output instead (a traceback behind
an "HTTP 500", say). For each scenario that did not pass, :func:`keep_app_output` keeps what
it printed, masked the same way, in ``logs/app-<scenario id>.log``, linked from the scenario
in the report; for an app that never started, :func:`keep_printed` keeps what it printed
before it gave up. An app whose command exited while a scenario ran is named first in the
scenario's message (its exit code, or the signal that ended it), with its last lines
(:func:`exited_during`); the scenario ends as the app exits (:mod:`scenarios.app_exit`).

Both files are plain text a browser shows as it is (the report links them): each text is kept
by :func:`kept_text`, which takes out a terminal's colours and cursor moves
(:mod:`scenarios.terminal_codes`; the text stays), masks it, and escapes any other control
character as ``results.json`` and the JUnit XML do (``\\x07``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from scenarios.app.process import OUTPUT_TAIL_LINES, exit_description, with_output
from scenarios.protocol_view.tokens import mask_text, printable, value_mask
from scenarios.terminal_codes import without_sequences

__all__ = ["APP_OUTPUT_LINES", "LOGGERS", "AppOutput", "AppProcessState", "captured",
           "exited_during", "keep_app_output", "keep_printed", "kept_text", "log_dir",
           "written"]

LOGGERS = ("relying_party", "mock_idp")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
APP_OUTPUT_LINES = 5000
"""How much of a started app's output a scenario keeps: its last lines."""


@runtime_checkable
class AppOutput(Protocol):
    """A scenario's environment whose app under test prints to an output of its own (a
    :class:`~scenarios.live.LiveStack`)."""

    def app_output(self, lines: int) -> str:
        """The last ``lines`` lines the app printed; ``""`` for an app that prints nowhere
        the harness reads (one served in-process logs to the worker's file)."""
        ...


@runtime_checkable
class AppProcessState(AppOutput, Protocol):
    """A scenario's environment whose app the harness started as a command (a
    :class:`~scenarios.live.LiveStack`)."""

    def app_exit_code(self) -> int | None:
        """The command's exit code once it has exited; ``None`` while it runs (or for an
        app the harness did not start)."""
        ...


def exited_during(env: object) -> str | None:
    """When the app's command has exited, the news of it and what the app printed last, to
    put before the scenario's failure (a page that never loaded, a timeout), which would not
    say why; else ``None``. Read while the scenario's environment stands: its teardown stops
    the app, which then looks exited too."""
    if not isinstance(env, AppProcessState) or (code := env.app_exit_code()) is None:
        return None
    return with_output(f"the app's process {exit_description(code)} during the scenario",
                       env.app_output(OUTPUT_TAIL_LINES))


Secrets = Iterable[str] | Mapping[str, str]
"""Values to mask wherever they stand (a mapping: with what each is shown as)."""


def kept_text(text: str, hide: Callable[[str], str] = str) -> str:
    """``text`` as a log file keeps it: without a terminal's control sequences (before
    masking: a colour between a name and its value hides the pair from it), masked by name and
    by ``hide`` (a :func:`~scenarios.protocol_view.tokens.value_mask`), and with any other
    control character escaped (:func:`~scenarios.protocol_view.tokens.printable`)."""
    return printable(hide(mask_text(without_sequences(text))))


class _Masked(logging.Formatter):
    def __init__(self, fmt: str, secrets: Callable[[], Mapping[str, str]]) -> None:
        super().__init__(fmt)
        self.secrets = secrets
        self._known: Mapping[str, str] = {}
        self._hide = value_mask(self._known)

    def format(self, record: logging.LogRecord) -> str:
        known = self.secrets()
        if known != self._known:
            self._known, self._hide = known, value_mask(known)
        return kept_text(super().format(record), self._hide)


def log_dir(report_dir: Path) -> Path:
    return report_dir / "logs"


def written(report_dir: Path) -> Path | None:
    """The log directory when a server or an app logged anything in the run (in the files
    the harness names: ``worker-<n>.log``, ``app-<id>.log``), else ``None``."""
    found = log_dir(report_dir)
    if found.is_dir() and any(f.stat().st_size for pattern in ("worker-*.log", "app-*.log")
                              for f in found.glob(pattern)):
        return found
    return None


def keep_app_output(env: object, report_dir: Path, scenario_id: str, secrets: Secrets = ()
                    ) -> str | None:
    """Write what the app under test printed, masked (``secrets`` too, wherever they stand),
    to ``logs/app-<scenario_id>.log``; the file's path relative to ``report_dir``, or ``None``
    when ``env`` has no such output or the app printed nothing."""
    if not isinstance(env, AppOutput):
        return None
    return keep_printed(env.app_output(APP_OUTPUT_LINES), report_dir, scenario_id, secrets)


def keep_printed(text: str, report_dir: Path, scenario_id: str, secrets: Secrets = ()
                 ) -> str | None:
    """:func:`keep_app_output` for ``text``, what an app printed (during a conformance row, or
    before it failed to start); ``None`` when it is blank."""
    if not text.strip():
        return None
    path = log_dir(report_dir) / f"app-{scenario_id}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = kept_text(text, value_mask(secrets))
    path.write_text(kept.rstrip("\n") + "\n", encoding="utf-8")
    return path.relative_to(report_dir).as_posix()


@contextlib.contextmanager
def _only_to(handler: logging.Handler) -> Iterator[None]:
    """Within the block, the servers' records go to ``handler`` and no further; the loggers
    are left as they were after it."""
    loggers = [logging.getLogger(name) for name in LOGGERS]
    kept = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield
    finally:
        for logger, propagate in zip(loggers, kept, strict=True):
            logger.removeHandler(handler)
            logger.propagate = propagate


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Within the block, the servers' records go nowhere (``app check`` probes the app with
    requests it expects refused, and prints its own findings)."""
    with _only_to(logging.NullHandler()):
        yield


@contextlib.contextmanager
def captured(report_dir: Path, worker: int, secrets: Callable[[], Mapping[str, str]] = dict
             ) -> Iterator[Path]:
    """Within the block, the servers' records go to the worker's file (created with the first
    record) and no further, masked, with the values ``secrets()`` gives as each is written."""
    path = log_dir(report_dir) / f"worker-{worker}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(_Masked(FORMAT, secrets))
    try:
        with _only_to(handler):
            yield path
    finally:
        handler.close()
