"""The relying party's database holds client secrets, private keys, ID tokens and the key of
its browser tokens: its file and SQLite's files beside it are readable by the owner only,
whatever the umask, and a file made readable by others is narrowed when it is opened."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from relying_party.db import Database


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_022")
def test_a_new_database_and_its_side_files_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "rp.db"
    db = Database(str(path))
    try:
        db.connections.all()
        files = [p for p in tmp_path.iterdir() if p.name.startswith("rp.db")]
        assert {p.name for p in files} >= {"rp.db", "rp.db-wal", "rp.db-shm"}
        assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
    finally:
        db.close()


@pytest.mark.usefixtures("umask_022")
def test_an_existing_database_readable_by_others_is_narrowed_and_logged(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "rp.db"
    Database(str(path)).close()
    os.chmod(path, 0o644)
    wal = tmp_path / "rp.db-wal"
    wal.write_bytes(b"")
    os.chmod(wal, 0o664)
    with caplog.at_level(logging.WARNING, logger="relying_party"):
        db = Database(str(path))
    try:
        assert _mode(path) == 0o600
        assert _mode(wal) == 0o600
    finally:
        db.close()
    narrowed = [r.getMessage() for r in caplog.records if "readable by others" in r.getMessage()]
    assert any(str(path) in m and "0644" in m and "0600" in m for m in narrowed), narrowed


@pytest.mark.usefixtures("umask_022")
def test_a_database_already_owner_only_is_left_as_it_is_without_a_log_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "rp.db"
    Database(str(path)).close()
    with caplog.at_level(logging.WARNING, logger="relying_party"):
        Database(str(path)).close()
    assert _mode(path) == 0o600
    assert not [r for r in caplog.records if "readable by others" in r.getMessage()]


@pytest.mark.usefixtures("umask_022")
def test_a_directory_or_a_file_that_is_no_database_is_refused_with_its_mode_left_alone(
        tmp_path: Path) -> None:
    """``--db`` naming a directory or another file (a typo, ``--db README.md``) fails, and the
    mode of what it named is not narrowed first."""
    folder = tmp_path / "reports"
    folder.mkdir(mode=0o755)
    other = tmp_path / "notes.txt"
    other.write_text("not a database\n")
    os.chmod(other, 0o644)
    with pytest.raises(IsADirectoryError, match="is a directory"):
        Database(str(folder))
    with pytest.raises(sqlite3.DatabaseError, match="not a SQLite database"):
        Database(str(other))
    assert (_mode(folder), _mode(other)) == (0o755, 0o644)
    assert other.read_text() == "not a database\n"


def test_an_empty_existing_file_is_taken_as_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "rp.db"
    path.touch()
    Database(str(path)).close()
    assert path.read_bytes().startswith(b"SQLite format 3\x00")
