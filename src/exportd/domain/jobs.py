"""The lifecycle of an export job, as values and rules with no I/O.

A job is one row of the `exports` table. Its state moves `pending → started → finished |
error`; a retry or a release moves it from `started` back to `pending`. Whoever runs a job
(the embedded worker pool now, a queue engine's workers later) holds it by a lease that it
renews by heartbeat, so a job whose worker vanished is noticed when its lease expires.
Whether a failed attempt is retried is decided here, by `decide()`, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any

from exportd.domain.vocabulary import JOB_STATUSES
from exportd.errors import ExportdError

REASON_LIMIT = 2000
"""Longest error reason kept: enough for a message, not for a dump of the whole data."""


class State(StrEnum):
    """Where a job stands; the values are the ones stored and shown by the API (O3)."""

    PENDING = "pending"  # waiting for a worker: new, retried after a failure, or released
    STARTED = "started"  # a worker holds the lease and is writing the file
    FINISHED = "finished"  # the file is published; final
    ERROR = "error"  # given up, `error_reason` says why; final


class PermanentExportError(ExportdError):
    """Raised by export code when trying again cannot help (the organization is gone, the
    parameters can never be satisfied): the job ends in `error` at once, with this message."""


class Failure(Enum):
    """How an attempt ended without publishing a file."""

    WORKER_LOST = "worker_lost"  # the lease expired: the worker died or stopped responding
    ERROR = "error"  # the export code raised; may be transient (a lost connection, a full disk)
    PERMANENT = "permanent"  # the export code raised PermanentExportError


class RetryDecision(Enum):
    """What to do with a job after a failed attempt."""

    RETRY = "retry"  # back to `pending`; another attempt will run
    GIVE_UP = "give_up"  # mark it `error` with the reason


def classify(error: BaseException) -> Failure:
    """The kind of failure an exception raised by export code stands for."""
    return Failure.PERMANENT if isinstance(error, PermanentExportError) else Failure.ERROR


def decide(failure: Failure, attempts: int, max_attempts: int) -> RetryDecision:
    """Retry while attempts remain, unless retrying cannot help.

    `attempts` counts the attempts made so far, the failed one included.
    """
    if failure is Failure.PERMANENT or attempts >= max_attempts:
        return RetryDecision.GIVE_UP
    return RetryDecision.RETRY


RETRY_GROWTH = 4
"""Each retry of a failed attempt waits this many times longer than the one before."""


def retry_delay(first: timedelta, attempts: int) -> timedelta:
    """How long a job waits before the attempt after its `attempts`-th failed one: `first`,
    then 4 and 16 times as long, so a storage or database outage of a minute or two does not use
    up every attempt while a persistent failure still ends soon."""
    factor: int = RETRY_GROWTH ** max(attempts - 1, 0)
    return first * factor


def error_reason(error: BaseException, attempts: int, max_attempts: int) -> str:
    """What `error_reason` records for an exception raised by export code.

    A PermanentExportError's message is written for users and kept as it is; anything else
    is unexpected, so its type is named too, with the attempt it ended.
    """
    if isinstance(error, PermanentExportError):
        return _clip(error.message)
    message = str(error) or "(no message)"
    return _clip(f"{type(error).__name__}: {message} (attempt {attempts} of {max_attempts})")


def stalled_reason(attempts: int) -> str:
    """The reason of a job given up because its worker kept vanishing."""
    noun = "attempt" if attempts == 1 else "attempts"
    return f"the worker running this export stopped responding ({attempts} {noun})"


def no_attempts_reason(max_attempts: int) -> str:
    """The reason of a job that may not start at all (it was created with no attempts)."""
    return f"the export was not started: no attempts left (max_attempts={max_attempts})"


def _clip(reason: str) -> str:
    return reason if len(reason) <= REASON_LIMIT else reason[: REASON_LIMIT - 1] + "…"


@dataclass(frozen=True)
class ExportJob:
    """One export job as it stood when read: a value, never updated in place."""

    gid: int
    kind: str
    job_gid: int | None
    workspace_gid: int
    created_by_gid: int
    parameters: Mapping[str, Any]
    state: State
    attempts: int
    max_attempts: int
    lease_owner: str | None
    lease_expires_at: datetime | None
    progress_objects: int
    error_reason: str | None
    file_key: str | None
    file_size: int | None
    line_count: int | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    file_deleted_at: datetime | None
    parent_gid: int | None = None  # graph exports: the goal, team, portfolio or project
    file_sha256: str | None = None  # hex, of the stored file; None before it was recorded

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ExportJob:
        """Build the value from a row of the `exports` table (`row._mapping`)."""
        return cls(
            gid=row["gid"],
            kind=row["kind"],
            job_gid=row["job_gid"],
            workspace_gid=row["workspace_gid"],
            created_by_gid=row["created_by_gid"],
            parameters=dict(row["parameters"] or {}),
            state=State(row["state"]),
            attempts=row["attempts"],
            max_attempts=row["max_attempts"],
            lease_owner=row["lease_owner"],
            lease_expires_at=row["lease_expires_at"],
            progress_objects=row["progress_objects"],
            error_reason=row["error_reason"],
            file_key=row["file_key"],
            file_size=row["file_size"],
            line_count=row["line_count"],
            created_at=row["created_at"],
            started_at=row["started_at"],
            completed_at=row["completed_at"],
            file_deleted_at=row["file_deleted_at"],
            parent_gid=row.get("parent_gid"),
            file_sha256=row.get("file_sha256"),
        )

    @property
    def job_status(self) -> str:
        """The state as a resource or graph export's job shows it (R2)."""
        return JOB_STATUSES[self.state.value]

    @property
    def download_name(self) -> str:
        """The file name a download gets, like Asana's `export-<org>-<date>-<gid>.json.gz`."""
        suffix = "json.gz" if self.kind == "organization" else "jsonl.gz"
        return f"export-{self.workspace_gid}-{self.created_at:%Y%m%d}-{self.gid}.{suffix}"

    def downloadable(self, now: datetime, retention: timedelta) -> bool:
        """A finished export whose file is still kept (R10: until retention after completion)."""
        return (
            self.state is State.FINISHED
            and self.file_key is not None
            and self.file_deleted_at is None
            and self.completed_at is not None
            and now < self.completed_at + retention
        )
