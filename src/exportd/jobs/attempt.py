"""One attempt at a claimed job: its handler, its heartbeat, and how it ended.

Whoever claimed the job — a thread of the embedded worker pool (`jobs.runner`) or a queue
engine's task in an `exportd worker` process (`jobs.queue`) — runs it through `Attempt`,
so leases, progress, retries and hand-backs follow one set of rules wherever jobs run.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from exportd.domain.jobs import (
    ExportJob,
    RetryDecision,
    classify,
    decide,
    error_reason,
    retry_delay,
)
from exportd.jobs.context import Handler, JobContext, JobOutcome
from exportd.observability import logs, metrics
from exportd.runtime import Runtime
from exportd.store import jobs as store

log = logging.getLogger("exportd.jobs")

RECORD_RETRY_WAIT = 0.5
"""Seconds before an outcome whose recording met a database outage is written again; the
wait doubles each time, for as long as the lease would have lasted."""


class Ending(StrEnum):
    """How an attempt ended, as far as its worker could tell."""

    FINISHED = "finished"  # the file is published and the job marked finished
    RETRY = "retry"  # it failed and went back to `pending` for another attempt
    GAVE_UP = "gave_up"  # it failed and the job is `error`
    HANDED_BACK = "handed_back"  # released to `pending` unfinished: its worker is stopping
    LOST = "lost"  # the lease was lost: another worker owns the job, or it ended meanwhile


_NO_OUTCOME = JobOutcome("", 0, 0)


def _never() -> bool:
    return False


class Attempt:
    """Runs `handler` on a job this worker (`worker_id`) has just claimed.

    A heartbeat thread renews the lease every `lease / 3` and writes progress at most every
    `progress_interval`; it also hands the job back as soon as `should_stop()` turns true
    (a queue engine asking its task to stop). `hand_back()` may be called from any thread.
    """

    def __init__(
        self,
        runtime: Runtime,
        handler: Handler,
        job: ExportJob,
        worker_id: str,
        lease: timedelta,
        *,
        progress_interval: float = 1.0,
        should_stop: Callable[[], bool] = _never,
    ) -> None:
        self.runtime, self.handler, self.job = runtime, handler, job
        self.worker_id, self.lease = worker_id, lease
        self.progress_interval = progress_interval
        self.should_stop = should_stop
        self.cancelled = threading.Event()  # the handler should stop writing
        self._ended = threading.Event()  # stops the heartbeat
        self._lock = threading.Lock()
        self.progress = job.progress_objects
        self._lost = False  # the lease was lost: another worker owns the job now
        self._handed_back = False  # released to `pending` by hand_back()
        self._settled = False  # its outcome is being recorded: too late to hand it back
        self._started: float | None = None  # time.monotonic() when the handler started
        self._outcome = _NO_OUTCOME  # what the handler returned or raised, for the metrics
        self._error: Exception | None = None

    @property
    def retry_delay(self) -> timedelta:
        """How long the job waits before its next attempt if this one fails."""
        first = timedelta(seconds=self.runtime.settings.retry_delay)
        return retry_delay(first, self.job.attempts)

    def report_progress(self, objects: int) -> None:
        self.progress = objects

    def run(self) -> Ending:
        """Run the handler with heartbeats and record its outcome.

        Recording is one short transaction, tried again while the database cannot be
        reached (`_recorded`). A database still unreachable after a lease makes the error
        propagate: the lease then expires and another attempt follows, as after a crash.
        """
        job = self.job
        with logs.bound(export_gid=str(job.gid), export_kind=job.kind, attempt=job.attempts):
            ending = self._run()
            metrics.attempt_ended(
                job.kind,
                ending.value,
                self.duration,
                file_bytes=self._outcome.file_size if ending is Ending.FINISHED else None,
                objects=self._outcome.line_count if ending is Ending.FINISHED else None,
                error=self._error,
            )
            return ending

    def _run(self) -> Ending:
        job = self.job
        heartbeat = threading.Thread(
            target=contextvars.copy_context().run,  # its lines name the export too
            args=(self._heartbeat,),
            name=f"exportd-heartbeat-{job.gid}",
            daemon=True,
        )
        heartbeat.start()
        log.info(
            "export %s (%s) started by %s, attempt %d of %d",
            job.gid,
            job.kind,
            self.worker_id,
            job.attempts,
            job.max_attempts,
            extra={"worker": self.worker_id, "max_attempts": job.max_attempts},
        )
        self._started = time.monotonic()
        context = JobContext(job, self.runtime, self.report_progress, self.cancelled)
        outcome: JobOutcome | None = None
        error: Exception | None = None
        try:
            outcome = self.handler(context)
        except Exception as raised:
            error = raised
        finally:
            self._ended.set()
            heartbeat.join()
        self._outcome, self._error = outcome or _NO_OUTCOME, error
        return self._record(outcome, error)

    @property
    def duration(self) -> float:
        """Seconds since the handler started (0 before it did)."""
        return time.monotonic() - self._started if self._started is not None else 0.0

    def hand_back(self) -> bool:
        """Release the job to `pending` without counting the attempt, unless its outcome
        is already being recorded; True if this call released it."""
        with self._lock:
            if self._handed_back or self._lost or self._settled:
                return False
            self._handed_back = True
        self.cancelled.set()
        self._ended.set()
        gid = self.job.gid
        try:
            released = store.release(self.runtime.database, gid, self.worker_id)
        except Exception:
            log.exception("export %s: handing it back failed; its lease will expire", gid)
            return False
        if released:  # maybe from another thread: the export's fields are given here
            log.info(
                "export %s handed back to pending (worker stopping)",
                gid,
                extra=self._fields(),
            )
        return released

    def _fields(self, **more: object) -> dict[str, object]:
        """The context of a lifecycle line: which export, which attempt, how long so far."""
        job = self.job
        return {
            "export_gid": str(job.gid),
            "export_kind": job.kind,
            "attempt": job.attempts,
            "duration_seconds": round(self.duration, 3),
            **more,
        }

    def _record(self, outcome: JobOutcome | None, error: Exception | None) -> Ending:
        """Write the attempt's outcome, unless the job is no longer this worker's."""
        job, database = self.job, self.runtime.database
        with self._lock:
            self._settled = not (self._handed_back or self._lost)
        if self._handed_back:
            log.info(
                "export %s: the handler of its handed-back attempt has ended",
                job.gid,
                extra=self._fields(),
            )
            return Ending.HANDED_BACK
        if self._lost:
            log.warning(
                "export %s: attempt ended after its lease was lost; dropped",
                job.gid,
                extra=self._fields(),
            )
            return Ending.LOST
        now = self.runtime.clock()
        if error is None:
            assert outcome is not None
            finished = self._recorded(
                lambda: store.finish(
                    database,
                    job.gid,
                    self.worker_id,
                    now,
                    outcome.file_key,
                    outcome.file_size,
                    outcome.line_count,
                    progress_objects=self.progress,
                    file_sha256=outcome.file_sha256,
                )
            )
            if finished:
                log.info(
                    "export %s finished: %d lines, %d bytes in %.1f s",
                    job.gid,
                    outcome.line_count,
                    outcome.file_size,
                    self.duration,
                    extra=self._fields(
                        state="finished", lines=outcome.line_count, bytes=outcome.file_size
                    ),
                )
                return Ending.FINISHED
            log.warning(
                "export %s: lease lost before finishing; result dropped",
                job.gid,
                extra=self._fields(),
            )
            return Ending.LOST
        decision = decide(classify(error), job.attempts, job.max_attempts)
        reason = error_reason(error, job.attempts, job.max_attempts)
        retry = decision is RetryDecision.RETRY
        retry_at = now + self.retry_delay if retry else None
        if not self._recorded(
            lambda: store.fail(database, job.gid, self.worker_id, reason, retry, retry_at)
        ):
            log.warning(
                "export %s failed after its lease was lost: %s",
                job.gid,
                reason,
                extra=self._fields(),
            )
            return Ending.LOST
        outcome_text = f"will be retried in {self.retry_delay}" if retry else "gave up"
        log.error(
            "export %s failed, %s: %s",
            job.gid,
            outcome_text,
            reason,
            exc_info=error,
            extra=self._fields(
                state="pending" if retry else "error",
                lines=self.progress,
                retry_in_seconds=self.retry_delay.total_seconds() if retry else None,
            ),
        )
        return Ending.RETRY if retry else Ending.GAVE_UP

    def _recorded(self, write: Callable[[], bool]) -> bool:
        """`write()`'s answer (False: the job is no longer this worker's), trying it again
        with waits doubling from RECORD_RETRY_WAIT while the database cannot be reached (a
        restart, a failover, a cut connection), for about a lease.

        Past a lease another worker may take the job over, which fences this write off
        anyway; so the last error propagates then. A write that committed but whose answer
        was lost finds the job no longer held when tried again: it reads as lost, which
        costs at most a sweep interval (the job is already recorded).
        """
        deadline = time.monotonic() + self.lease.total_seconds()
        wait = RECORD_RETRY_WAIT
        while True:
            try:
                return write()
            except (DBAPIError, PoolTimeout) as error:
                if not _unreachable(error) or time.monotonic() + wait > deadline:
                    raise
                log.warning(
                    "export %s: recording its outcome failed, trying again in %.1f s: %s",
                    self.job.gid,
                    wait,
                    _first_line(error),
                )
            time.sleep(wait)
            wait *= 2

    def _heartbeat(self) -> None:
        """Renew the lease every lease/3, write new progress when there is some, and hand
        the job back when asked to stop."""
        renew_every = self.lease.total_seconds() / 3
        tick = min(renew_every, self.progress_interval)
        last_renewal, written = time.monotonic(), self.progress
        gid = self.job.gid
        while not self._ended.wait(tick):
            if self.should_stop():
                self.hand_back()
                return
            progress = self.progress
            if progress == written and time.monotonic() - last_renewal < renew_every:
                continue
            try:
                held = store.heartbeat(
                    self.runtime.database,
                    gid,
                    self.worker_id,
                    self.runtime.clock(),
                    self.lease,
                    progress,
                )
            except Exception:
                log.exception("export %s: heartbeat failed; trying again", gid)
                continue
            if not held:
                with self._lock:
                    self._lost = not self._handed_back
                self.cancelled.set()
                log.warning("export %s: lease lost; stopping this attempt", gid)
                return
            last_renewal, written = time.monotonic(), progress


def _unreachable(error: Exception) -> bool:
    """Whether a database error means the database could not be reached or the connection
    broke (worth trying again), rather than a statement it refused."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | InterfaceError | PoolTimeout)


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
