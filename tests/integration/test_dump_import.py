"""`exportd dump` and `exportd import`: round trips between two stores, and refused files."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from exportd import compose
from exportd.cli import app
from exportd.datagen import importer
from exportd.datagen.fields import ImportRefused
from exportd.datagen.importer import import_jsonl, open_input
from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.exports.jsonl import write_file
from exportd.exports.organization import organization_chunks
from exportd.runtime import Runtime
from exportd.settings import Settings
from exportd.store import schema
from exportd.store.export_reads import arrow_snapshot
from tests.conftest import _postgres_schema
from tests.unit.test_shapes_organization import T0, Sample, build_sample

SMALL = SeedSpec(seed=7, users=6, teams=2, projects=3, tasks=60, messages=15)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def open_store(backend: str, folder: Path, template: Path) -> Iterator[Runtime]:
    """An empty, migrated store of its own on `backend`."""
    if backend == "sqlite":
        path = folder / "exportd.sqlite3"
        shutil.copyfile(template, path)
        urls: Iterator[str] = iter([f"sqlite:///{path}"])
    else:
        urls = _postgres_schema()
    for url in urls:
        runtime = compose.open_runtime(Settings.load(home=folder / "home", database_url=url))
        runtime.migrate()
        try:
            yield runtime
        finally:
            runtime.close()


@pytest.fixture
def fresh(backend: str, tmp_path: Path, sqlite_template: Path) -> Iterator[Runtime]:
    """An empty store to import into."""
    folder = tmp_path / "fresh"
    folder.mkdir()
    with open_store(backend, folder, sqlite_template) as runtime:
        yield runtime


@pytest.fixture
def seeded(backend: str, tmp_path: Path, sqlite_template: Path) -> Iterator[Seeded]:
    """A store with a small seeded organization."""
    folder = tmp_path / "seeded"
    folder.mkdir()
    with open_store(backend, folder, sqlite_template) as runtime:
        yield Seeded(runtime, seed_organization(runtime.database, SMALL))


@dataclass(frozen=True)
class Seeded:
    runtime: Runtime
    result: SeedResult


@dataclass(frozen=True)
class Source:
    runtime: Runtime
    sample: Sample
    lines: list[bytes]
    """The sample's export, line by line."""


@pytest.fixture(scope="module")
def source(
    backend: str, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Source]:
    """The hand-built sample (tests/unit/test_shapes_organization.py) and its export."""
    folder = tmp_path_factory.mktemp("source")
    with open_store(backend, folder, sqlite_template) as runtime:
        sample = build_sample(runtime)
        dump(runtime, sample.organization, folder / "sample.jsonl")
        yield Source(runtime, sample, read_lines(folder / "sample.jsonl"))


@pytest.fixture(scope="module")
def untouched(
    backend: str, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Runtime]:
    """A store that refused imports must leave empty: shared, as none may change it."""
    with open_store(backend, tmp_path_factory.mktemp("untouched"), sqlite_template) as runtime:
        yield runtime


def dump(runtime: Runtime, organization: int, path: Path) -> Counter[str]:
    database = runtime.database
    with arrow_snapshot(database) as snap:
        counts, _ = write_file(path, organization_chunks(snap, organization))
        return counts


def read_lines(path: Path) -> list[bytes]:
    with open_input(path) as (_, stream):
        return list(stream)


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines))
    return path


def row_counts(runtime: Runtime) -> dict[str, int]:
    with runtime.database.read() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in schema.metadata.sorted_tables
        }


def test_a_seeded_organization_survives_dump_import_dump(
    seeded: Seeded, fresh: Runtime, tmp_path: Path
) -> None:
    organization = seeded.result.organization_gid
    first = tmp_path / "first.jsonl.gz"
    counts = dump(seeded.runtime, organization, first)
    assert counts["task"] == seeded.result.counts["tasks"]
    assert first.read_bytes()[:2] == b"\x1f\x8b"
    plain_named = tmp_path / "first.data"  # gzip is told by its bytes, not by the name
    shutil.copyfile(first, plain_named)

    imported = import_jsonl(fresh.database, plain_named, now=fresh.clock())

    assert imported == counts
    second = tmp_path / "second.jsonl"
    assert dump(fresh, organization, second) == counts
    assert read_lines(second) == read_lines(first)


