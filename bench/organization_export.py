"""How an organization export scales: wall time, objects/s and peak memory against size.

For each size a seeded store is made once and cached in `bench/.cache/` (seeding is not
what is measured). Each run exports the organization in a fresh child process through the
same handler `exportd serve` workers run — read in pages, shape, JSON Lines, gzip, checked
publication — and reports that process's peak RSS. The same-run baseline is the
compressor alone (ISA-L gzip, same level) on the export's uncompressed bytes, to show how
much of the time is compression.

    python bench/organization_export.py                    # 10,000 and 100,000 tasks
    python bench/organization_export.py --sizes 20000 --runs 5
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"


def seeded_home(tasks: int) -> tuple[Path, str]:
    """A home with an organization of `tasks` tasks (5 stories, 1 attachment each)."""
    home = CACHE / f"organization-{tasks}"
    marker = home / "organization_gid"
    if not marker.exists():
        home.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "exportd", "--home", str(home), "seed", "--seed", "11",
            "--users", str(max(50, tasks // 200)), "--teams", str(max(5, tasks // 4000)),
            "--projects", str(max(10, tasks // 500)), "--tasks", str(tasks),
            "--stories-per-task", "5", "--attachments-per-task", "1",
            "--messages", str(max(20, tasks // 50)), "--json",
        ]  # fmt: skip
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        import orjson

        marker.write_text(orjson.loads(output)["organization"]["gid"])
    return home, marker.read_text().strip()


def child(home: str, organization_gid: str) -> None:
    """Run one export the way a worker does and print `lines bytes key`."""
    import threading

    from exportd import compose
    from exportd.jobs.context import JobContext
    from exportd.jobs.handlers import export_organization
    from exportd.settings import Settings
    from exportd.store import jobs
    from exportd.store.directory import service_accounts_of

    runtime = compose.open_runtime(Settings.load(home=Path(home)))
    runtime.migrate()
    with runtime.database.write() as connection:
        creator = service_accounts_of(connection, int(organization_gid))[0]
        job = jobs.create(
            connection, gid=runtime.gids.next_int(), kind="organization",
            workspace_gid=int(organization_gid), created_by_gid=creator, parameters={},
            now=runtime.clock(),
        )  # fmt: skip
    outcome = export_organization(JobContext(job, runtime, lambda _n: None, threading.Event()))
    print(outcome.line_count, outcome.file_size, outcome.file_key)


def run_once(home: Path, organization_gid: str) -> tuple[float, int, int, int, Path]:
    """(seconds, peak RSS bytes, lines, compressed bytes, file) of one export."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", str(home), organization_gid],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    assert process.stdout is not None
    output = process.stdout.read()
    if status != 0:
        raise SystemExit(f"export failed: {output}")
    lines, size, key = output.split()
    return elapsed, usage.ru_maxrss * 1024, int(lines), int(size), home / "exports" / key


def compressor_only(path: Path) -> tuple[float, int]:
    """Seconds ISA-L level 1 takes on the export's uncompressed bytes, and their size."""
    from isal import igzip

    raw = gzip.decompress(path.read_bytes())
    started = time.perf_counter()
    igzip.compress(raw, compresslevel=1)
    return time.perf_counter() - started, len(raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(*arguments.child)
        return
    print("tasks    objects  median s  objects/s  raw MB/s  output MB  peak RSS  gzip-only s")
    for tasks in arguments.sizes:
        home, organization_gid = seeded_home(tasks)
        runs = [run_once(home, organization_gid) for _ in range(arguments.runs)]
        median = statistics.median(r[0] for r in runs)
        _seconds, _rss, lines, size, path = runs[-1]
        peak = max(r[1] for r in runs)
        gzip_seconds, raw = compressor_only(path)
        for run in runs:
            run[4].unlink(missing_ok=True)
        print(
            f"{tasks:>7,} {lines:>9,} {median:>9.2f} {lines / median:>10,.0f} "
            f"{raw / median / 1e6:>9.1f} {size / 1e6:>10.1f} {peak / 2**20:>7.0f}MiB "
            f"{gzip_seconds:>11.2f}"
        )


if __name__ == "__main__":
    main()
