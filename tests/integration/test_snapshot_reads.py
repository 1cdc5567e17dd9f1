"""Readers never block writers, and an export sees one state of the store (R8 for O5)."""

from __future__ import annotations

import sys
import time

import orjson
from sqlalchemy import select, update

from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedSpec
from exportd.domain.resource_exports import parse_export_request
from exportd.exports.organization import organization_chunks
from exportd.exports.resource import resource_export_chunks, resource_export_objects
from exportd.runtime import Runtime
from exportd.store.export_reads import arrow_snapshot, paired_snapshot
from exportd.store.schema import tasks

SPEC = SeedSpec(seed=9, users=4, teams=1, projects=2, tasks=40, stories_per_task=1, messages=2)


def test_writers_go_on_while_an_export_reads_and_the_export_keeps_its_snapshot(
    runtime: Runtime,
) -> None:
    seeded = seed_organization(runtime.database, SPEC)
    with runtime.database.read() as connection:
        task_gid = connection.execute(
            select(tasks.c.gid).where(tasks.c.deleted_at.is_(None)).limit(1)
        ).scalar_one()

    database = runtime.database
    with arrow_snapshot(database) as snap:
        pages = organization_chunks(
            snap, seeded.organization_gid, batch_size=10, task_batch_size=10
        )
        first_type, _, _ = next(pages)  # the export is under way
        assert first_type == "workspace"

        started = time.monotonic()
        with runtime.database.write() as writer:
            writer.execute(update(tasks).where(tasks.c.gid == task_gid).values(name="Renamed"))
        assert time.monotonic() - started < 2, "the writer waited for the export"

        rest = [orjson.loads(line) for _type, data, _n in pages for line in data.splitlines()]

    exported = next(o for o in rest if o["resource_type"] == "task" and o["gid"] == str(task_gid))
    assert exported["name"] != "Renamed"  # as it stood when the export began
    with runtime.database.read() as connection:
        now_named = connection.execute(select(tasks.c.name).where(tasks.c.gid == task_gid))
        assert now_named.scalar_one() == "Renamed"


def test_a_columnar_task_export_keeps_its_snapshot_while_writers_go_on(runtime: Runtime) -> None:
    """The Arrow reads of a task export (one batch after another) see the state of the
    store when the export began, and writers do not wait for them."""
    seeded = seed_organization(runtime.database, SPEC)
    with runtime.database.read() as connection:
        last_gid = connection.execute(
            select(tasks.c.gid)
            .where(tasks.c.workspace_gid == seeded.organization_gid, tasks.c.deleted_at.is_(None))
            .order_by(tasks.c.gid.desc())
            .limit(1)
        ).scalar_one()
    request = parse_export_request([{"resource_type": "task", "fields": ["name"]}])
    database = runtime.database
    with paired_snapshot(database) as (connection, snap):
        chunks = resource_export_chunks(
            connection, snap, seeded.organization_gid, request, task_batch_size=5
        )
        first = next(chunks)  # the export is under way: its last task is still to be read
        started = time.monotonic()
        with database.write() as writer:
            writer.execute(update(tasks).where(tasks.c.gid == last_gid).values(name="Renamed"))
        assert time.monotonic() - started < 2, "the writer waited for the export"
        lines = [line for _type, data, _n in (first, *chunks) for line in data.splitlines()]
    exported = [orjson.loads(line) for line in lines]
    assert len(exported) == SPEC.tasks
    assert exported[-1]["gid"] == str(last_gid)
    assert exported[-1]["name"] != "Renamed"


def test_writes_around_an_export_are_kept_and_seen_by_the_next_one(runtime: Runtime) -> None:
    """ADBC's SQLite driver carries its own SQLite; in the server's process it broke the
    server's locks and lost this write. It reads from a child process instead."""
    seeded = seed_organization(runtime.database, SPEC)
    request = parse_export_request([{"resource_type": "task", "fields": ["name"]}])
    before = list(resource_export_objects(runtime.database, seeded.organization_gid, request))
    renamed = int(before[0]["gid"])
    with runtime.database.write() as writer:
        writer.execute(update(tasks).where(tasks.c.gid == renamed).values(name="Renamed"))
    after = list(resource_export_objects(runtime.database, seeded.organization_gid, request))
    assert after[0]["name"] == "Renamed"
    with runtime.database.read() as connection:
        name = connection.execute(select(tasks.c.name).where(tasks.c.gid == renamed))
        assert name.scalar_one() == "Renamed"
    assert "adbc_driver_sqlite" not in sys.modules