def test_deletions_and_dangling_relations_survive_a_round_trip(
    source: Source, fresh: Runtime, tmp_path: Path
) -> None:
    import_jsonl(fresh.database, write_lines(tmp_path / "a.jsonl", source.lines), now=fresh.clock())
    dump(fresh, source.sample.organization, tmp_path / "b.jsonl")
    assert read_lines(tmp_path / "b.jsonl") == source.lines


def test_objects_may_refer_to_objects_further_down_the_file(
    source: Source, fresh: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "FLUSH_ROWS", 7)  # many writes, before the workspace comes
    backwards = write_lines(tmp_path / "backwards.jsonl", source.lines[::-1])
    import_jsonl(fresh.database, backwards, now=fresh.clock())
    dump(fresh, source.sample.organization, tmp_path / "b.jsonl")
    assert read_lines(tmp_path / "b.jsonl") == source.lines


def test_stories_and_attachments_embedded_in_tasks_are_loaded(
    source: Source, fresh: Runtime, tmp_path: Path
) -> None:
    """Resource exports put a task's stories and attachments inside it (R3)."""
    objects = [orjson.loads(line) for line in source.lines]
    tasks = {obj["gid"]: obj for obj in objects if obj["resource_type"] == "task"}
    kept, moved = [], 0
    for obj in objects:
        owner = obj.get("target") or obj.get("parent")
        if obj["resource_type"] in ("story", "attachment") and owner["gid"] in tasks:
            embedded = {k: v for k, v in obj.items() if k not in ("target", "parent")}
            plural = "stories" if obj["resource_type"] == "story" else "attachments"
            tasks[owner["gid"]].setdefault(plural, []).append(embedded)
            moved += 1
        else:
            kept.append(obj)
    assert moved >= 3
    embedded_file = write_lines(tmp_path / "embedded.jsonl", [orjson.dumps(o) for o in kept])

    counts = import_jsonl(fresh.database, embedded_file, now=fresh.clock())

    assert counts == Counter(obj["resource_type"] for obj in objects)
    dump(fresh, source.sample.organization, tmp_path / "b.jsonl")
    assert read_lines(tmp_path / "b.jsonl") == source.lines


def test_import_into_an_existing_organization(
    source: Source, fresh: Runtime, tmp_path: Path
) -> None:
    target = fresh.gids.next_int()
    with fresh.database.write() as connection:
        connection.execute(
            insert(schema.workspaces).values(
                gid=target,
                name="Initech",
                is_organization=True,
                plan="enterprise",
                email_domains=[],
                created_at=T0,
                modified_at=T0,
            )
        )
    path = write_lines(tmp_path / "a.jsonl", source.lines)

    counts = import_jsonl(fresh.database, path, now=fresh.clock(), organization_gid=target)

    assert "workspace" not in counts
    moved = dump(fresh, target, tmp_path / "b.jsonl")
    assert moved == Counter({**counts, "workspace": 1})
    text = (tmp_path / "b.jsonl").read_text()
    assert f'"gid":"{source.sample.organization}"' not in text
    assert text.count('"resource_type":"workspace","name":"Initech"') > moved["task"]


def _tag(lines: list[bytes], **changes: Any) -> bytes:
    tag = next(orjson.loads(line) for line in lines if b'"resource_type":"tag"' in line)
    return orjson.dumps({**tag, "gid": "777", **changes})


