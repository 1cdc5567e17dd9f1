"""Durable export jobs on a real database: claiming, leases, retries, and the worker pool.

Times are explicit `now` values or a FrozenClock, so lease expiry needs no sleeping; only
the worker-pool tests wait, for real threads to do their work.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError

from exportd import compose
from exportd.clock import FrozenClock
from exportd.domain.jobs import ExportJob, PermanentExportError, State
from exportd.jobs import JobContext, JobOutcome, WorkerPool
from exportd.runtime import Runtime
from exportd.settings import Settings
from exportd.store import jobs
from exportd.store.schema import users, workspaces
from tests.polling import until

T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)
LEASE = timedelta(seconds=30)


class Jobs:
    """Creates jobs and the rows the foreign keys require: the first job is of `workspace`,
    each later one of an organization of its own (one may have one export in progress)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        gid = runtime.gids.next_int
        self.workspace, self.user = gid(), gid()
        self.created = 0
        with runtime.database.write() as connection:
            self._organization(connection, self.workspace)
            connection.execute(
                insert(users).values(
                    gid=self.user, name="Ada", email="ada@x.example", created_at=T0, modified_at=T0
                )
            )

    def _organization(self, connection: Connection, gid: int) -> None:
        connection.execute(
            insert(workspaces).values(
                gid=gid, name="Acme", is_organization=True, plan="enterprise",
                created_at=T0, modified_at=T0,
            )
        )  # fmt: skip

    def create(self, at: datetime = T0, **options: Any) -> ExportJob:
        options.setdefault("kind", "organization")
        with self.runtime.database.write() as connection:
            workspace = self.workspace
            if self.created:
                workspace = self.runtime.gids.next_int()
                self._organization(connection, workspace)
            self.created += 1
            return jobs.create(
                connection,
                gid=self.runtime.gids.next_int(),
                workspace_gid=workspace,
                created_by_gid=self.user,
                parameters={"organization": str(workspace)},
                now=at,
                **options,
            )

    def get(self, gid: int) -> ExportJob:
        with self.runtime.database.read() as connection:
            job = jobs.get(connection, gid)
        assert job is not None
        return job

    def claim(self, worker: str, now: datetime, **options: Any) -> ExportJob | None:
        return jobs.claim(self.runtime.database, worker, now, LEASE, **options)


@pytest.fixture
def made(runtime: Runtime) -> Jobs:
    return Jobs(runtime)


def test_a_new_job_is_pending_and_read_back_as_written(made: Jobs) -> None:
    job = made.create(max_attempts=5)
    assert job == made.get(job.gid)
    assert job.state is State.PENDING
    assert (job.attempts, job.max_attempts, job.progress_objects) == (0, 5, 0)
    assert job.created_at == T0
    assert job.parameters == {"organization": str(made.workspace)}
    with made.runtime.database.read() as connection:
        assert jobs.get(connection, job.gid + 1) is None


def test_claim_takes_the_oldest_pending_job_once(made: Jobs) -> None:
    newer = made.create(at=T0 + timedelta(seconds=1))
    older = made.create(at=T0)
    now = T0 + timedelta(minutes=1)

    first = made.claim("w1", now)
    assert first is not None
    assert first.gid == older.gid
    assert first.state is State.STARTED
    assert (first.attempts, first.lease_owner) == (1, "w1")
    assert (first.started_at, first.lease_expires_at) == (now, now + LEASE)
    assert first == made.get(older.gid)

    second = made.claim("w2", now)
    assert second is not None
    assert second.gid == newer.gid
    assert made.claim("w3", now) is None


def test_claim_only_takes_the_kinds_asked_for(made: Jobs) -> None:
    made.create(kind="resource", job_gid=made.runtime.gids.next_int())
    assert made.claim("w1", T0, kinds=["organization"]) is None
    claimed = made.claim("w1", T0, kinds=["organization", "resource"])
    assert claimed is not None
    assert claimed.kind == "resource"


