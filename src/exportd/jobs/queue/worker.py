"""`exportd worker` on procrastinate: the tasks it runs and the worker loop that runs them.

Three tasks, all on the `exports` queue:
- `run_export(export_gid)`: the message the API defers with each new job. It claims that
  job in the `exports` table and runs it as an `Attempt`. A job already taken (by a sweep,
  or by another delivery of the same news) or already ended is no longer claimable, and the
  message is done. A job that failed and will be retried, or that was handed back because
  this worker is stopping, gets a new message so that another worker takes it up now.
- `sweep`, every lease: claims whatever job is claimable — one whose message was lost, or
  whose worker died mid-export and whose lease has expired — and runs it. This is why no
  job is ever stranded, whatever becomes of the messages.
- `redeliver_stalled`, every minute: procrastinate's own recovery for messages its workers
  held when they died (they stay `doing` otherwise); re-run, they find their job already
  swept or claim it.

procrastinate's worker is asynchronous; the tasks that export are synchronous and run in
threads of their own (one per concurrent export), beside the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy

from exportd.jobs.attempt import Attempt, Ending
from exportd.jobs.context import Handler
from exportd.jobs.queue.delivery import QUEUE, RUN_EXPORT, Delivery, libpq_url
from exportd.runtime import Runtime
from exportd.store import jobs as store

log = logging.getLogger("exportd.worker")

SWEEP = "exportd.sweep"
REDELIVER_STALLED = "exportd.redeliver_stalled"
DELIVERY_RETRY = RetryStrategy(max_attempts=5, exponential_wait=2)
"""For a task that raised (the database was out of reach): procrastinate runs it again."""


class ExportTasks:
    """What the tasks do, apart from procrastinate: claim, run as an `Attempt`, redeliver."""

    def __init__(self, runtime: Runtime, handlers: Mapping[str, Handler]) -> None:
        self.runtime = runtime
        self.handlers = dict(handlers)
        self.lease = timedelta(seconds=runtime.settings.job_lease)
        self.name = f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(3)}"
        self.deliver = Delivery()

    def run(self, context: JobContext, gid: int | None) -> str:
        """Claim export `gid` (any claimable export if None) and run it; what happened."""
        worker_id = f"{self.name}:{context.job.id}"
        job = store.claim(
            self.runtime.database,
            worker_id,
            self.runtime.clock(),
            self.lease,
            kinds=self.handlers.keys(),
            gid=gid,
        )
        if job is None:
            return "nothing to claim"
        attempt = Attempt(
            self.runtime,
            self.handlers[job.kind],
            job,
            worker_id,
            self.lease,
            should_stop=context.should_abort,
        )
        ending = attempt.run()
        if ending is Ending.RETRY:
            self.redeliver(job.gid, attempt.retry_delay)
        elif ending is Ending.HANDED_BACK:
            self.redeliver(job.gid)
        return f"export {job.gid}: {ending}"

    def redeliver(self, gid: int, delay: timedelta | None = None) -> None:
        """A new message for a job back in `pending`, due when the job is; if it cannot be
        sent, a sweep will find the job instead."""
        try:
            with self.runtime.database.write() as connection:
                self.deliver(connection, gid, delay)
        except Exception:
            log.exception("export %s: could not send it again; a sweep will take it", gid)


def every(seconds: int) -> str:
    """A cron line for about every `seconds` seconds (procrastinate's cron has a seconds
    field, last); a minute at most."""
    return "* * * * *" if seconds >= 60 else f"* * * * * */{max(1, seconds)}"


def build_app(runtime: Runtime, handlers: Mapping[str, Handler]) -> App:
    """The procrastinate app of a worker process, with exportd's tasks registered."""
    settings = runtime.settings
    connector = PsycopgConnector(conninfo=libpq_url(settings.database_url), min_size=1, max_size=4)
    app = App(connector=connector)
    tasks = ExportTasks(runtime, handlers)

    @app.task(name=RUN_EXPORT, queue=QUEUE, pass_context=True, retry=DELIVERY_RETRY)
    def run_export(context: JobContext, export_gid: int) -> str:
        return tasks.run(context, export_gid)

    @app.periodic(cron=every(settings.job_lease), periodic_id="orphans")
    @app.task(name=SWEEP, queue=QUEUE, pass_context=True, queueing_lock=SWEEP)
    def sweep(context: JobContext, timestamp: int) -> str:
        return tasks.run(context, None)

    @app.periodic(cron=every(60), periodic_id="stalled")
    @app.task(name=REDELIVER_STALLED, queue=QUEUE, queueing_lock=REDELIVER_STALLED)
    async def redeliver_stalled(timestamp: int) -> int:
        stalled = await app.job_manager.get_stalled_jobs(queue=QUEUE, task_name=RUN_EXPORT)
        for job in stalled:
            await app.job_manager.retry_job(job)
        return len(list(stalled))

    return app


def run(runtime: Runtime, handlers: Mapping[str, Handler]) -> None:
    """Run exports until SIGTERM or SIGINT; then running exports get `stop_timeout`
    seconds to finish before they are handed back (procrastinate asks them to abort)."""
    settings = runtime.settings
    app = build_app(runtime, handlers)
    concurrency = settings.worker_concurrency

    async def work() -> None:
        # Synchronous tasks run on the loop's default executor: one thread per export slot,
        # and one for the sweep.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(concurrency + 1, thread_name_prefix="exportd-task")
        )
        async with app.open_async():
            await app.run_worker_async(
                queues=[QUEUE],
                concurrency=concurrency,
                name="exportd",
                shutdown_graceful_timeout=settings.stop_timeout,
                delete_jobs="successful",
            )

    log.info("worker started: %d concurrent exports", concurrency)
    asyncio.run(work())
    log.info("worker stopped")
