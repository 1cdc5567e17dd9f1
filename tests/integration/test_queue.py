"""The procrastinate adapter in one process, on a real PostgreSQL: messages commit with
their job, and a task claims exactly the job its message names (or any, when sweeping),
sends it again when it goes back to `pending`, and hands it back when asked to stop."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from procrastinate import JobContext
from sqlalchemy import text

from exportd import compose
from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.domain.jobs import ExportJob
from exportd.errors import ConfigurationError
from exportd.jobs.context import JobContext as ExportContext
from exportd.jobs.context import JobOutcome
from exportd.jobs.handlers import HANDLERS
from exportd.jobs.queue import RUN_EXPORT, Delivery, libpq_url
from exportd.jobs.queue.worker import ExportTasks, every
from exportd.runtime import Runtime
from exportd.settings import Settings
from exportd.store import jobs
from tests.conftest import _postgres_schema

pytestmark = pytest.mark.postgres

TINY = SeedSpec(
    seed=6, users=3, teams=1, projects=1, tasks=5, stories_per_task=1, attachments_per_task=0,
    messages=2,
)  # fmt: skip


@pytest.fixture
def database_url() -> Iterator[str]:
    """PostgreSQL only: procrastinate lives there."""
    yield from _postgres_schema()


@pytest.fixture
def organization(runtime: Runtime) -> SeedResult:
    return seed_organization(runtime.database, TINY)


def new_job(
    runtime: Runtime, organization: SeedResult, deliver: bool = True, kind: str = "organization"
) -> int:
    """A new export job: of the whole organization, or a resource export of its teams (an
    organization has one export of each kind in progress at a time)."""
    resource = kind == "resource"
    with runtime.database.write() as connection:
        job = jobs.create(
            connection,
            gid=runtime.gids.next_int(),
            job_gid=runtime.gids.next_int() if resource else None,
            kind=kind,
            workspace_gid=organization.organization_gid,
            created_by_gid=organization.service_account_gid,
            parameters={"export_request_parameters": [{"resource_type": "team"}]}
            if resource
            else {},
            now=runtime.clock(),
        )
        if deliver:
            Delivery()(connection, job.gid)
    return job.gid


def job(runtime: Runtime, gid: int) -> ExportJob:
    with runtime.database.read() as connection:
        found = jobs.get(connection, gid)
    assert found is not None
    return found


def messages(runtime: Runtime) -> list[tuple[str, str, Any]]:
    with runtime.database.read() as connection:
        rows = connection.execute(
            text("SELECT task_name, status, args FROM procrastinate_jobs ORDER BY id")
        )
        return [(name, status, args) for name, status, args in rows]


@dataclass
class _Job:
    id: int


@dataclass
class StubContext:
    """What a task reads of procrastinate's JobContext: its job's id and `should_abort`."""

    job: _Job
    should_abort: Callable[[], bool] = lambda: False


def context(number: int, should_abort: Callable[[], bool] = lambda: False) -> JobContext:
    return cast(JobContext, StubContext(_Job(number), should_abort))


def test_a_message_commits_with_its_job_or_not_at_all(
    runtime: Runtime, organization: SeedResult
) -> None:
    gid = new_job(runtime, organization)
    assert messages(runtime) == [(RUN_EXPORT, "todo", {"export_gid": gid})]

    with pytest.raises(RuntimeError), runtime.database.write() as connection:
        Delivery()(connection, 12345)
        raise RuntimeError("the request failed after deferring")
    assert len(messages(runtime)) == 1


def test_processes_defer_messages_only_when_the_queue_is_procrastinate(
    tmp_path: Path, database_url: str
) -> None:
    home = tmp_path / "home"
    queued = compose.open_runtime(
        Settings.load(home=home, database_url=database_url, queue="procrastinate")
    )
    embedded = compose.open_runtime(Settings.load(home=home, database_url=database_url))
    assert isinstance(queued.notices.defer, Delivery)
    assert embedded.notices.defer is None
    queued.close()
    embedded.close()


def test_procrastinate_needs_postgresql(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="needs PostgreSQL"):
        Settings.load(home=tmp_path / "home", queue="procrastinate")


def test_a_task_claims_the_job_its_message_names(
    runtime: Runtime, organization: SeedResult
) -> None:
    older = new_job(runtime, organization, deliver=False, kind="resource")
    named = new_job(runtime, organization)
    tasks = ExportTasks(runtime, HANDLERS)

    assert tasks.run(context(1), named) == f"export {named}: finished"
    assert tasks.run(context(2), named) == "nothing to claim"  # a duplicate delivery

    finished, waiting = job(runtime, named), job(runtime, older)
    assert (finished.state.value, finished.lease_owner) == ("finished", f"{tasks.name}:1")
    assert waiting.state.value == "pending"
    # The sweep takes whatever is claimable: the job that never had a message.
    assert tasks.run(context(3), None) == f"export {older}: finished"
    assert tasks.run(context(4), None) == "nothing to claim"


def test_a_failed_attempt_is_sent_again_for_its_retry(
    runtime: Runtime, organization: SeedResult
) -> None:
    gid = new_job(runtime, organization)
    runtime.settings = runtime.settings.model_copy(update={"retry_delay": 30.0})

    def broken(_context: ExportContext) -> JobOutcome:
        raise OSError("disk full")

    tasks = ExportTasks(runtime, {"organization": broken})

    assert tasks.run(context(1), gid) == f"export {gid}: retry"

    assert messages(runtime)[-1] == (RUN_EXPORT, "todo", {"export_gid": gid})
    assert len(messages(runtime)) == 2
    retried = job(runtime, gid)
    assert (retried.state.value, retried.attempts) == ("pending", 1)
    with runtime.database.read() as connection:  # the message is due when the retry is
        wait = connection.execute(
            text("SELECT max(scheduled_at) - now() FROM procrastinate_jobs")
        ).scalar_one()
    assert timedelta(seconds=25) < wait <= timedelta(seconds=30)


def test_a_task_asked_to_stop_hands_its_job_back(
    runtime: Runtime, organization: SeedResult
) -> None:
    gid = new_job(runtime, organization)
    started, stop = threading.Event(), threading.Event()

    def slow(job_context: ExportContext) -> JobOutcome:
        started.set()
        while not job_context.cancelled.wait(0.05):
            pass
        job_context.raise_if_cancelled()
        raise AssertionError("unreachable")

    tasks = ExportTasks(runtime, {"organization": slow})
    runner = threading.Thread(target=lambda: tasks.run(context(1, stop.is_set), gid))
    runner.start()
    assert started.wait(10)
    stop.set()  # what procrastinate's shutdown abort looks like to a synchronous task
    runner.join(10)
    assert not runner.is_alive()

    handed_back = job(runtime, gid)
    assert (handed_back.state.value, handed_back.attempts, handed_back.lease_owner) == (
        "pending",
        0,
        None,
    )
    assert messages(runtime)[-1] == (RUN_EXPORT, "todo", {"export_gid": gid})


def test_sweeps_run_about_every_lease() -> None:
    assert every(2) == "* * * * * */2"
    assert every(30) == "* * * * * */30"
    assert every(90) == "* * * * *"


def test_procrastinate_connects_where_exportd_does() -> None:
    url = "postgresql+psycopg://u:p%40ss@db:5433/x?options=-csearch_path%3Dt_1"
    assert libpq_url(url) == "postgresql://u:p%40ss@db:5433/x?options=-csearch_path%3Dt_1"