def test_concurrent_claimers_never_take_the_same_job(made: Jobs) -> None:
    created = {made.create(at=T0 + timedelta(milliseconds=n)).gid for n in range(12)}
    start = threading.Barrier(6)
    taken: list[list[int]] = [[] for _ in range(6)]
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            start.wait()
            while (job := made.claim(f"w{number}", T0 + timedelta(minutes=1))) is not None:
                taken[number].append(job.gid)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    everything = [gid for gids in taken for gid in gids]
    assert sorted(everything) == sorted(created)  # each job exactly once
    assert all(made.get(gid).attempts == 1 for gid in created)


def test_an_expired_lease_lets_another_worker_take_over(made: Jobs) -> None:
    job = made.create()
    assert made.claim("w1", T0) is not None
    assert made.claim("w2", T0 + LEASE) is None  # not expired yet: expiry is strictly after

    later = T0 + LEASE + timedelta(seconds=1)
    taken = made.claim("w2", later)
    assert taken is not None
    assert (taken.gid, taken.lease_owner, taken.attempts) == (job.gid, "w2", 2)

    database = made.runtime.database
    assert not jobs.heartbeat(database, job.gid, "w1", later, LEASE, 99)
    assert not jobs.finish(database, job.gid, "w1", later, "k", 1, 1)
    assert not jobs.fail(database, job.gid, "w1", "late", retry=False)
    assert not jobs.release(database, job.gid, "w1")
    current = made.get(job.gid)
    assert (current.state, current.lease_owner, current.progress_objects) == (
        State.STARTED,
        "w2",
        0,
    )


def test_a_job_whose_workers_keep_vanishing_ends_in_error(made: Jobs) -> None:
    job = made.create()
    now = T0
    for attempt in (1, 2, 3):
        claimed = made.claim(f"w{attempt}", now)
        assert claimed is not None
        assert claimed.attempts == attempt
        now += LEASE + timedelta(seconds=1)  # the worker dies: no heartbeat, no outcome

    assert made.claim("w4", now) is None
    ended = made.get(job.gid)
    assert ended.state is State.ERROR
    assert ended.error_reason == "the worker running this export stopped responding (3 attempts)"
    assert ended.lease_expires_at is None
    assert ended.completed_at is None


def test_a_claim_gives_up_stalled_jobs_on_its_way_to_a_runnable_one(made: Jobs) -> None:
    stalled = made.create(at=T0, max_attempts=1)
    waiting = made.create(at=T0 + timedelta(seconds=1))
    assert made.claim("w1", T0) is not None
    later = T0 + timedelta(minutes=5)
    claimed = made.claim("w2", later)
    assert claimed is not None
    assert claimed.gid == waiting.gid
    assert made.get(stalled.gid).state is State.ERROR


def test_the_sweep_fails_stalled_jobs_with_no_attempts_left(made: Jobs) -> None:
    exhausted = made.create(max_attempts=1)
    retryable = made.create(at=T0 + timedelta(seconds=1))
    assert made.claim("w1", T0) is not None
    assert made.claim("w1", T0) is not None
    database = made.runtime.database

    assert jobs.fail_stalled(database, T0 + LEASE) == 0  # still within their leases
    assert jobs.fail_stalled(database, T0 + LEASE + timedelta(seconds=1)) == 1
    assert made.get(exhausted.gid).state is State.ERROR
    assert "(1 attempt)" in (made.get(exhausted.gid).error_reason or "")
    assert made.get(retryable.gid).state is State.STARTED  # the next claim retries it


def test_a_job_created_with_no_attempts_ends_in_error_unstarted(made: Jobs) -> None:
    job = made.create(max_attempts=0)
    assert made.claim("w1", T0) is None
    ended = made.get(job.gid)
    assert (ended.state, ended.attempts) == (State.ERROR, 0)
    assert "no attempts left" in (ended.error_reason or "")


