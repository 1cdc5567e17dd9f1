"""How fast `exportd seed` fills a fresh store: wall time, rows per second, peak memory.

Each run seeds a new store in a child process (`exportd seed --preset bench` by default:
100,000 tasks with 5 stories each), so the numbers include start-up and migrations, as a user
sees them. Prints one line per run and the median; docs/benchmarks.md records the results.

    python bench/seed.py --backend sqlite
    python bench/seed.py --backend postgres --runs 3 --tasks 20000
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from exportd.store.schema import metadata

POSTGRES_URL = os.environ.get(
    "EXPORTD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def fresh_store(backend: str, home: Path) -> Iterator[str]:
    """The URL of an empty store, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{home / 'bench.sqlite3'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def count_rows(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        total = sum(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        )
    engine.dispose()
    return total


def run_once(backend: str, sizes: list[str]) -> tuple[float, int, int]:
    """Seed a fresh store; return (seconds, rows written, peak RSS in MiB)."""
    home = Path(tempfile.mkdtemp(prefix="exportd-bench-"))
    try:
        with fresh_store(backend, home) as url:
            command = [
                sys.executable, "-m", "exportd", "--home", str(home), "--database-url", url,
                "seed", "--json", *sizes,
            ]  # fmt: skip
            started = time.perf_counter()
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(child.pid, 0)
            seconds = time.perf_counter() - started
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit(f"seeding failed: {' '.join(command)}")
            return seconds, count_rows(url), usage.ru_maxrss // 1024  # Linux: KiB
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--preset", default="bench")
    for size in ("tasks", "stories-per-task", "attachments-per-task", "messages", "users"):
        parser.add_argument(f"--{size}", type=int)
    args = parser.parse_args()
    sizes = ["--preset", args.preset]
    for size in ("tasks", "stories_per_task", "attachments_per_task", "messages", "users"):
        if getattr(args, size) is not None:
            sizes += [f"--{size.replace('_', '-')}", str(getattr(args, size))]
    results = []
    for run in range(1, args.runs + 1):
        seconds, rows, rss = run_once(args.backend, sizes)
        results.append((seconds, rows, rss))
        print(f"run {run}: {seconds:.1f} s, {rows:,} rows, {rows / seconds:,.0f} rows/s, {rss} MiB")
    seconds = statistics.median(r[0] for r in results)
    rows = results[0][1]
    print(
        f"{args.backend} {' '.join(sizes)}: median {seconds:.1f} s, {rows:,} rows, "
        f"{rows / seconds:,.0f} rows/s, peak RSS {max(r[2] for r in results)} MiB"
    )


if __name__ == "__main__":
    main()
