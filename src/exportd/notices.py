"""The queue notice: how whoever creates an export job tells whoever runs jobs about it.

Made once by the composition root (`compose.py`) and handed to both sides, so nothing is
patched in after construction: the request side calls `created()` in the transaction that
creates a job and `enqueued()` after it commits; an embedded worker pool waits on `wakeup`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection

Defer = Callable[[Connection, int], None]
"""Sends a queue engine's message for job `gid` on `connection`, in its transaction."""


class Wakeup:
    """A doorbell for idle worker threads of this process; a ring between a worker's look
    for work and its wait is not missed (each ring bumps a generation it compares)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def ring(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, since: int, timeout: float, stopping: threading.Event) -> None:
        """Wait `timeout` seconds at most, until a ring after generation `since` or `stopping`."""
        with self._condition:
            self._condition.wait_for(
                lambda: stopping.is_set() or self._generation != since, timeout=timeout
            )


@dataclass(frozen=True)
class JobNotices:
    """What happens when a job is created: `defer` (a queue engine's message, committed
    with the job) if there is a queue engine, and a ring of this process's `wakeup`."""

    defer: Defer | None = None
    wakeup: Wakeup = field(default_factory=Wakeup)

    def created(self, connection: Connection, gid: int) -> None:
        """Called in the transaction that creates job `gid`."""
        if self.defer is not None:
            self.defer(connection, gid)

    def enqueued(self) -> None:
        """Called once that transaction has committed: idle workers here look now."""
        self.wakeup.ring()