def test_heartbeats_renew_the_lease_and_record_progress(made: Jobs) -> None:
    job = made.create()
    assert made.claim("w1", T0) is not None
    database = made.runtime.database
    later = T0 + timedelta(seconds=20)
    assert jobs.heartbeat(database, job.gid, "w1", later, LEASE, 1234)
    current = made.get(job.gid)
    assert (current.lease_expires_at, current.progress_objects) == (later + LEASE, 1234)
    assert made.claim("w2", T0 + LEASE + timedelta(seconds=1)) is None  # renewed in time
    assert jobs.heartbeat(database, job.gid, "w1", later, LEASE)  # progress is optional
    assert made.get(job.gid).progress_objects == 1234


def test_finish_records_the_file_and_ends_the_lease(made: Jobs) -> None:
    job = made.create()
    assert made.claim("w1", T0) is not None
    done = T0 + timedelta(seconds=5)
    assert jobs.finish(made.runtime.database, job.gid, "w1", done, "exports/a.json.gz", 10, 3, 3)
    finished = made.get(job.gid)
    assert finished.state is State.FINISHED
    assert (finished.file_key, finished.file_size, finished.line_count) == (
        "exports/a.json.gz",
        10,
        3,
    )
    assert (finished.completed_at, finished.progress_objects) == (done, 3)
    assert finished.lease_expires_at is None
    assert not jobs.finish(made.runtime.database, job.gid, "w1", done, "again", 1, 1)


def test_a_failure_is_retried_or_ends_the_job(made: Jobs) -> None:
    job = made.create()
    database = made.runtime.database
    assert made.claim("w1", T0) is not None
    assert jobs.fail(database, job.gid, "w1", "ValueError: boom", retry=True)
    retried = made.get(job.gid)
    assert (retried.state, retried.attempts, retried.error_reason) == (
        State.PENDING,
        1,
        "ValueError: boom",
    )
    assert (retried.lease_owner, retried.lease_expires_at, retried.started_at) == (None,) * 3

    again = made.claim("w2", T0)
    assert again is not None
    assert again.attempts == 2
    assert jobs.fail(database, job.gid, "w2", "organization: gone", retry=False)
    failed = made.get(job.gid)
    assert (failed.state, failed.error_reason) == (State.ERROR, "organization: gone")
    assert made.claim("w3", T0) is None


def test_a_failed_job_is_claimable_again_only_when_its_retry_is_due(made: Jobs) -> None:
    job = made.create()
    assert made.claim("w1", T0) is not None
    due = T0 + timedelta(seconds=40)
    assert jobs.fail(made.runtime.database, job.gid, "w1", "OSError: gone", True, due)
    assert made.get(job.gid).state is State.PENDING
    later = made.create(at=T0 + timedelta(seconds=1))  # newer, but runnable now

    assert made.claim("w2", due - timedelta(seconds=1)) == made.get(later.gid)
    assert made.claim("w2", due - timedelta(seconds=1)) is None
    retried = made.claim("w2", due)
    assert retried is not None
    assert (retried.gid, retried.attempts) == (job.gid, 2)


def test_a_failing_handler_waits_the_retry_delay_between_attempts(
    made: Jobs, pools: Callable[..., WorkerPool]
) -> None:
    clock = FrozenClock(T0)
    made.runtime.clock = clock
    made.runtime.settings = made.runtime.settings.model_copy(update={"retry_delay": 30.0})
    calls: list[int] = []

    def handler(context: JobContext) -> JobOutcome:
        calls.append(context.job.attempts)
        raise OSError("the bucket is unreachable")

    pools(handler)
    job = made.create(max_attempts=3)
    _wait_until(
        lambda: made.get(job.gid).attempts == 1 and made.get(job.gid).state is State.PENDING
    )
    assert made.get(job.gid).lease_expires_at == T0 + timedelta(seconds=30)
    time.sleep(0.3)  # polls go by; the retry is not due
    assert calls == [1]

    clock.advance(timedelta(seconds=30))
    _wait_until(lambda: calls == [1, 2] and made.get(job.gid).state is State.PENDING)
    assert made.get(job.gid).lease_expires_at == T0 + timedelta(seconds=30 + 120)


