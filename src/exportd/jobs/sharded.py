"""One large task export run as shards in parallel processes, joined into one file.

The worker that claimed the job coordinates: it plans the shards (`exports.shards`) and
starts one process per shard. Every shard reads the snapshot the plan was made on, so the
joined file is exactly what an unsplit export would have written. On PostgreSQL the
coordinator exports its snapshot and each shard imports it (`SET TRANSACTION SNAPSHOT`).
SQLite has no such thing, so the coordinator holds the write lock while the shards open
their read transactions: for those few milliseconds writers wait (they queue, they do not
fail), and every reader sees the same last commit. Each shard publishes a gzip file of its
own under a temporary key; storage joins them in order (`Storage.compose`: gzip members
concatenate into one valid gzip file) and the shard files are deleted.

Processes rather than threads, because the work is Python (shaping objects) and threads
would share one core; spawned rather than forked, because the worker has threads.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from multiprocessing.connection import Connection as Pipe
from multiprocessing.connection import wait
from multiprocessing.synchronize import Event
from typing import Any, cast

from sqlalchemy import Connection

from exportd.domain.resource_exports import ResourceExportRequest
from exportd.errors import ExportdError
from exportd.exports.context import Export
from exportd.exports.reader import snapshot
from exportd.exports.resource import resource_export_chunks
from exportd.exports.shards import Shard, plan
from exportd.jobs.context import JobCancelled, JobContext, JobOutcome
from exportd.jobs.streaming import publish_chunks
from exportd.observability import logs
from exportd.settings import Settings
from exportd.storage import Storage, open_storage
from exportd.store.database import Database
from exportd.store.export_reads import arrow_snapshot

log = logging.getLogger("exportd.jobs.sharded")

READY_TIMEOUT = 120.0
"""Seconds shard processes get to start, and then to open their snapshot."""
_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f-]+")

Order = tuple[str | None, Shard, str] | None
"""What a shard process is told: (snapshot to import, its slices, its key), or to leave."""


class ShardFailed(ExportdError):
    """A shard process failed or vanished; the attempt fails and is retried whole."""


def export_resources(
    context: JobContext, key: str, request: ResourceExportRequest, most: int
) -> JobOutcome | None:
    """Export `request` to `key` in up to `most` shards; None when it is too small to split
    (or the store is an in-memory database, which other processes cannot open)."""
    runtime, job = context.runtime, context.job
    database = runtime.database
    if database.is_sqlite and (":memory:" in database.url or database.url == "sqlite://"):
        return None
    least = runtime.settings.export_shard_min_tasks
    with snapshot(database) as connection:  # a first look, to start processes only if needed
        expected = len(plan(Export.open(connection, job.workspace_gid), request, most, least))
    if expected < 2:
        return None
    stem = key.removesuffix(".jsonl.gz")
    keys = [f"{stem}.shard-{number}.jsonl.gz" for number in range(expected)]
    try:
        with _ShardProcesses(runtime.settings, job.workspace_gid, job.parameters, expected) as run:
            run.wait_until_started()  # before the lock: starting Python takes a while
            with _writes_paused(database), snapshot(database) as connection:
                export = Export.open(connection, job.workspace_gid)
                shards = plan(export, request, expected, least)  # on the shared snapshot
                if len(shards) < 2:
                    return None
                snapshot_id = _exported_snapshot(connection)
                run.start(
                    [(snapshot_id, shard, key) for shard, key in zip(shards, keys, strict=False)]
                )
            log.info("export %s: %d shards started", job.gid, len(shards))
            lines = run.wait(context)
        stored = runtime.storage.compose(key, keys[: len(shards)])
    finally:
        _delete(runtime.storage, keys)
    return JobOutcome(
        file_key=stored.key, file_size=stored.size, line_count=lines, file_sha256=stored.sha256
    )


@contextmanager
def _writes_paused(database: Database) -> Iterator[None]:
    """SQLite: hold the write lock, so the snapshots opened meanwhile are all the same."""
    with database.write() if database.is_sqlite else nullcontext():
        yield


def _exported_snapshot(connection: Connection) -> str | None:
    """PostgreSQL: an id other transactions can import to see this one's snapshot."""
    if connection.dialect.name != "postgresql":
        return None
    return str(connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())


def _import_snapshot(connection: Connection, snapshot_id: str | None) -> None:
    """Start the transaction on the coordinator's snapshot (see the module docstring)."""
    if snapshot_id is None:  # SQLite: the first read fixes the snapshot, under the lock
        connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").all()
        return
    if not _SNAPSHOT_ID.fullmatch(snapshot_id):  # the statement takes no parameters
        raise ValueError(f"not a snapshot id: {snapshot_id!r}")
    connection.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot_id}'")