SPOILED: dict[str, tuple[Any, str]] = {
    "malformed JSON": (lambda lines: b'{"gid": "1", "resource_type": ', "not valid JSON"),
    "not an object": (lambda lines: b"[1, 2]", "expected a JSON object"),
    "no gid": (lambda lines: _tag(lines, gid=None), "gid: Missing input"),
    "no resource type": (
        lambda lines: _tag(lines, resource_type=None),
        "resource_type: Missing input",
    ),
    "unknown resource type": (
        lambda lines: _tag(lines, resource_type="spaceship"),
        "resource_type: unknown resource type 'spaceship'",
    ),
    "bad gid": (lambda lines: _tag(lines, gid="12ab"), "gid: expected a numeric string"),
    "wrong type": (lambda lines: _tag(lines, name=5), "name: expected a string, got a number"),
    "unknown enum value": (
        lambda lines: _tag(lines, color="plaid"),
        "color: unknown value 'plaid'",
    ),
    "bad time": (lambda lines: _tag(lines, created_at="yesterday"), "created_at: expected"),
    "missing reference": (
        lambda lines: _tag(lines, workspace={"gid": "999", "resource_type": "workspace"}),
        "workspace: no workspace with gid 999 in the file or the store",
    ),
    "reference of the wrong type": (
        lambda lines: _tag(lines, workspace={"gid": orjson.loads(lines[1])["gid"]}),
        "is a user, not a workspace",
    ),
    "duplicate gid": (lambda lines: lines[3], "appears twice in the file"),
}


@pytest.mark.parametrize("case", sorted(SPOILED))
def test_a_bad_line_is_named_and_nothing_is_imported(
    case: str, source: Source, untouched: Runtime, tmp_path: Path
) -> None:
    spoil, reason = SPOILED[case]
    middle = len(source.lines) // 2
    lines = [*source.lines[:middle], spoil(source.lines), *source.lines[middle:]]
    path = write_lines(tmp_path / "spoiled.jsonl", lines)
    before = row_counts(untouched)

    with pytest.raises(ImportRefused) as refused:
        import_jsonl(untouched.database, path, now=untouched.clock())

    assert refused.value.message.startswith(f"line {middle + 1}: ")
    assert reason in refused.value.message
    assert row_counts(untouched) == before


def test_gids_already_in_the_store_are_refused(source: Source, tmp_path: Path) -> None:
    before = row_counts(source.runtime)
    path = write_lines(tmp_path / "again.jsonl", source.lines)
    with pytest.raises(ImportRefused, match=r"^line 1: gid: \d+ is already in the store"):
        import_jsonl(source.runtime.database, path, now=source.runtime.clock())
    assert row_counts(source.runtime) == before


def test_a_damaged_gzip_file_is_refused(source: Source, untouched: Runtime, tmp_path: Path) -> None:
    whole = gzip.compress(b"".join(source.lines))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ImportRefused, match="cannot be read"):
        import_jsonl(untouched.database, path, now=untouched.clock())
    assert sum(row_counts(untouched).values()) == 0


def cli(settings: Settings, *args: str) -> Any:
    base = ["--home", str(settings.home), "--database-url", settings.database_url]
    return CliRunner().invoke(app, [*base, *args])


def test_the_commands_dump_and_import(seeded: Seeded, fresh: Runtime, tmp_path: Path) -> None:
    settings, tasks = seeded.runtime.settings, seeded.result.counts["tasks"]
    organization = str(seeded.result.organization_gid)
    path = tmp_path / "org.jsonl.gz"

    dumped = cli(settings, "dump", "--organization", organization, "--output", str(path))
    assert dumped.exit_code == 0, dumped.output
    assert re.search(rf"\btask +{tasks:,}\n", dumped.stderr)
    to_stdout = cli(settings, "dump", "--organization", organization)
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout_bytes.splitlines(keepends=True) == read_lines(path)

    imported = cli(fresh.settings, "import", str(path), "--json")
    assert imported.exit_code == 0, imported.output
    assert orjson.loads(imported.stdout)["imported"]["task"] == tasks


