"""The embedded runner: export workers as threads inside the server process.

An adapter over `store.jobs`, nothing more: each worker thread loops claim → run the
handler for the job's kind → finish or fail, and a heartbeat thread per running job renews
its lease and writes its progress. Retry decisions come from `domain.jobs.decide()`. The
same handlers will run in separate worker processes on a queue engine, so nothing here may
become something a handler depends on.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from exportd.domain.jobs import ExportJob, RetryDecision, classify, decide, error_reason
from exportd.domain.vocabulary import EXPORT_KINDS
from exportd.jobs.context import Handler, JobContext, JobOutcome
from exportd.runtime import Runtime
from exportd.store import jobs as store

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=30)


@dataclass
class _Attempt:
    """One running job and the flags its worker, heartbeat and `stop()` share."""

    job: ExportJob
    worker_id: str
    cancelled: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)  # stops the heartbeat
    lock: threading.Lock = field(default_factory=threading.Lock)
    progress: int = 0
    lost: bool = False  # the lease was lost: another worker owns the job now
    handed_back: bool = False  # released to `pending` by `stop()`
    settled: bool = False  # its outcome is being recorded: too late to hand it back

    def report_progress(self, objects: int) -> None:
        self.progress = objects


class WorkerPool:
    """`workers` threads that run export jobs of the kinds `handlers` knows.

    `poll_interval` is how long an idle worker waits before looking for work again
    (`wake()` cuts the wait short); `lease` is how long a job stays this pool's without a
    heartbeat, so how soon another worker retries a job whose worker died. Heartbeats renew
    the lease every `lease / 3`, and write progress at most every `progress_interval`.
    """

    def __init__(
        self,
        runtime: Runtime,
        handlers: Mapping[str, Handler],
        workers: int = 1,
        poll_interval: float = 1.0,
        lease: timedelta = DEFAULT_LEASE,
        *,
        progress_interval: float = 1.0,
    ) -> None:
        unknown = set(handlers) - set(EXPORT_KINDS)
        if unknown:
            raise ValueError(f"no such export kinds: {sorted(unknown)}")
        if workers < 0 or poll_interval <= 0 or progress_interval <= 0:
            raise ValueError("workers must be >= 0, intervals > 0")
        if lease <= timedelta(0):
            raise ValueError("the lease must be positive")
        self.runtime = runtime
        self.handlers = dict(handlers)
        self.workers = workers
        self.poll_interval = poll_interval
        self.lease = lease
        self.progress_interval = progress_interval
        host = socket.gethostname()[:32]
        self.name = f"{host}:{os.getpid()}:{secrets.token_hex(3)}"
        self._stopping = threading.Event()
        self._wakeup = threading.Condition()
        self._generation = 0  # bumped by wake(), so a wake during a claim is not missed
        self._lock = threading.Lock()
        self._running: dict[int, _Attempt] = {}
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the worker threads (daemons: a stuck handler never blocks process exit)."""
        if self._threads:
            raise RuntimeError("this worker pool has already started")
        for number in range(1, self.workers + 1):
            worker_id = f"{self.name}:{number}"
            thread = threading.Thread(
                target=self._work, args=(worker_id,), name=f"exportd-worker-{number}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        log.info("worker pool %s started %d workers", self.name, self.workers)

    def wake(self) -> None:
        """Make idle workers look for work now (called after a job is created)."""
        with self._wakeup:
            self._generation += 1
            self._wakeup.notify_all()

    def running(self) -> list[int]:
        """Gids of the jobs this pool is running now."""
        with self._lock:
            return list(self._running)

    def stop(self, timeout: float = 30.0) -> list[int]:
        """Stop claiming; let running jobs finish within `timeout` seconds, else hand them
        back to `pending` (their handlers are told through `cancelled`).

        Returns the gids of the jobs handed back. A handed-back job's handler may still be
        running in its daemon thread, but it can no longer finish the job: its lease is gone.
        """
        self._stopping.set()
        self.wake()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            late = list(self._running.values())
        handed_back = [attempt.job.gid for attempt in late if self._hand_back(attempt)]
        for thread in self._threads:
            thread.join(0.1)  # a handler that heeds `cancelled` ends promptly
        log.info("worker pool %s stopped", self.name)
        return handed_back

    def _work(self, worker_id: str) -> None:
        while not self._stopping.is_set():
            generation = self._generation
            try:
                job = store.claim(
                    self.runtime.database,
                    worker_id,
                    self.runtime.clock(),
                    self.lease,
                    kinds=self.handlers.keys(),
                )
            except Exception:
                log.exception("worker %s could not claim a job; trying again", worker_id)
                self._stopping.wait(self.poll_interval)
                continue
            if job is None:
                self._idle(generation)
                continue
            attempt = _Attempt(job, worker_id, progress=job.progress_objects)
            with self._lock:  # registered before the check below, so stop() cannot miss it
                self._running[job.gid] = attempt
            try:
                if self._stopping.is_set():  # claimed while the pool was stopping
                    self._hand_back(attempt)
                else:
                    self._run(attempt)
            except Exception:  # a database error while recording: the lease will expire
                log.exception("export %s: recording its outcome failed", job.gid)
            finally:
                with self._lock:
                    self._running.pop(job.gid, None)

    def _idle(self, generation: int) -> None:
        """Wait for the poll interval, a wake() since `generation`, or stop()."""
        with self._wakeup:
            self._wakeup.wait_for(
                lambda: self._stopping.is_set() or self._generation != generation,
                timeout=self.poll_interval,
            )

    def _run(self, attempt: _Attempt) -> None:
        job = attempt.job
        heartbeat = threading.Thread(
            target=self._heartbeat, args=(attempt,), name=f"exportd-heartbeat-{job.gid}"
        )
        heartbeat.daemon = True
        heartbeat.start()
        log.info(
            "export %s (%s) started by %s, attempt %d of %d",
            job.gid,
            job.kind,
            attempt.worker_id,
            job.attempts,
            job.max_attempts,
        )
        context = JobContext(job, self.runtime, attempt.report_progress, attempt.cancelled)
        outcome: JobOutcome | None = None
        error: Exception | None = None
        try:
            outcome = self.handlers[job.kind](context)
        except Exception as raised:
            error = raised
        finally:
            attempt.ended.set()
            heartbeat.join()
        self._record(attempt, outcome, error)

    def _record(
        self, attempt: _Attempt, outcome: JobOutcome | None, error: Exception | None
    ) -> None:
        """Write the attempt's outcome, unless the job is no longer this worker's."""
        job, database = attempt.job, self.runtime.database
        with attempt.lock:
            attempt.settled = not (attempt.handed_back or attempt.lost)
        if attempt.handed_back:
            log.info("export %s: the handler of its handed-back attempt has ended", job.gid)
            return
        if attempt.lost:
            log.warning("export %s: attempt ended after its lease was lost; dropped", job.gid)
            return
        now = self.runtime.clock()
        if error is None:
            assert outcome is not None
            if store.finish(
                database,
                job.gid,
                attempt.worker_id,
                now,
                outcome.file_key,
                outcome.file_size,
                outcome.line_count,
                progress_objects=attempt.progress,
            ):
                log.info("export %s finished: %d lines", job.gid, outcome.line_count)
            else:
                log.warning("export %s: lease lost before finishing; result dropped", job.gid)
            return
        decision = decide(classify(error), job.attempts, job.max_attempts)
        reason = error_reason(error, job.attempts, job.max_attempts)
        retry = decision is RetryDecision.RETRY
        if store.fail(database, job.gid, attempt.worker_id, reason, retry=retry):
            outcome_text = "will be retried" if retry else "gave up"
            log.error("export %s failed, %s: %s", job.gid, outcome_text, reason, exc_info=error)
        else:
            log.warning("export %s failed after its lease was lost: %s", job.gid, reason)

    def _hand_back(self, attempt: _Attempt) -> bool:
        """Release the job to `pending` (once, from whichever thread gets here first)."""
        with attempt.lock:
            if attempt.handed_back or attempt.lost or attempt.settled:
                return False
            attempt.handed_back = True
        attempt.cancelled.set()
        attempt.ended.set()
        try:
            released = store.release(self.runtime.database, attempt.job.gid, attempt.worker_id)
        except Exception:
            log.exception(
                "export %s: handing it back failed; its lease will expire", attempt.job.gid
            )
            return False
        if released:
            log.info("export %s handed back to pending (worker stopping)", attempt.job.gid)
        return released

    def _heartbeat(self, attempt: _Attempt) -> None:
        """Renew the lease every lease/3, and write new progress when there is some."""
        renew_every = self.lease.total_seconds() / 3
        tick = min(renew_every, self.progress_interval)
        last_renewal, written = time.monotonic(), attempt.progress
        while not attempt.ended.wait(tick):
            progress = attempt.progress
            if progress == written and time.monotonic() - last_renewal < renew_every:
                continue
            try:
                held = store.heartbeat(
                    self.runtime.database,
                    attempt.job.gid,
                    attempt.worker_id,
                    self.runtime.clock(),
                    self.lease,
                    progress,
                )
            except Exception:
                log.exception("export %s: heartbeat failed; trying again", attempt.job.gid)
                continue
            if not held:
                with attempt.lock:
                    attempt.lost = not attempt.handed_back
                attempt.cancelled.set()
                log.warning("export %s: lease lost; stopping this attempt", attempt.job.gid)
                return
            last_renewal, written = time.monotonic(), progress
