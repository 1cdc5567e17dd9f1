"""An attempt records its outcome through a database outage, for as long as its lease.

A worker that lost the database mid-export (a restart, a failover, a cut connection) fails
its attempt; writing that outcome meets the same outage. The write is tried again with
waits doubling while the database is unreachable, up to about a lease: past that the job
is someone else's to take over, and the error propagates. Errors that are not about
reaching the database propagate at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError, OperationalError

from exportd.domain.jobs import ExportJob, State
from exportd.jobs import attempt as attempt_module
from exportd.jobs.attempt import Attempt, Ending
from exportd.jobs.context import JobContext, JobOutcome
from exportd.runtime import Runtime
from exportd.store import jobs
from exportd.store.schema import users, workspaces

LEASE = timedelta(seconds=1)
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)
OUTCOME = JobOutcome(file_key="exports/x.json.gz", file_size=100, line_count=7)


def claimed_job(runtime: Runtime) -> ExportJob:
    """A job of a new organization, claimed by worker `w1`."""
    workspace, user = runtime.gids.next_int(), runtime.gids.next_int()
    stamp = {"created_at": T0, "modified_at": T0}
    with runtime.database.write() as connection:
        connection.execute(
            insert(workspaces).values(
                gid=workspace, name="Acme", is_organization=True, plan="enterprise", **stamp
            )
        )
        connection.execute(insert(users).values(gid=user, name="Ada", email="a@x.test", **stamp))
        jobs.create(
            connection,
            gid=runtime.gids.next_int(),
            kind="organization",
            workspace_gid=workspace,
            created_by_gid=user,
            parameters={},
            now=runtime.clock(),
        )
    job = jobs.claim(runtime.database, "w1", runtime.clock(), LEASE)
    assert job is not None
    return job


def state(runtime: Runtime, gid: int) -> ExportJob:
    with runtime.database.read() as connection:
        job = jobs.get(connection, gid)
    assert job is not None
    return job


class Outage:
    """A store write that raises `error` on its first `failures` calls, then writes."""

    def __init__(self, error: Exception, failures: int, write: Callable[..., bool]) -> None:
        self.error, self.failures, self.write = error, failures, write
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> bool:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return self.write(*args, **kwargs)


def unreachable() -> OperationalError:
    return OperationalError("UPDATE exports", {}, Exception("connection refused"))


@pytest.fixture(autouse=True)
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attempt_module, "RECORD_RETRY_WAIT", 0.05)


def test_a_finished_attempt_is_recorded_once_the_database_is_back(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = claimed_job(runtime)
    finish = Outage(unreachable(), 3, jobs.finish)
    monkeypatch.setattr(jobs, "finish", finish)

    ending = Attempt(runtime, lambda _context: OUTCOME, job, "w1", LEASE).run()

    assert ending is Ending.FINISHED
    assert finish.calls == 4
    recorded = state(runtime, job.gid)
    assert (recorded.state, recorded.file_key, recorded.line_count) == (
        State.FINISHED,
        OUTCOME.file_key,
        OUTCOME.line_count,
    )


def test_a_failed_attempt_is_recorded_with_its_reason_once_the_database_is_back(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = claimed_job(runtime)
    fail = Outage(unreachable(), 2, jobs.fail)
    monkeypatch.setattr(jobs, "fail", fail)

    def broken(_context: JobContext) -> JobOutcome:
        raise unreachable()

    ending = Attempt(runtime, broken, job, "w1", LEASE).run()

    assert ending is Ending.RETRY
    assert fail.calls == 3
    recorded = state(runtime, job.gid)
    assert (recorded.state, recorded.attempts) == (State.PENDING, 1)
    assert recorded.error_reason is not None
    assert recorded.error_reason.startswith("OperationalError: ")


def test_a_database_out_of_reach_for_longer_than_the_lease_leaves_the_job_to_it(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = claimed_job(runtime)
    finish = Outage(unreachable(), 1_000, jobs.finish)
    monkeypatch.setattr(jobs, "finish", finish)

    with pytest.raises(OperationalError):
        Attempt(runtime, lambda _context: OUTCOME, job, "w1", LEASE).run()

    assert 3 <= finish.calls <= 6  # waits of 0.05, 0.1, 0.2, 0.4 s fit in the lease
    recorded = state(runtime, job.gid)
    assert (recorded.state, recorded.lease_owner) == (State.STARTED, "w1")  # to expire


def test_an_error_that_is_not_an_outage_is_not_tried_again(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = claimed_job(runtime)
    refused = IntegrityError("UPDATE exports", {}, Exception("violates a constraint"))
    finish = Outage(refused, 1, jobs.finish)
    monkeypatch.setattr(jobs, "finish", finish)

    with pytest.raises(IntegrityError):
        Attempt(runtime, lambda _context: OUTCOME, job, "w1", LEASE).run()

    assert finish.calls == 1