def test_two_dumps_of_one_store_are_the_same_file_with_no_name_or_time_inside(
    seeded: Seeded, tmp_path: Path
) -> None:
    """The gzip header holds neither the hidden temporary name nor a time: `gunzip -N`
    restores nothing, and the same store always dumps to the same bytes."""
    settings, organization = seeded.runtime.settings, str(seeded.result.organization_gid)
    folder = tmp_path / "dumps"
    folder.mkdir()
    first, second = folder / "first.jsonl.gz", folder / "second.jsonl.gz"
    for path in (first, second):
        done = cli(settings, "dump", "--organization", organization, "-o", str(path))
        assert done.exit_code == 0, done.output
    data = first.read_bytes()
    assert data == second.read_bytes()
    flags, mtime = data[3], int.from_bytes(data[4:8], "little")
    assert data[:3] == b"\x1f\x8b\x08"
    assert flags & 0x08 == 0, "a file name is recorded in the gzip header"
    assert mtime == 0
    assert b".partial" not in data[:64]
    subprocess.run(["gunzip", "-N", "-k", str(first)], capture_output=True, check=True, cwd=folder)
    assert sorted(p.name for p in folder.iterdir()) == [
        "first.jsonl", "first.jsonl.gz", "second.jsonl.gz",
    ]  # fmt: skip
    dash = cli(settings, "dump", "--organization", organization, "-o", "-")
    assert dash.exit_code == 0, dash.output
    assert dash.stdout_bytes == (folder / "first.jsonl").read_bytes()
    assert not (Path.cwd() / "-").exists()


def test_the_commands_report_errors_and_exit_non_zero(
    source: Source, untouched: Runtime, tmp_path: Path
) -> None:
    missing = cli(untouched.settings, "dump", "--organization", "12345", "-o", str(tmp_path / "x"))
    assert missing.exit_code == 1
    assert "no organization with gid 12345" in missing.stderr
    assert list(tmp_path.iterdir()) == []  # no file, not even a partial one
    lines = [*source.lines[:2], b"{oops", *source.lines[2:]]
    refused = cli(untouched.settings, "import", str(write_lines(tmp_path / "bad.jsonl", lines)))
    assert refused.exit_code == 1
    assert "error: line 3: not valid JSON" in refused.stderr


def _exportd(home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """`exportd …` in its own process with pipes for output, as in a script or a CI log."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EXPORTD_")}
    environment["EXPORTD_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "exportd", *args],
        capture_output=True, env=environment, timeout=300, check=False,
    )  # fmt: skip


def test_off_a_terminal_progress_is_a_few_plain_lines_on_stderr(tmp_path: Path) -> None:
    """seed, dump and import off a terminal: stdout holds only what was asked for (a JSON
    object, the dump's lines), stderr a start and an end line of progress, no escapes."""
    seeded = _exportd(tmp_path / "a", "seed", "--seed", "21", "--tasks", "40", "--json")
    assert seeded.returncode == 0, seeded.stderr
    organization = orjson.loads(seeded.stdout)["organization"]["gid"]  # stdout: one object
    assert b"seeding tasks and messages: 0 of" not in seeded.stderr  # after the first batch
    assert re.search(rb"seeding tasks and messages: ([\d,]+) of \1\n", seeded.stderr)

    dumped = _exportd(tmp_path / "a", "dump", "--organization", organization, "-o", "-")
    assert dumped.returncode == 0, dumped.stderr
    assert all(orjson.loads(line)["gid"] for line in dumped.stdout.splitlines())
    assert re.search(rb"^dumping: 0 of [\d,]+\n", dumped.stderr)
    assert re.search(rb"\ndumped [\d,]+ objects in ", dumped.stderr)

    path = tmp_path / "org.jsonl.gz"
    path.write_bytes(gzip.compress(dumped.stdout))
    imported = _exportd(tmp_path / "b", "import", str(path))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith(b"imported ")
    size = f"{path.stat().st_size / 1e6:,.1f} MB"
    assert f"importing org.jsonl.gz: {size} of {size}\n".encode() in imported.stderr
    for run in (seeded, dumped, imported):
        assert b"\x1b" not in run.stderr  # no bar, no colour codes in a log
        assert len(run.stderr.splitlines()) < 30
