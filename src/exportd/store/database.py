"""One `Database` per process: the engine, and units of work that read or write.

`write()` commits when its block ends and rolls back on any exception, so a failed request
or import changes nothing. On SQLite, writes start with `BEGIN IMMEDIATE` (they queue for
the single writer lock instead of failing halfway through), and WAL journaling lets
readers — a long export — run without ever blocking writers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from exportd.errors import ExportdError, clip

_WRITE = "exportd_write"
SQLITE_BUSY_TIMEOUT_MS = 30_000
URL_FORMS = "sqlite:///path or postgresql://user@host/db"
PRIVATE_FILE = 0o600


class DatabaseUnavailable(ExportdError):
    """The database cannot be used: a bad URL, a missing driver, or no connection (503).

    The message names the database with its password hidden, and the cause.
    """

    status = 503


class Database:
    """The process's connection pool and its two kinds of unit of work."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        parsed = _parse(url)
        self.shown_url = parsed.render_as_string(hide_password=True)
        if self.is_sqlite:
            engine_options.setdefault("connect_args", {"check_same_thread": False})
            _prepare_sqlite_file(parsed, self.shown_url)
        else:
            engine_options.setdefault("pool_pre_ping", True)
        try:
            self.engine: Engine = create_engine(parsed, **engine_options)
        except (ArgumentError, ImportError) as error:  # an unknown dialect or a missing driver
            raise DatabaseUnavailable(
                f"database {self.shown_url}: cannot be used ({_cause(error)}); "
                f"exportd works with {URL_FORMS}"
            ) from error
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._writer = self.engine.execution_options(**{_WRITE: True})

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading; its transaction is rolled back when the block ends."""
        with self._connect(self.engine) as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits when the block ends, or rolls back on an exception."""
        with self._connect(self._writer) as connection, connection.begin():
            yield connection

    def _connect(self, engine: Engine) -> Connection:
        """A pooled connection; failing to get one names the database and the cause."""
        try:
            return engine.connect()
        except DBAPIError as error:
            raise DatabaseUnavailable(
                f"database {self.shown_url}: cannot connect ({_cause(error)})"
            ) from error

    def dispose(self) -> None:
        self.engine.dispose()


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(
            f"database URL '{clip(url)}' is not a database URL ({URL_FORMS})"
        ) from None


def _prepare_sqlite_file(url: URL, shown: str) -> None:
    """Make the SQLite file readable by its owner only, before SQLite opens it.

    It holds users' data and token hashes. SQLite gives its `-wal` and `-shm` files the
    database file's mode, so a new file is created 0600 here; an existing one (and its
    `-wal` and `-shm`) loses any group and other permissions. SQLite itself would say only
    "unable to open database file" for a missing folder, so that is checked here too.
    """
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        return
    path = Path(url.database).expanduser().absolute()
    if not path.parent.is_dir():
        raise DatabaseUnavailable(f"database {shown}: the folder {path.parent} does not exist")
    try:
        os.close(os.open(path, os.O_CREAT | os.O_RDONLY, PRIVATE_FILE))  # creates, if missing
    except OSError as error:
        raise DatabaseUnavailable(
            f"database {shown}: cannot open {path} ({error.strerror})"
        ) from error
    for file in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        with suppress(FileNotFoundError, PermissionError):  # not there, or not ours to change
            if file.stat().st_mode & 0o077:
                file.chmod(PRIVATE_FILE)


def _cause(error: BaseException) -> str:
    """The driver's own words, on one line."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    return " ".join(str(cause).split()) or type(cause).__name__


def _configure_sqlite(engine: Engine) -> None:
    """Pragmas on every new connection, and explicit BEGINs (pysqlite's own are unreliable)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode = WAL",
            "synchronous = NORMAL",
            "foreign_keys = ON",
            f"busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
