"""Export speed against size, and against the same-run C-only floor.

For each size a benchmark organization is seeded once (`exportd seed`, seed 11: 10% of
tasks are subtasks, 5 stories and 1 attachment per task, about 3 followers and 1 like per
task; one user and one project per 100 tasks, one team per 1,000, one message or status
update per 10) and cached in `bench/.cache/`. Each run is a fresh child process running the
handler a worker runs (snapshot, pages, JSON Lines, gzip, checked publication); its peak
RSS and CPU time come from `wait4`. Runs per size:

- `default`: a resource export of every task, default fields;
- `sharded`: the default export split into 2 shards run by 2 processes at once
  (`EXPORTD_EXPORT_SHARDS=2`), joined into one file;
- `narrow`: the same with `fields=["name","assignee.name","completed"]`;
- `organization`: the organization export;
- `floor-default`, `floor-narrow`: the same task lines built by SQLite's JSON functions in
  the `sqlite3` shell, piped into ISA-L gzip at exportd's level (`bench/floor.py`).

Then, once per size: line counts and checksums of exportd's output against the floor's,
the sharded file's bytes (decompressed) against the unsplit one's, and the compressor
alone on exportd's final uncompressed bytes.

    python bench/exports.py --sizes 100000 300000 1000000 --runs 3
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import floor
from isal import igzip

CACHE = Path(__file__).resolve().parent / ".cache"
RESULTS = CACHE / "exports.json"
NARROW_FIELDS = ["name", "assignee.name", "completed"]
EXPORTS = ("default", "sharded", "narrow", "organization")
SHARDS = 2
COMPRESS = (
    "import sys; from isal import isal_zlib; from exportd.exports.jsonl import GZIP_LEVEL; "
    "c = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, 31); out = sys.stdout.buffer; "
    "[out.write(c.compress(b)) for b in iter(lambda: sys.stdin.buffer.read(1 << 20), b'')]; "
    "out.write(c.flush())"
)
"""The floor's compressor: ISA-L at exportd's level, 1 MiB reads from the pipe."""


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    peak_rss: int
    lines: int
    size: int
    path: str


def seeded_home(tasks: int) -> tuple[Path, int]:
    """A home holding the benchmark organization of `tasks` tasks, seeded on first use."""
    home = CACHE / f"exports-{tasks}"
    marker = home / "organization_gid"
    if not marker.exists():
        home.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "exportd", "--home", str(home), "seed", "--seed", "11",
            "--users", str(tasks // 100), "--teams", str(tasks // 1000),
            "--projects", str(tasks // 100), "--tasks", str(tasks),
            "--stories-per-task", "5", "--attachments-per-task", "1",
            "--messages", str(tasks // 10), "--json",
        ]  # fmt: skip
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        marker.write_text(json.loads(output)["organization"]["gid"])
    return home, int(marker.read_text())


def child(kind: str, home: str, organization_gid: str) -> None:
    """Run one export the way a worker does and print `lines bytes key`."""
    import threading

    from sqlalchemy import delete

    from exportd.jobs.context import JobContext
    from exportd.jobs.handlers import HANDLERS
    from exportd.runtime import Runtime
    from exportd.settings import Settings
    from exportd.store import jobs
    from exportd.store.directory import service_accounts_of
    from exportd.store.schema import exports

    part: dict[str, object] = {"resource_type": "task"}
    if kind == "narrow":
        part["fields"] = NARROW_FIELDS
    job_kind = "organization" if kind == "organization" else "resource"
    parameters = {} if kind == "organization" else {"export_request_parameters": [part]}
    shards = SHARDS if kind == "sharded" else 1
    runtime = Runtime.open(Settings.load(home=Path(home), export_shards=shards))
    with runtime.database.write() as connection:
        creator = service_accounts_of(connection, int(organization_gid))[0]
        job = jobs.create(
            connection, gid=runtime.gids.next_int(), kind=job_kind,
            workspace_gid=int(organization_gid), created_by_gid=creator,
            parameters=parameters, now=runtime.clock(),
        )  # fmt: skip
    context = JobContext(job, runtime, lambda _n: None, threading.Event())
    try:
        outcome = HANDLERS[job_kind](context)
    finally:  # the job was never claimed: R9 would refuse the next run's while it is pending
        with runtime.database.write() as connection:
            connection.execute(delete(exports).where(exports.c.gid == job.gid))
    print(outcome.line_count, outcome.file_size, outcome.file_key)


def measured(process: subprocess.Popen[bytes], started: float) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak RSS bytes) of a finished child."""
    _pid, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{process.args!r} failed")
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started, cpu, usage.ru_maxrss * 1024


