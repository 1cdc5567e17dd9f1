"""Every command, given a database it cannot use, a bad setting or an output path it cannot
write, says so in one line on stderr (what is wrong, and why) and exits non-zero: no
traceback, and never a password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL

PASSWORD = "hunter2-secret"
POSTGRES_HOST = POSTGRES_URL.split("@", 1)[1].split("/", 1)[0]

COMMANDS = [
    ["serve"],
    ["worker"],
    ["dump", "--organization", "1", "--output", "out.jsonl.gz"],
    ["db", "upgrade"],
]


def run(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EXPORTD_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "exportd", "--home", str(home), *args],
        capture_output=True, text=True, env=environment, cwd=home.parent, timeout=60,
    )  # fmt: skip


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert PASSWORD not in result.stderr + result.stdout


def bad_databases(tmp: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    not_a_database = tmp / "garbage.sqlite3"
    not_a_database.write_text("this is not a database\n" * 100)
    return {
        "refused": (
            f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/test",
            ("postgres:***@127.0.0.1:1/test", "cannot connect", "refused"),
        ),
        "missing database": (
            f"postgresql://postgres:{PASSWORD}@{POSTGRES_HOST}/no_such_database_here",
            ("no_such_database_here", "cannot connect", "does not exist"),
        ),
        "missing folder": (
            f"sqlite:///{tmp}/missing/folder/x.sqlite3",
            (f"the folder {tmp}/missing/folder does not exist",),
        ),
        "not a database": (
            f"sqlite:///{not_a_database}",
            (str(not_a_database), "file is not a database"),
        ),
        "missing driver": (
            f"mysql://root:{PASSWORD}@127.0.0.1/db",
            ("mysql://root:***@127.0.0.1/db", "cannot be used", "MySQLdb"),
        ),
        "not a url": ("not a url", ("'not a url' is not a database URL",)),
    }


CASES = ["refused", "missing database", "missing folder", "not a database", "missing driver",
         "not a url"]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_database_that_cannot_be_used(tmp_path: Path, case: str, command: list[str]) -> None:
    if case == "missing database" and "postgres" not in POSTGRES_URL:
        pytest.skip("needs the PostgreSQL server")
    url, fragments = bad_databases(tmp_path)[case]
    result = run(tmp_path / "home", "--database-url", url, *command)
    assert_one_line_error(result, *fragments)


@pytest.mark.parametrize("case", CASES)
def test_a_database_that_cannot_be_used_from_the_environment(tmp_path: Path, case: str) -> None:
    if case == "missing database" and "postgres" not in POSTGRES_URL:
        pytest.skip("needs the PostgreSQL server")
    url, fragments = bad_databases(tmp_path)[case]
    result = run(tmp_path / "home", "db", "current", env={"EXPORTD_DATABASE_URL": url})
    assert_one_line_error(result, *fragments)


@pytest.mark.parametrize(
    ("variable", "value", "fragments"),
    [
        ("EXPORTD_PORT", "eighty", ("EXPORTD_PORT='eighty'", "valid integer")),
        ("EXPORTD_WORKERS", "-1", ("EXPORTD_WORKERS='-1'", "greater than or equal to 0")),
        ("EXPORTD_QUEUE", "rabbit", ("EXPORTD_QUEUE='rabbit'", "'embedded' or 'procrastinate'")),
        ("EXPORTD_MAX_BODY_BYTES", "0", ("EXPORTD_MAX_BODY_BYTES='0'", "greater than or equal")),
    ],
)
@pytest.mark.parametrize("command", COMMANDS[:3], ids=" ".join)
def test_a_bad_setting(
    tmp_path: Path, variable: str, value: str, fragments: tuple[str, ...], command: list[str]
) -> None:
    result = run(tmp_path / "home", *command, env={variable: value})
    assert_one_line_error(result, *fragments)


@pytest.mark.parametrize("folder", ["missing/folder", "/proc"])
def test_dump_into_a_folder_it_cannot_write(tmp_path: Path, folder: str) -> None:
    target = Path(folder) if folder.startswith("/") else tmp_path / folder
    result = run(tmp_path / "home", "dump", "--organization", "1", "--output",
                 str(target / "org.jsonl.gz"))  # fmt: skip
    assert_one_line_error(result, str(target))