def test_release_hands_the_job_back_without_counting_the_attempt(made: Jobs) -> None:
    job = made.create()
    database = made.runtime.database
    assert made.claim("w1", T0) is not None
    assert jobs.release(database, job.gid, "w1")
    released = made.get(job.gid)
    assert (released.state, released.attempts, released.lease_owner) == (State.PENDING, 0, None)
    assert not jobs.release(database, job.gid, "w1")
    taken = made.claim("w2", T0)
    assert taken is not None
    assert taken.attempts == 1


def test_a_job_survives_a_restart(made: Jobs, settings: Settings) -> None:
    job = made.create()
    made.runtime.close()
    restarted = compose.open_runtime(settings)
    try:
        claimed = jobs.claim(restarted.database, "after-restart", T0, LEASE)
        assert claimed is not None
        assert claimed.gid == job.gid
    finally:
        restarted.close()


# The worker pool, end to end on real threads.


def _wait_until(condition: Callable[[], bool]) -> None:
    until(condition, 15.0, "the worker pool", interval=0.02)


@pytest.fixture
def pools(runtime: Runtime) -> Iterator[Callable[..., WorkerPool]]:
    """Started pools, stopped before the store closes."""
    started: list[WorkerPool] = []

    def start(handler: Callable[[JobContext], JobOutcome], **options: Any) -> WorkerPool:
        options.setdefault("poll_interval", 0.05)
        pool = WorkerPool(runtime, {"organization": handler}, **options)
        pool.start()
        started.append(pool)
        return pool

    yield start
    for pool in started:
        pool.stop(timeout=5)


def _outcome(lines: int) -> JobOutcome:
    return JobOutcome(file_key="exports/x.json.gz", file_size=100, line_count=lines)


def test_the_pool_runs_a_job_end_to_end(made: Jobs, pools: Callable[..., WorkerPool]) -> None:
    seen: list[ExportJob] = []

    def handler(context: JobContext) -> JobOutcome:
        seen.append(context.job)
        context.report_progress(3)
        context.report_progress(7)
        return _outcome(7)

    pool = pools(handler, poll_interval=30)  # only a ring can start it promptly
    job = made.create()
    made.runtime.notices.enqueued()
    _wait_until(lambda: made.get(job.gid).state is State.FINISHED)
    finished = made.get(job.gid)
    assert (finished.progress_objects, finished.line_count) == (7, 7)
    assert finished.completed_at is not None
    assert finished.lease_owner is not None
    assert finished.lease_owner.startswith(pool.name)
    assert [job.state for job in seen] == [State.STARTED]


def test_the_pool_writes_progress_while_a_job_runs(
    made: Jobs, pools: Callable[..., WorkerPool]
) -> None:
    release = threading.Event()

    def handler(context: JobContext) -> JobOutcome:
        context.report_progress(42)
        release.wait(10)
        return _outcome(42)

    pools(handler, progress_interval=0.02)
    job = made.create()
    _wait_until(lambda: made.get(job.gid).progress_objects == 42)
    assert made.get(job.gid).state is State.STARTED
    release.set()
    _wait_until(lambda: made.get(job.gid).state is State.FINISHED)


def test_a_failing_handler_is_retried_then_ends_in_error(
    made: Jobs, pools: Callable[..., WorkerPool]
) -> None:
    calls: list[int] = []

    def handler(context: JobContext) -> JobOutcome:
        calls.append(context.job.attempts)
        raise ValueError("the disk is full")

    pools(handler)
    job = made.create(max_attempts=2)
    _wait_until(lambda: made.get(job.gid).state is State.ERROR)
    failed = made.get(job.gid)
    assert calls == [1, 2]
    assert failed.attempts == 2
    assert failed.error_reason == "ValueError: the disk is full (attempt 2 of 2)"


