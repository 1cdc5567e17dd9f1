"""Housekeeping a serving process does in the background: retention and stalled jobs.

Every run is idempotent and safe beside other processes doing the same, so any number of
`exportd serve` processes may run it.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from exportd.runtime import Runtime
from exportd.storage import retention
from exportd.store import jobs

log = logging.getLogger("exportd.maintenance")

SWEEP_INTERVAL = 60.0
"""Seconds between sweeps: retention counts in days, stalled jobs in lease lengths."""
TEMPORARY_GRACE = timedelta(hours=1)
"""How long an unfinished upload's temporary file is left alone (live ones are locked)."""


def sweep_once(runtime: Runtime) -> None:
    """Delete expired export files, crashed uploads' leftovers, and fail dead jobs."""
    now = runtime.clock()
    report = retention.sweep(
        runtime.database,
        runtime.storage,
        now,
        timedelta(seconds=runtime.settings.retention),
        TEMPORARY_GRACE,
    )
    stalled = jobs.fail_stalled(runtime.database, now)
    if report.files_deleted or report.temporary_removed or stalled:
        log.info(
            "swept %d expired files, %d temporary files, %d stalled jobs",
            report.files_deleted,
            report.temporary_removed,
            stalled,
        )


class Maintenance:
    """Runs `sweep_once` now and then every `interval` seconds in a daemon thread."""

    def __init__(self, runtime: Runtime, interval: float = SWEEP_INTERVAL) -> None:
        self._runtime, self._interval = runtime, interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="exportd-maintenance", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                sweep_once(self._runtime)
            except Exception:  # a failed sweep is retried at the next interval
                log.exception("maintenance sweep failed")
            self._stopping.wait(self._interval)
