"""The retention sweep (R10) on a real database: old files go, their rows say so, once."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from isal import igzip
from sqlalchemy import insert, select

from exportd.runtime import Runtime
from exportd.storage.local import LocalStorage
from exportd.storage.retention import SweepReport, sweep
from exportd.store.schema import exports
from tests.integration.world import World, build_world

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
RETENTION = timedelta(days=30)
GRACE = timedelta(hours=1)
DATA = igzip.compress(b'{"gid": "1", "resource_type": "workspace"}\n')


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "files")


def add_export(
    runtime: Runtime,
    world: World,
    storage: LocalStorage | None,
    *,
    completed_ago: timedelta | None,
    state: str = "finished",
    key: str | None = None,
    file_deleted_at: datetime | None = None,
) -> int:
    """An export row; its file is published to `storage` when one is given."""
    gid = runtime.gids.next_int()
    key = key or f"exports/{gid}.json.gz"
    if storage is not None:
        with storage.start_upload(key) as upload:
            upload.write(DATA)
            upload.publish(expected_lines=1)
    completed_at = None if completed_ago is None else NOW - completed_ago
    with runtime.database.write() as connection:
        connection.execute(
            insert(exports).values(
                gid=gid,
                kind="organization",
                workspace_gid=world.acme,
                created_by_gid=world.admin,
                state=state,
                file_key=key if state == "finished" else None,
                file_size=len(DATA) if state == "finished" else None,
                created_at=(completed_at or NOW) - timedelta(minutes=5),
                completed_at=completed_at,
                file_deleted_at=file_deleted_at,
            )
        )
    return gid


def file_deleted_at(runtime: Runtime, gid: int) -> datetime | None:
    with runtime.database.read() as connection:
        value: datetime | None = connection.execute(
            select(exports.c.file_deleted_at).where(exports.c.gid == gid)
        ).scalar_one()
    return value


def key_of(gid: int) -> str:
    return f"exports/{gid}.json.gz"


def run(runtime: Runtime, storage: LocalStorage, now: datetime = NOW, **kw: int) -> SweepReport:
    return sweep(runtime.database, storage, now, RETENTION, GRACE, **kw)


def test_files_past_retention_are_deleted_and_marked_newer_kept(
    runtime: Runtime, world: World, storage: LocalStorage
) -> None:
    old = add_export(runtime, world, storage, completed_ago=timedelta(days=31))
    boundary = add_export(runtime, world, storage, completed_ago=RETENTION)
    recent = add_export(runtime, world, storage, completed_ago=timedelta(days=29, hours=23))

    report = run(runtime, storage)

    assert report == SweepReport(files_deleted=2, temporary_removed=0, failed=())
    assert storage.stat(key_of(old)) is None
    assert storage.stat(key_of(boundary)) is None
    assert storage.stat(key_of(recent)) is not None
    assert file_deleted_at(runtime, old) == NOW
    assert file_deleted_at(runtime, boundary) == NOW
    assert file_deleted_at(runtime, recent) is None


def test_rerunning_is_a_no_op(runtime: Runtime, world: World, storage: LocalStorage) -> None:
    old = add_export(runtime, world, storage, completed_ago=timedelta(days=40))
    recent = add_export(runtime, world, storage, completed_ago=timedelta(days=1))
    assert run(runtime, storage).files_deleted == 1

    later = NOW + timedelta(minutes=10)
    assert run(runtime, storage, later) == SweepReport(0, 0, ())
    assert file_deleted_at(runtime, old) == NOW  # the first sweep's time is kept
    assert storage.stat(key_of(recent)) is not None


def test_a_file_already_gone_still_gets_its_row_marked(
    runtime: Runtime, world: World, storage: LocalStorage
) -> None:
    """A sweep that crashed between deleting the file and marking the row is completed."""
    gid = add_export(runtime, world, storage, completed_ago=timedelta(days=31))
    storage.delete(key_of(gid))
    assert run(runtime, storage).files_deleted == 1
    assert file_deleted_at(runtime, gid) == NOW


def test_only_finished_exports_with_a_live_file_are_considered(
    runtime: Runtime, world: World, storage: LocalStorage
) -> None:
    marked_before = NOW - timedelta(days=2)
    already = add_export(
        runtime, world, None, completed_ago=timedelta(days=35), file_deleted_at=marked_before
    )
    failed = add_export(runtime, world, None, completed_ago=timedelta(days=35), state="error")
    pending = add_export(runtime, world, None, completed_ago=None, state="pending")
    assert run(runtime, storage) == SweepReport(0, 0, ())
    assert file_deleted_at(runtime, already) == marked_before
    assert file_deleted_at(runtime, failed) is None
    assert file_deleted_at(runtime, pending) is None


def test_a_file_that_cannot_be_deleted_is_reported_and_the_rest_swept(
    runtime: Runtime, world: World, storage: LocalStorage
) -> None:
    month = timedelta(days=31)
    gids = [add_export(runtime, world, storage, completed_ago=month) for _ in range(2)]
    broken = add_export(runtime, world, None, completed_ago=month, key="../outside")
    gids += [add_export(runtime, world, storage, completed_ago=month) for _ in range(2)]

    report = run(runtime, storage, batch_size=1)  # one row a page: the broken one must not loop

    assert report.files_deleted == 4
    assert report.failed == (broken,)
    assert file_deleted_at(runtime, broken) is None
    assert all(file_deleted_at(runtime, gid) == NOW for gid in gids)
    assert all(storage.stat(key_of(gid)) is None for gid in gids)


def test_abandoned_temporary_files_older_than_the_grace_are_removed(
    runtime: Runtime, storage: LocalStorage
) -> None:
    def abandoned(key: str, written: datetime) -> Path:
        upload = storage.start_upload(key)
        upload.write(b"half an export")
        upload._file.close()  # as a crashed process would: lock released, file left behind
        os.utime(upload.temporary_path, (written.timestamp(), written.timestamp()))
        return upload.temporary_path

    old = abandoned("exports/1.json.gz", NOW - GRACE - timedelta(seconds=1))
    young = abandoned("exports/2.json.gz", NOW - GRACE + timedelta(minutes=1))

    assert run(runtime, storage).temporary_removed == 1
    assert not old.exists()
    assert young.exists()


def test_concurrent_sweeps_agree(runtime: Runtime, world: World, storage: LocalStorage) -> None:
    month = timedelta(days=31)
    gids = [add_export(runtime, world, storage, completed_ago=month) for _ in range(20)]
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def one_sweep() -> None:
        try:
            reports.append(run(runtime, storage, batch_size=3))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one_sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sum(report.files_deleted for report in reports) == len(gids)
    assert all(report.failed == () for report in reports)
    assert all(file_deleted_at(runtime, gid) == NOW for gid in gids)
    assert list((storage.root / "exports").iterdir()) == []