def run_export(kind: str, home: Path, organization_gid: int) -> Run:
    started = time.perf_counter()
    command = [sys.executable, __file__, "--child", kind, str(home), str(organization_gid)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert process.stdout is not None
    output = process.stdout.read().decode()
    seconds, cpu, rss = measured(process, started)
    lines, size, key = output.split()
    return Run(seconds, cpu, rss, int(lines), int(size), str(home / "exports" / key))


def run_floor(kind: str, home: Path, organization_gid: int) -> Run:
    """The floor's pipeline; its time is the pipeline's, its RSS the larger process's."""
    path = home / "exports" / f"floor-{kind}.jsonl.gz"
    query = floor.QUERIES[kind](organization_gid).encode()
    database = str(home / "exportd.sqlite3")
    started = time.perf_counter()
    with path.open("wb") as sink:
        reader = subprocess.Popen(
            ["sqlite3", "-readonly", database], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        compressor = subprocess.Popen(
            [sys.executable, "-c", COMPRESS], stdin=reader.stdout, stdout=sink
        )
        assert reader.stdin is not None
        assert reader.stdout is not None
        reader.stdout.close()
        reader.stdin.write(query)
        reader.stdin.close()
        _, read_cpu, read_rss = measured(reader, started)
        seconds, compress_cpu, compress_rss = measured(compressor, started)
    lines = sum(1 for _ in lines_of(str(path)))
    cpu, rss = read_cpu + compress_cpu, max(read_rss, compress_rss)
    return Run(seconds, cpu, rss, lines, path.stat().st_size, str(path))


def lines_of(path: str) -> Iterator[bytes]:
    with igzip.open(path, "rb") as lines:  # type: ignore[no-untyped-call]
        yield from lines


def sha256(path: str) -> str:
    hashed = hashlib.sha256()
    with igzip.open(path, "rb") as raw:  # type: ignore[no-untyped-call]
        while block := raw.read(1 << 20):
            hashed.update(block)
    return hashed.hexdigest()


def compressor_only(path: str) -> tuple[float, int]:
    """Seconds ISA-L at exportd's level takes on the file's uncompressed bytes, and their
    size, compressing 1 MiB at a time as the export does."""
    from isal import isal_zlib

    from exportd.exports.jsonl import GZIP_LEVEL

    seconds, size = 0.0, 0
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, 31)
    with igzip.open(path, "rb") as raw:  # type: ignore[no-untyped-call]
        while block := raw.read(1 << 20):
            size += len(block)
            started = time.perf_counter()
            compressor.compress(block)
            seconds += time.perf_counter() - started
    started = time.perf_counter()
    compressor.flush()
    return seconds + time.perf_counter() - started, size


def check(exported: Run, floor_run: Run, kind: str) -> str:
    """Line counts equal, and the outputs' checksums (see `bench/floor.py`)."""
    if exported.lines != floor_run.lines:
        raise SystemExit(f"{kind}: {exported.lines} lines against the floor's {floor_run.lines}")
    if kind == "narrow":
        ours, theirs = sha256(exported.path), sha256(floor_run.path)
        what = "sha256 of the bytes"
    else:
        ours, theirs = floor.digest(lines_of(exported.path)), floor.digest(lines_of(floor_run.path))
        what = "digest of gid, name, assignee, completed and relation counts"
    if ours != theirs:
        raise SystemExit(f"{kind}: {what} differs from the floor's")
    return f"{kind}: {exported.lines:,} lines, {what} equal ({ours[:12]})"


@dataclass
class Summary:
    """The median of one kind of run at one size, as printed and kept in `RESULTS`."""

    seconds: float
    cpu_seconds: float
    runs: list[float]
    peak_rss: int
    lines: int
    size: int
    compress_only_s: float | None = None
    raw_bytes: int | None = None

    @classmethod
    def of(cls, runs: list[Run]) -> Summary:
        return cls(
            seconds=statistics.median(r.seconds for r in runs),
            cpu_seconds=statistics.median(r.cpu_seconds for r in runs),
            runs=[round(r.seconds, 2) for r in runs],
            peak_rss=max(r.peak_rss for r in runs),
            lines=runs[-1].lines,
            size=runs[-1].size,
        )


def measure(tasks: int, runs: int, kinds: list[str]) -> dict[str, object]:
    home, organization_gid = seeded_home(tasks)
    shutil.rmtree(home / "exports", ignore_errors=True)
    (home / "exports").mkdir()
    with sqlite3.connect(home / "exportd.sqlite3") as store:  # jobs of interrupted runs
        store.execute("DELETE FROM exports")
    result: dict[str, object] = {"tasks": tasks}
    digests: dict[str, str] = {}
    for kind in kinds:
        results = [run_export(kind, home, organization_gid) for _ in range(runs)]
        ours, theirs = Summary.of(results), None
        if kind == "sharded" and "default" in digests:
            if sha256(results[-1].path) != digests["default"]:
                raise SystemExit("sharded: the joined file differs from the unsplit one")
            print(f"sharded: the same bytes as the unsplit export ({digests['default'][:12]})")
            if "floor-default" in result:
                theirs = Summary(**result["floor-default"])  # type: ignore[arg-type]
        elif kind in floor.QUERIES:
            floors = [run_floor(kind, home, organization_gid) for _ in range(runs)]
            theirs = Summary.of(floors)
            result[f"floor-{kind}"] = asdict(theirs)
            print(check(results[-1], floors[-1], kind), flush=True)
        if kind == "default":
            digests[kind] = sha256(results[-1].path)
        ours.compress_only_s, ours.raw_bytes = compressor_only(results[-1].path)
        result[kind] = asdict(ours)
        for run in results:
            Path(run.path).unlink(missing_ok=True)
        print(row(tasks, kind, ours, theirs), flush=True)
    return result


HEADER = (
    "    tasks  export           lines  median s  (runs)              cpu s  objects/s  "
    "raw MB/s  gz MB/s  output MB  peak RSS  gzip-only s  floor s  ratio"
)


def row(tasks: int, kind: str, ours: Summary, theirs: Summary | None) -> str:
    seconds, lines, raw = ours.seconds, ours.lines, ours.raw_bytes or 0
    line = (
        f"{tasks:>9,}  {kind:<12} {lines:>9,} {seconds:>9.2f}  {ours.runs!s:<18} "
        f"{ours.cpu_seconds:>6.1f} {lines / seconds:>10,.0f} {raw / seconds / 1e6:>9.1f} "
        f"{ours.size / seconds / 1e6:>8.1f} {ours.size / 1e6:>10.1f} "
        f"{ours.peak_rss / 2**20:>7.0f}MiB {ours.compress_only_s or 0:>12.2f}"
    )
    if theirs is not None:
        line += f" {theirs.seconds:>8.2f} {seconds / theirs.seconds:>6.2f}"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--exports", nargs="+", choices=EXPORTS, default=list(EXPORTS))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(*arguments.child)
        return
    if shutil.which("sqlite3") is None:
        raise SystemExit("the floor needs the sqlite3 shell (apt-get install sqlite3)")
    print(HEADER, flush=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for tasks in arguments.sizes:
        results.setdefault(str(tasks), {}).update(measure(tasks, arguments.runs, arguments.exports))
        RESULTS.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
