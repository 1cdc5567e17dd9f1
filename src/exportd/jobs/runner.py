"""The embedded runner: export workers as threads inside the server process.

An adapter over `store.jobs`, nothing more: each worker thread loops claim → run the
handler for the job's kind as a `jobs.attempt.Attempt` (heartbeat, finish or fail, retry
decisions from `domain.jobs.decide()`). The same attempts run in `exportd worker` processes
on a queue engine (`jobs.queue`), so nothing here may become something a handler depends on.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Mapping
from datetime import timedelta

from exportd.domain.vocabulary import EXPORT_KINDS
from exportd.jobs.attempt import Attempt
from exportd.jobs.context import Handler
from exportd.runtime import Runtime
from exportd.store import jobs as store

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=30)


class WorkerPool:
    """`workers` threads that run export jobs of the kinds `handlers` knows.

    `poll_interval` is how long an idle worker waits before looking for work again (a
    ring of `runtime.notices.wakeup`, made when a job is created here, cuts the wait
    short); `lease` is how long a job stays this pool's without a
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
        self._wakeup = runtime.notices.wakeup
        self._lock = threading.Lock()
        self._running: dict[int, Attempt] = {}
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
        self._wakeup.ring()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            late = list(self._running.values())
        handed_back = [attempt.job.gid for attempt in late if attempt.hand_back()]
        for thread in self._threads:
            thread.join(0.1)  # a handler that heeds `cancelled` ends promptly
        log.info("worker pool %s stopped", self.name)
        return handed_back

    def _work(self, worker_id: str) -> None:
        while not self._stopping.is_set():
            generation = self._wakeup.generation
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
            attempt = Attempt(
                self.runtime,
                self.handlers[job.kind],
                job,
                worker_id,
                self.lease,
                progress_interval=self.progress_interval,
            )
            with self._lock:  # registered before the check below, so stop() cannot miss it
                self._running[job.gid] = attempt
            try:
                if self._stopping.is_set():  # claimed while the pool was stopping
                    attempt.hand_back()
                else:
                    attempt.run()
            except Exception:  # a database error while recording: the lease will expire
                log.exception("export %s: recording its outcome failed", job.gid)
            finally:
                with self._lock:
                    self._running.pop(job.gid, None)

    def _idle(self, generation: int) -> None:
        """Wait for the poll interval, a ring since `generation`, or stop()."""
        self._wakeup.wait(generation, self.poll_interval, self._stopping)
