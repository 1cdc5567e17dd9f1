"""Export speed and memory against size, with the same run's compression baselines.

For each backend and size a benchmark organization is seeded once (`exportd seed`, seed 11:
10% of tasks are subtasks, 5 stories and 1 attachment per task, about 3 followers and 1 like
per task; one user and one project per 100 tasks, one team per 1,000, one message or status
update per 10) and cached: SQLite under `bench/.cache/exports-N/`, PostgreSQL in the schema
`bench_N` of EXPORTD_BENCH_POSTGRES_URL. Each run is a fresh child process running the
handler a worker runs (snapshot, reads, shaping, JSON Lines, gzip, checked publication).
Runs per size:

- `default`: a resource export of every task, default fields (R3);
- `narrow`: the same with `fields=["name","assignee.name","completed"]`;
- `organization`: the organization export;
- `sharded`: the default export split in 2 processes (`EXPORTD_EXPORT_SHARDS=2`).

`--before REV` also runs the engine of git revision REV (checked out once under
`bench/.cache/`) on the same stores in the same run: the before/after table.

Then, per export, once: the sha256 of the uncompressed output, checked against the other
runs' and against `bench/reference.json` (the object-by-object engine's bytes at 100k), and
the same run's baselines on those very bytes: stdlib zlib level 1 and ISA-L level 2 alone,
compressing 1 MiB at a time. Peak RSS is the largest of the child and its children
(`wait4`), whose CPU time is included.

    python bench/exports.py --sizes 100000 --backends sqlite postgres --runs 3 --before c301def
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from isal import igzip, isal_zlib

ROOT = Path(__file__).resolve().parent
CACHE = ROOT / ".cache"
RESULTS = CACHE / "exports.json"
REFERENCE = json.loads((ROOT / "reference.json").read_text())
NARROW_FIELDS = ["name", "assignee.name", "completed"]
EXPORTS = ("default", "narrow", "organization", "sharded")
POSTGRES = os.environ.get(
    "EXPORTD_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@dataclass
class Run:
    handler_s: float  # job started → completed, inside the child
    wall_s: float  # the child process, start-up included
    cpu_s: float
    peak_rss: int
    lines: int
    size: int
    path: str


@dataclass
class Summary:
    engine: str
    backend: str
    tasks: int
    export: str
    handler_s: float
    runs: list[float]
    wall_s: float
    cpu_s: float
    peak_rss: int
    lines: int
    size: int
    raw_bytes: int = 0
    sha256: str = ""
    zlib1_s: float = 0.0
    isal_s: float = 0.0
    checks: list[str] = field(default_factory=list)


def database_url(backend: str, tasks: int) -> str:
    if backend == "sqlite":
        return f"sqlite:///{CACHE / f'exports-{tasks}' / 'exportd.sqlite3'}"
    separator = "&" if "?" in POSTGRES else "?"
    return f"{POSTGRES}{separator}options=-csearch_path%3Dbench_{tasks}"


def seeded(backend: str, tasks: int) -> tuple[Path, int]:
    """The home of the benchmark organization of `tasks` tasks, seeded on first use."""
    home = CACHE / (f"exports-{tasks}" if backend == "sqlite" else f"pg-exports-{tasks}")
    marker = home / "organization_gid"
    if not marker.exists():
        home.mkdir(parents=True, exist_ok=True)
        if backend == "postgres":
            from sqlalchemy import create_engine, text

            with create_engine(POSTGRES).begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS bench_{tasks} CASCADE"))
                connection.execute(text(f"CREATE SCHEMA bench_{tasks}"))
        command = [
            sys.executable, "-m", "exportd", "--home", str(home),
            "--database-url", database_url(backend, tasks), "seed", "--seed", "11",
            "--users", str(tasks // 100), "--teams", str(tasks // 1000),
            "--projects", str(tasks // 100), "--tasks", str(tasks),
            "--stories-per-task", "5", "--attachments-per-task", "1",
            "--messages", str(tasks // 10), "--json",
        ]  # fmt: skip
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        marker.write_text(json.loads(output)["organization"]["gid"])
    return home, int(marker.read_text())


def child(kind: str, home: str, url: str, organization_gid: str) -> None:
    """Run one export the way a worker does and print `seconds lines bytes key`."""
    import threading

    from sqlalchemy import delete

    from exportd import compose
    from exportd.jobs.context import JobContext
    from exportd.jobs.handlers import HANDLERS
    from exportd.settings import Settings
    from exportd.store import jobs
    from exportd.store.directory import service_accounts_of
    from exportd.store.schema import exports

    part: dict[str, object] = {"resource_type": "task"}
    if kind == "narrow":
        part["fields"] = NARROW_FIELDS
    job_kind = "organization" if kind == "organization" else "resource"
    parameters = {} if kind == "organization" else {"export_request_parameters": [part]}
    shards = 2 if kind == "sharded" else 1
    settings = Settings.load(home=Path(home), database_url=url, export_shards=shards)
    runtime = compose.open_runtime(settings)
    with runtime.database.write() as connection:
        connection.execute(delete(exports))  # jobs of interrupted runs: R9 would refuse
        creator = service_accounts_of(connection, int(organization_gid))[0]
        job = jobs.create(
            connection, gid=runtime.gids.next_int(), kind=job_kind,
            workspace_gid=int(organization_gid), created_by_gid=creator,
            parameters=parameters, now=runtime.clock(),
        )  # fmt: skip
    context = JobContext(job, runtime, lambda _n: None, threading.Event())
    try:
        started = time.perf_counter()
        outcome = HANDLERS[job_kind](context)
        seconds = time.perf_counter() - started
    finally:
        with runtime.database.write() as connection:
            connection.execute(delete(exports).where(exports.c.gid == job.gid))
    print(f"{seconds:.3f}", outcome.line_count, outcome.file_size, outcome.file_key)


def run_export(kind: str, home: Path, url: str, organization_gid: int, source: Path | None) -> Run:
    """One export in a fresh process; `source` is another revision's `src/` to run."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    command = [sys.executable, __file__, "--child", kind, str(home), url, str(organization_gid)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command!r} failed")
    seconds, lines, size, key = output.split()
    return Run(
        float(seconds), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024,
        int(lines), int(size), str(home / "exports" / key),
    )  # fmt: skip


