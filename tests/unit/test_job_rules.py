"""The pure rules of an export job's lifecycle: states, the retry decision, the job value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from exportd.domain.jobs import (
    REASON_LIMIT,
    ExportJob,
    Failure,
    PermanentExportError,
    RetryDecision,
    State,
    classify,
    decide,
    error_reason,
    retry_delay,
    stalled_reason,
)
from exportd.domain.vocabulary import EXPORT_STATES, JOB_STATUSES

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_states_are_the_stored_vocabulary() -> None:
    assert tuple(State) == EXPORT_STATES
    assert set(JOB_STATUSES) == {state.value for state in State}


@pytest.mark.parametrize(
    ("failure", "attempts", "max_attempts", "expected"),
    [
        (Failure.ERROR, 1, 3, RetryDecision.RETRY),
        (Failure.ERROR, 2, 3, RetryDecision.RETRY),
        (Failure.ERROR, 3, 3, RetryDecision.GIVE_UP),
        (Failure.WORKER_LOST, 2, 3, RetryDecision.RETRY),
        (Failure.WORKER_LOST, 3, 3, RetryDecision.GIVE_UP),
        (Failure.PERMANENT, 1, 3, RetryDecision.GIVE_UP),
        (Failure.ERROR, 1, 1, RetryDecision.GIVE_UP),
    ],
)
def test_retry_while_attempts_remain_unless_permanent(
    failure: Failure, attempts: int, max_attempts: int, expected: RetryDecision
) -> None:
    assert decide(failure, attempts, max_attempts) is expected


def test_permanent_errors_are_told_apart_from_others() -> None:
    assert classify(PermanentExportError("gone")) is Failure.PERMANENT
    assert classify(OSError("disk full")) is Failure.ERROR


def test_error_reasons_keep_the_message() -> None:
    assert error_reason(PermanentExportError("organization: gone"), 1, 3) == "organization: gone"
    reason = error_reason(ValueError("boom"), 2, 3)
    assert reason == "ValueError: boom (attempt 2 of 3)"
    assert error_reason(RuntimeError(), 1, 1).startswith("RuntimeError: (no message)")
    assert len(error_reason(ValueError("x" * 10_000), 1, 1)) == REASON_LIMIT
    assert stalled_reason(3) == "the worker running this export stopped responding (3 attempts)"
    assert stalled_reason(1).endswith("(1 attempt)")


def _row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "gid": 1,
        "kind": "organization",
        "job_gid": None,
        "workspace_gid": 2,
        "created_by_gid": 3,
        "parameters": {"a": 1},
        "state": "started",
        "attempts": 1,
        "max_attempts": 3,
        "lease_owner": "w",
        "lease_expires_at": NOW,
        "progress_objects": 10,
        "error_reason": None,
        "file_key": None,
        "file_size": None,
        "line_count": None,
        "created_at": NOW - timedelta(minutes=1),
        "started_at": NOW - timedelta(seconds=30),
        "completed_at": None,
        "file_deleted_at": None,
    }
    row.update(overrides)
    return row


def test_a_job_is_a_frozen_value_built_from_a_row() -> None:
    job = ExportJob.from_row(_row())
    assert job.state is State.STARTED
    assert job.job_status == "in_progress"
    with pytest.raises(AttributeError):
        job.state = State.FINISHED  # type: ignore[misc]
    assert ExportJob.from_row(_row(parameters=None)).parameters == {}


def test_each_retry_waits_four_times_longer_than_the_one_before() -> None:
    first = timedelta(seconds=10)
    waits = [retry_delay(first, attempts) for attempts in (1, 2, 3)]
    assert waits == [timedelta(seconds=10), timedelta(seconds=40), timedelta(seconds=160)]
    assert retry_delay(timedelta(0), 2) == timedelta(0)