def _delete(storage: Storage, keys: Sequence[str]) -> None:
    for key in keys:
        try:
            storage.delete(key)
        except ExportdError:
            log.warning("shard file %s could not be deleted", key, exc_info=True)


class _ShardProcesses:
    """The processes of one sharded export, each on one end of a pipe; a context manager
    that stops and reaps them whatever happened."""

    def __init__(self, settings: Settings, workspace_gid: int, parameters: Any, count: int) -> None:
        spawn = multiprocessing.get_context("spawn")
        self._stop = spawn.Event()
        self._pipes: list[Pipe] = []
        self._processes: list[multiprocessing.process.BaseProcess] = []
        self._working = 0  # how many were given an order (`start`)
        for number in range(count):
            ours, theirs = spawn.Pipe()
            process = spawn.Process(
                target=_run_shard,
                args=(settings, workspace_gid, parameters, theirs, self._stop),
                name=f"exportd-shard-{number}",
                daemon=True,
            )
            process.start()
            theirs.close()
            self._pipes.append(ours)
            self._processes.append(process)

    def __enter__(self) -> _ShardProcesses:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for pipe in self._pipes:
            with suppress(OSError):
                pipe.send(None)  # a shard still waiting for its order leaves
        for process in self._processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        for pipe in self._pipes:
            pipe.close()

    def wait_until_started(self) -> None:
        """Wait until every shard process is up and waits for its order."""
        self._gather("started", range(len(self._processes)))

    def start(self, orders: Sequence[Order]) -> None:
        """Give each shard its order and wait until each has opened its snapshot."""
        for pipe, order in zip(self._pipes, orders, strict=False):
            pipe.send(order)
        self._gather("ready", range(len(orders)))
        self._working = len(orders)

    def _gather(self, word: str, numbers: range) -> None:
        """Wait until each shard of `numbers` has said `word`."""
        waiting = set(numbers)
        deadline = time.monotonic() + READY_TIMEOUT
        while waiting:
            for number, message in self._receive(waiting, deadline - time.monotonic()):
                if message[0] == word:
                    waiting.discard(number)
            if waiting and time.monotonic() > deadline:
                raise ShardFailed(f"shards {sorted(waiting)} not {word} in {READY_TIMEOUT} s")

    def wait(self, context: JobContext) -> int:
        """Relay progress until every shard is done; the total number of lines written.
        Raises ShardFailed when one fails, JobCancelled when the attempt is cancelled."""
        running = set(range(self._working))
        progress = dict.fromkeys(running, 0)
        lines = 0
        while running:
            for number, message in self._receive(running, 0.5):
                if message[0] == "progress":
                    progress[number] = message[1]
                elif message[0] == "done":
                    lines += message[1]
                    running.discard(number)
            context.report_progress(sum(progress.values()))
            context.raise_if_cancelled()
        return lines

    def _receive(self, numbers: set[int], timeout: float) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """Messages from the shards `numbers` within `timeout`; a failure report or a
        shard gone without one raises ShardFailed."""
        pipes = {self._pipes[number]: number for number in numbers}
        for ready in wait(list(pipes), max(timeout, 0)):
            pipe = cast(Pipe, ready)
            number = pipes[pipe]
            try:
                message: tuple[Any, ...] = pipe.recv()
            except EOFError:
                code = self._processes[number].exitcode
                raise ShardFailed(
                    f"shard {number} ended without a result (exit code {code})"
                ) from None
            if message[0] == "error":
                raise ShardFailed(f"shard {number}: {message[1]}")
            yield number, message


def _run_shard(
    settings: Settings, workspace_gid: int, parameters: Any, pipe: Pipe, stop: Event
) -> None:
    """A shard process: wait for the order, open the snapshot, say so, export, report."""
    logs.configure(settings.log_format, settings.log_level)  # spawned: nothing is inherited
    database = Database(settings.database_url)
    parent = os.getppid()
    try:
        pipe.send(("started",))
        order: Order = pipe.recv()
        if order is None:
            return
        snapshot_id, shard, key = order
        request = ResourceExportRequest.from_parameters(parameters)

        def after_page(lines: int) -> None:
            pipe.send(("progress", lines))
            if stop.is_set() or os.getppid() != parent:  # told to stop, or orphaned
                raise JobCancelled("the export's coordinator stopped it")

        with snapshot(database) as connection, arrow_snapshot(database, snapshot_id) as snap:
            _import_snapshot(connection, snapshot_id)
            pipe.send(("ready",))
            chunks = resource_export_chunks(
                connection, snap, workspace_gid, request, slices=shard,
                task_batch_size=settings.export_batch_size,
            )  # fmt: skip
            outcome = publish_chunks(
                open_storage(settings), key, ((data, n) for _, data, n in chunks), after_page
            )
        pipe.send(("done", outcome.line_count))
    except BaseException as error:  # the coordinator decides; the process just ends
        with suppress(OSError):
            pipe.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        database.dispose()
