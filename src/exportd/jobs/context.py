"""What export code sees of the job it runs, whoever runs it.

The same handler runs in the embedded worker pool (`jobs.runner`) and in `exportd worker`
processes on procrastinate (`jobs.queue`): it gets a `JobContext`, returns a `JobOutcome`,
and raises `PermanentExportError` when trying again cannot help. It knows nothing of leases,
heartbeats or retries; those belong to the runner and to `store.jobs`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from exportd.domain.jobs import ExportJob
from exportd.errors import ExportdError
from exportd.runtime import Runtime


class JobCancelled(ExportdError):
    """Raised by export code that saw `cancelled` set: its work is no longer wanted."""


@dataclass(frozen=True)
class JobOutcome:
    """The file a finished export published."""

    file_key: str
    file_size: int
    line_count: int
    file_sha256: str | None = None  # hex, of the stored file


@dataclass(frozen=True)
class JobContext:
    """One attempt at a job, as its handler sees it.

    `report_progress(n)` records that `n` objects are written so far (a total, not an
    increment); it only stores the number, the runner writes it with the next heartbeat.
    `cancelled` is set when the attempt is no longer wanted: its lease was lost (another
    worker owns the job now) or the runner is shutting down. Long exports check it between
    batches (`raise_if_cancelled()`) and stop writing.
    """

    job: ExportJob
    runtime: Runtime
    report_progress: Callable[[int], None]
    cancelled: threading.Event

    def raise_if_cancelled(self) -> None:
        if self.cancelled.is_set():
            raise JobCancelled(f"export {self.job.gid}: cancelled")


Handler = Callable[[JobContext], JobOutcome]
"""Runs one attempt at a job of one kind and returns the file it published."""
