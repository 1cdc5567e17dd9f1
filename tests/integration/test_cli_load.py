"""`exportd load` as a person runs it: real export files into a real DuckDB file."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult
from exportd.jobs import WorkerPool
from exportd.runtime import Runtime
from exportd.settings import Settings
from tests.integration.proxy import Proxy
from tests.integration.test_cli_export import (
    SPEC,
    exportd,
    seeded_kinds,
    seeded_kinds_of,
)
from tests.integration.test_cli_export import database_url as database_url  # SQLite only
from tests.integration.test_cli_export import proxy as proxy

README_QUERIES = {
    "tasks per assignee": """
        select assignee_name, count(*) as tasks from task
        where not completed group by assignee_name order by tasks desc""",
    "overdue tasks per project": """
        select m.project_name, count(*) as overdue from task t
        join task_memberships m on m.task_gid = t.gid
        where not t.completed and t.due_on < current_date
        group by m.project_name order by overdue desc""",
    "comments per task": """
        select t.name, count(s.gid) as comments from task t
        left join story s on s.parent_gid = t.gid and s.type = 'comment'
        group by t.gid, t.name order by comments desc limit 10""",
}


@pytest.fixture
def seeded(runtime: Runtime) -> SeedResult:
    return seed_organization(runtime.database, SPEC)


def run(*args: str, settings: Settings | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EXPORTD_")}
    if settings is not None:
        environment["EXPORTD_DATABASE_URL"] = settings.database_url
        environment["EXPORTD_HOME"] = str(settings.home)
    return subprocess.run(
        [sys.executable, "-m", "exportd", *args],
        capture_output=True, text=True, env=environment, timeout=300, check=False,
    )  # fmt: skip


def objects_of(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def tables_of(database: Path) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as connection:
        names = [row[0] for row in connection.execute("show tables").fetchall()]
        counts = {}
        for name in names:
            found = connection.execute(f'select count(*) from "{name}"').fetchone()
            assert found is not None
            counts[name] = int(found[0])
        return counts


@pytest.fixture
def dumped(runtime: Runtime, seeded: SeedResult, tmp_path: Path) -> Path:
    """The organization's export file, as `exportd dump` writes it (an export's format)."""
    path = tmp_path / "org.jsonl.gz"
    done = run(
        "dump", "--organization", str(seeded.organization_gid), "--output", str(path),
        settings=runtime.settings,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return path


def test_every_object_of_an_organization_export_is_a_row(
    dumped: Path, seeded: SeedResult, tmp_path: Path
) -> None:
    database = tmp_path / "org.duckdb"
    done = run("load", str(dumped), "--into", str(database), "--json")
    assert done.returncode == 0, done.stderr
    objects = objects_of(dumped)
    in_file = Counter(str(obj["resource_type"]) for obj in objects)
    tables = tables_of(database)
    assert {kind: tables[kind] for kind in in_file} == dict(in_file)
    assert seeded_kinds(tables) == seeded_kinds_of(seeded)
    assert orjson.loads(done.stdout)["tables"]["task"] == in_file["task"]
    tasks = [obj for obj in objects if obj["resource_type"] == "task"]
    assert tables["task_followers"] == sum(len(task["followers"]) for task in tasks)
    assert tables["task_memberships"] == sum(len(task["memberships"]) for task in tasks)
    with duckdb.connect(str(database), read_only=True) as connection:
        columns = dict(connection.execute("select column_name, data_type from "
                                          "information_schema.columns where table_name = 'task'"
                                          ).fetchall())  # fmt: skip
        assert columns["created_at"] == "TIMESTAMP"
        assert columns["due_on"] == "DATE"
        assert columns["completed"] == "BOOLEAN"
        assert columns["assignee_gid"] == "VARCHAR"
        assert "assignee_name" in columns
        first = tasks[0]
        row = connection.execute(
            "select name, assignee_gid, strftime(created_at, '%Y-%m-%dT%H:%M:%S.%gZ') "
            "from task where gid = ?",
            [first["gid"]],
        ).fetchone()
        assignee = first["assignee"]["gid"] if first["assignee"] else None
        assert row == (first["name"], assignee, first["created_at"])
        for name, query in README_QUERIES.items():
            assert connection.execute(query).fetchall(), name


def test_loading_twice_replaces(dumped: Path, tmp_path: Path) -> None:
    database = tmp_path / "org.duckdb"
    assert run("load", str(dumped), "--into", str(database)).returncode == 0
    first = tables_of(database)
    again = run("load", str(dumped), "--into", str(database))
    assert again.returncode == 0, again.stderr
    assert tables_of(database) == first
    assert "loaded " in again.stdout
    assert f"{first['task']:,}" in again.stdout


def test_a_resource_export_embeds_stories_loaded_by_their_task(
    proxy: Proxy, seeded: SeedResult, workers: WorkerPool, tmp_path: Path
) -> None:
    output = tmp_path / "tasks.json.gz"
    done = exportd(
        proxy, seeded.service_account_token, "resource", "--workspace",
        str(seeded.organization_gid), "--type", "task", "--output", str(output),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    tasks = objects_of(output)
    database = tmp_path / "tasks.duckdb"
    loaded = run("load", str(output), "--into", str(database))
    assert loaded.returncode == 0, loaded.stderr
    tables = tables_of(database)
    assert tables["task"] == len(tasks) == seeded.counts["tasks"]
    assert tables["story"] == sum(len(task["stories"]) for task in tasks) > 0
    assert tables["attachment"] == sum(len(task["attachments"]) for task in tasks) > 0
    with duckdb.connect(str(database), read_only=True) as connection:
        per_task = dict(
            connection.execute("select parent_gid, count(*) from story group by 1").fetchall()
        )
    assert per_task == {task["gid"]: len(task["stories"]) for task in tasks if task["stories"]}


@pytest.fixture
def not_an_export(tmp_path: Path) -> Path:
    path = tmp_path / "other.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"hello": "world"}\n'))
    return path


def test_files_that_are_not_exports_are_one_line(not_an_export: Path, tmp_path: Path) -> None:
    database = tmp_path / "x.duckdb"
    done = run("load", str(not_an_export), "--into", str(database))
    assert done.returncode == 1
    *_, last = done.stderr.splitlines()  # after the progress lines, one line of error
    assert last.startswith("error: ")
    assert "no resource_type" in last
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(gzip.compress(b'{"gid": "1", "resource_type": "task"}\n' * 1000)[:60])
    done = run("load", str(broken), "--into", str(database))
    assert done.returncode == 1
    *_, last = done.stderr.splitlines()
    assert last.startswith(f"error: {broken}: "), done.stderr
    assert "Traceback" not in done.stderr
