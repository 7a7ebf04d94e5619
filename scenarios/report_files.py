"""Files in a report directory: written whole or not at all, and deleted only inside it.

A report directory may hold symlinks (a CI cache restored, a ``logs`` linked elsewhere): the
harness deletes nothing reached through one, so what it deletes is always inside the report
directory itself.
"""

from __future__ import annotations

import contextlib
import os
import stat
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["deletable", "files_under", "remove_inside", "write_atomically"]


def write_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """``write(temporary)`` writes the file at a new name beside ``path``, which then replaces
    ``path`` in one step: a reader (or a run stopped half-way) sees the old file or the new
    one, never a part of it; a symlink at ``path`` is replaced, not written through."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return path


def _linked_below(report_dir: Path, path: Path) -> bool:
    """Whether a directory on the way from ``report_dir`` to ``path`` is a symlink (or
    missing, or not a directory)."""
    folder = report_dir
    for part in path.relative_to(report_dir).parts[:-1]:
        folder = folder / part
        try:
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                return True
        except OSError:
            return True
    return False


def deletable(report_dir: Path, path: Path) -> bool:
    """A file (or a symlink, which goes itself) reached from ``report_dir`` through real
    directories only. ``report_dir`` is resolved."""
    try:
        if _linked_below(report_dir, path):
            return False
        if not Path(os.path.realpath(path.parent)).is_relative_to(report_dir):
            return False
        mode = os.lstat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(mode) or stat.S_ISLNK(mode)


def files_under(report_dir: Path, folder: Path) -> list[Path]:
    """The files below ``folder`` inside the resolved ``report_dir``, symlinked directories
    not followed; none when ``folder`` itself is reached through a symlink."""
    if _linked_below(report_dir, folder / "-"):
        return []
    found: list[Path] = []
    for root, _, names in os.walk(folder, followlinks=False):
        found += [Path(root) / name for name in names]
    return sorted(path for path in found if deletable(report_dir, path))


def remove_inside(report_dir: Path, paths: Iterable[Path]) -> None:
    """Delete each of ``paths`` that :func:`deletable` allows, and the directories that
    leaves empty below the top level of ``report_dir`` (resolved)."""
    for path in paths:
        if not deletable(report_dir, path):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
        for folder in path.parents:
            if len(folder.relative_to(report_dir).parts) < 2:
                break
            try:
                folder.rmdir()
            except OSError:
                break
