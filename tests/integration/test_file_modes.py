"""The home and the SQLite database (with its WAL and shared-memory files) hold users' data
and token hashes: they are readable by their owner only, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from exportd import compose
from exportd.settings import Settings
from exportd.store.database import Database


@pytest.fixture(autouse=True)
def _open_umask() -> Iterator[None]:
    """The usual umask, which leaves new files readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_home_and_its_database_are_private(tmp_path: Path) -> None:
    settings = Settings.load(home=tmp_path / "new" / "home")
    assert mode(settings.home) == 0o700
    runtime = compose.open_runtime(settings)
    try:
        runtime.migrate()
        with runtime.database.read() as connection:  # the WAL and its index exist meanwhile
            connection.execute(text("SELECT count(*) FROM users"))
            files = sorted(settings.home.glob("exportd.sqlite3*"))
            assert [file.name for file in files] == [
                "exportd.sqlite3", "exportd.sqlite3-shm", "exportd.sqlite3-wal",
            ]  # fmt: skip
            assert {file.name: mode(file) for file in files} == {file.name: 0o600 for file in files}
        assert mode(settings.home / "secret_key") == 0o600
    finally:
        runtime.close()


def test_an_existing_database_readable_by_others_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    for name in ("old.sqlite3", "old.sqlite3-wal", "old.sqlite3-shm"):
        (tmp_path / name).touch(mode=0o644)
        (tmp_path / name).chmod(0o644)
    Database(f"sqlite:///{path}").dispose()
    assert [mode(tmp_path / name) for name in ("old.sqlite3", "old.sqlite3-wal",
            "old.sqlite3-shm")] == [0o600] * 3  # fmt: skip