def test_a_permanent_error_is_not_retried(made: Jobs, pools: Callable[..., WorkerPool]) -> None:
    calls: list[int] = []

    def handler(context: JobContext) -> JobOutcome:
        calls.append(context.job.attempts)
        raise PermanentExportError("organization: no longer exists")

    pools(handler)
    job = made.create()
    _wait_until(lambda: made.get(job.gid).state is State.ERROR)
    assert calls == [1]
    assert made.get(job.gid).error_reason == "organization: no longer exists"


def test_stop_hands_back_a_job_still_running_after_the_timeout(
    made: Jobs, pools: Callable[..., WorkerPool]
) -> None:
    started, heeded = threading.Event(), threading.Event()

    def handler(context: JobContext) -> JobOutcome:
        started.set()
        context.cancelled.wait(10)
        heeded.set()
        context.raise_if_cancelled()
        return _outcome(1)

    pool = pools(handler)
    job = made.create()
    assert started.wait(10)
    assert pool.running() == [job.gid]
    assert pool.stop(timeout=0.1) == [job.gid]
    assert heeded.wait(10)
    released = made.get(job.gid)
    assert (released.state, released.attempts, released.lease_owner) == (State.PENDING, 0, None)


def test_stop_lets_a_job_finish_within_the_timeout(
    made: Jobs, pools: Callable[..., WorkerPool]
) -> None:
    started = threading.Event()

    def handler(context: JobContext) -> JobOutcome:
        started.set()
        time.sleep(0.3)
        return _outcome(1)

    pool = pools(handler)
    job = made.create()
    assert started.wait(10)
    assert pool.stop(timeout=10) == []
    assert made.get(job.gid).state is State.FINISHED


def test_a_worker_that_lost_its_lease_stops_and_writes_nothing(
    made: Jobs, pools: Callable[..., WorkerPool]
) -> None:
    clock = FrozenClock(T0)
    made.runtime.clock = clock
    started, heeded = threading.Event(), threading.Event()

    def handler(context: JobContext) -> JobOutcome:
        started.set()
        context.cancelled.wait(10)
        heeded.set()
        return _outcome(1)  # a handler that ignores the flag still cannot finish

    pools(handler, lease=timedelta(seconds=0.3), progress_interval=0.02)
    job = made.create()
    assert started.wait(10)
    taken = made.claim("other", T0 + timedelta(minutes=1))  # the pool's clock stands at T0
    assert taken is not None
    assert taken.gid == job.gid
    assert heeded.wait(10)
    time.sleep(0.1)  # give the pool's worker time to (not) record anything
    current = made.get(job.gid)
    assert (current.state, current.lease_owner, current.attempts) == (State.STARTED, "other", 2)


@pytest.mark.parametrize("kind", ["organization", "resource"])
def test_the_database_refuses_a_second_unfinished_export_of_a_kind_as_in_progress(
    made: Jobs, kind: str
) -> None:
    """What a request that raced past the in-progress check meets: named for what it is,
    by the index that refused it, on both backends."""
    first = made.create(kind=kind, job_gid=made.runtime.gids.next_int())
    with pytest.raises(jobs.ExportInProgress), made.runtime.database.write() as connection:
        jobs.create(
            connection,
            gid=made.runtime.gids.next_int(),
            job_gid=made.runtime.gids.next_int(),
            kind=kind,
            workspace_gid=first.workspace_gid,
            created_by_gid=made.user,
            parameters={},
            now=T0,
        )


def test_another_unique_violation_is_not_taken_for_an_export_in_progress(made: Jobs) -> None:
    first = made.create(kind="resource", job_gid=made.runtime.gids.next_int())
    with pytest.raises(IntegrityError) as refused:
        made.create(kind="resource", job_gid=first.job_gid)  # in another organization
    assert not isinstance(refused.value, jobs.ExportInProgress)