def baselines(path: str) -> tuple[str, int, float, float]:
    """sha256 and size of the file's uncompressed bytes, and the seconds zlib level 1 and
    ISA-L level 2 take to compress them, 1 MiB at a time."""
    hashed, size, zlib_s, isal_s = hashlib.sha256(), 0, 0.0, 0.0
    slow = zlib.compressobj(1, zlib.DEFLATED, 31)
    fast = isal_zlib.compressobj(2, isal_zlib.DEFLATED, 31)
    with igzip.open(path, "rb") as raw:  # type: ignore[no-untyped-call]
        while block := raw.read(1 << 20):
            hashed.update(block)
            size += len(block)
            started = time.perf_counter()
            slow.compress(block)
            zlib_s += time.perf_counter() - started
            started = time.perf_counter()
            fast.compress(block)
            isal_s += time.perf_counter() - started
    started = time.perf_counter()
    slow.flush()
    zlib_s += time.perf_counter() - started
    fast.flush()
    return hashed.hexdigest(), size, zlib_s, isal_s


def before_source(revision: str) -> Path:
    """`src/` of `revision`, checked out once under the cache."""
    tree = CACHE / f"before-{revision}"
    if not tree.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), revision], check=True,
                       cwd=ROOT, capture_output=True)  # fmt: skip
    return tree / "src"


def measure(
    backend: str, tasks: int, runs: int, kinds: list[str], before: str | None
) -> list[Summary]:
    home, organization_gid = seeded(backend, tasks)
    url = database_url(backend, tasks)
    (home / "exports").mkdir(exist_ok=True)
    engines: list[tuple[str, Path | None, int]] = [("columnar", None, runs)]
    if before:
        engines.insert(0, (f"before ({before})", before_source(before), 1))
    found: list[Summary] = []
    for engine, source, count in engines:
        for kind in kinds:
            if kind == "sharded" and source is not None:
                continue
            results = [run_export(kind, home, url, organization_gid, source) for _ in range(count)]
            last = results[-1]
            summary = Summary(
                engine, backend, tasks, kind,
                handler_s=statistics.median(r.handler_s for r in results),
                runs=[round(r.handler_s, 2) for r in results],
                wall_s=statistics.median(r.wall_s for r in results),
                cpu_s=statistics.median(r.cpu_s for r in results),
                peak_rss=max(r.peak_rss for r in results),
                lines=last.lines, size=last.size,
            )  # fmt: skip
            summary.sha256, summary.raw_bytes, summary.zlib1_s, summary.isal_s = baselines(
                last.path
            )
            expected = REFERENCE.get(str(tasks), {}).get("default" if kind == "sharded" else kind)
            if expected:
                same = summary.sha256 == expected["sha256"]
                summary.checks.append("reference sha256 " + ("equal" if same else "DIFFERS"))
            for run in results:
                Path(run.path).unlink(missing_ok=True)
            print(row(summary), flush=True)
            found.append(summary)
    return found


HEADER = (
    "engine             backend   tasks  export        lines   handler s (runs)          "
    "wall s  cpu s  peak RSS  raw MB  zlib-1 s  ISA-L s  /zlib-1  check"
)


def row(s: Summary) -> str:
    return (
        f"{s.engine:<18} {s.backend:<8} {s.tasks:>7,} {s.export:<12} {s.lines:>9,} "
        f"{s.handler_s:>7.2f} {s.runs!s:<18} {s.wall_s:>6.2f} {s.cpu_s:>6.1f} "
        f"{s.peak_rss / 2**20:>6.0f}MiB {s.raw_bytes / 1e6:>7.1f} {s.zlib1_s:>8.2f} "
        f"{s.isal_s:>8.2f} {s.handler_s / max(s.zlib1_s, 1e-9):>7.2f}  {'; '.join(s.checks)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--backends", nargs="+", choices=("sqlite", "postgres"),
                        default=["sqlite"])  # fmt: skip
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--exports", nargs="+", choices=EXPORTS, default=list(EXPORTS))
    parser.add_argument("--before", help="also run the engine of this git revision, once")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(*arguments.child)
        return
    print(HEADER, flush=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    for backend in arguments.backends:
        for tasks in arguments.sizes:
            found = measure(backend, tasks, arguments.runs, arguments.exports, arguments.before)
            results.extend(asdict(summary) | {"measured_at": time.time()} for summary in found)
            RESULTS.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
