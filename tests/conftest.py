"""Shared fixtures: a migrated store on SQLite and on PostgreSQL over a real connection.

PostgreSQL tests use a fresh schema each, dropped afterwards. They skip when no server
answers, except under CI (`CI=true`), where a missing server is a failure.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from starlette.types import ASGIApp, Receive, Scope, Send

from exportd import compose
from exportd.api import create_app
from exportd.jobs import WorkerPool
from exportd.jobs.handlers import HANDLERS
from exportd.runtime import Runtime
from exportd.settings import Settings
from exportd.store import migrate
from exportd.store.database import Database

POSTGRES_URL = os.environ.get(
    "EXPORTD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_schema() -> Iterator[str]:
    """Create a throwaway schema and yield a URL whose connections use it."""
    admin = create_engine(POSTGRES_URL)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # no server here
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI and did not answer: {error}")
        pytest.skip(f"PostgreSQL not available: {error}")
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, made once and copied for each test (migrating takes longer)."""
    path = tmp_path_factory.mktemp("template") / "exportd.sqlite3"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    database.dispose()  # the last connection to close folds the WAL into the file
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A database on each backend, at the newest migration, with no data."""
    if request.param == "sqlite":
        path = tmp_path / "exportd.sqlite3"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
    else:
        yield from _postgres_schema()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """No wait between a failed attempt and its retry: tests that want one set it."""
    return Settings.load(home=tmp_path / "home", database_url=database_url, retry_delay=0)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """A migrated store with the system clock."""
    runtime = compose.open_runtime(settings)
    runtime.migrate()
    yield runtime
    runtime.close()


class _CurrentApp:
    """The app of the store the current test uses, built by `LiveServer.use()`; the server
    itself, started once per session, has no store of its own and nothing to start."""

    def __init__(self) -> None:
        self.serving: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert self.serving is not None, "LiveServer.use() a runtime first"
        await self.serving(scope, receive, send)


class LiveServer:
    """exportd's app served by uvicorn on a free loopback port, in a background thread.

    One server serves the whole session; each test points it at its own store (`use`),
    which saves a server start and stop per test.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        """`settings` (their defaults when None) configure the server: its timeouts."""
        import uvicorn

        from exportd.api.server import server_config

        self.app = _CurrentApp()
        config = server_config(
            self.app, settings or Settings(), host="127.0.0.1", port=0, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def use(self, runtime: Runtime) -> LiveServer:
        """Serve `runtime`'s store; the links it hands out point at this server."""
        runtime.settings = runtime.settings.model_copy(update={"public_url": self.url})
        self.app.serving = create_app(runtime)
        return self

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    @property
    def url(self) -> str:
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def api(self) -> str:
        return f"{self.url}/api/1.0"

    def sdk(self, token: str) -> Any:
        """An official Asana SDK client for this server, unchanged but for its host."""
        import asana

        configuration = asana.Configuration()
        configuration.host = self.api
        configuration.access_token = token
        return asana.ApiClient(configuration)


@pytest.fixture(scope="session")
def _session_server() -> Iterator[LiveServer]:
    with LiveServer() as server:
        yield server


@pytest.fixture
def live_server(_session_server: LiveServer, runtime: Runtime) -> LiveServer:
    """The API over real HTTP on loopback, backed by the test's store."""
    return _session_server.use(runtime)


@pytest.fixture
def workers(runtime: Runtime) -> Iterator[WorkerPool]:
    """One embedded export worker on the test's store, woken as soon as a job is created."""
    pool = WorkerPool(runtime, HANDLERS, workers=1, poll_interval=0.05)
    pool.start()
    yield pool
    pool.stop(timeout=10)
