"""Export speed and memory against size, over HTTP, with the same run's compression baselines.

For each backend and size a benchmark organization is seeded once (`exportd seed`, seed 11:
10% of tasks are subtasks, 5 stories and 1 attachment per task, about 3 followers and 1 like
per task; one user and one project per 100 tasks, one team per 1,000, one message or status
update per 10) and cached: SQLite under `bench/.cache/exports-N/`, PostgreSQL in the schema
`bench_N` of EXPORTD_BENCH_POSTGRES_URL (default: the test server's `test` database).

Each run starts a fresh `exportd serve` with default settings on a free loopback port (its
log goes to `bench/.cache/serve.log`), waits until `/readyz` answers, then times what a
client sees, as a client does it with httpx: from the POST that requests the export to the
`GET /jobs/{gid}` (or `/organization_exports/{gid}`), polled every 50 ms, that says
`succeeded` (`finished`). Server start-up is not in the time. Runs per size:

- `default`: a resource export of every task, default fields (R3);
- `narrow`: the same with `fields=["name","assignee.name","completed"]`;
- `organization`: the organization export;
- `sharded`: the default export with `EXPORTD_EXPORT_SHARDS=2`, its only non-default setting.

Memory is that of the server's whole process group — the serve process and every process
it starts (shard processes, the SQLite Arrow reader): every 50 ms during the export the RSS
of each is read from /proc. `group RSS` is the largest sum of them at one moment (pages
shared between processes count once per process), `process RSS` the largest single
process. CPU is the group's user and system time during the export, children that ended
included.

The file is then downloaded from its `download_url` and, once the server has stopped, its
uncompressed bytes give: the line count, the sha256 (checked against the other runs' and
against `bench/reference.json`, the object-by-object engine's bytes at 100k), and the same
run's baselines on those very bytes: stdlib zlib level 1 and ISA-L level 2 alone,
compressing 1 MiB at a time. Times and baselines are medians of the runs, memory the
largest of them; `/zlib-1` is the median time over zlib-1's median.

`--before REV` also runs the server of git revision REV (its `src/`, checked out once under
`bench/.cache/`) on the same stores in the same run, once per export: the before/after
table. Each server is started on the store stamped at its own schema revision (the
exportd `alembic_version`), which is right while the later migrations only add tables and
nullable columns. Before each server starts, the store's export rows are deleted, so that
no unfinished export from an interrupted run is resumed.

Every row printed is also appended to `bench/.cache/exports.json` (`bench/plot.py` draws
them). `--seed-only` seeds the stores and stops, to seed large sizes ahead of time.

    python bench/exports.py --sizes 100000 --backends sqlite postgres --runs 3 --before 3ff3e4e
    python bench/exports.py --sizes 1000000 --runs 1
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from isal import igzip, isal_zlib
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent
CACHE = ROOT / ".cache"
RESULTS = CACHE / "exports.json"
SERVER_LOG = CACHE / "serve.log"
REFERENCE = json.loads((ROOT / "reference.json").read_text())
NARROW_FIELDS = ["name", "assignee.name", "completed"]
EXPORTS = ("default", "narrow", "organization", "sharded")
POSTGRES = os.environ.get(
    "EXPORTD_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
POLL_S = 0.05  # how often the client asks whether the export is done
SAMPLE_S = 0.05  # how often the process group's memory is read
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Store:
    """A seeded benchmark organization and what a client needs to export it."""

    backend: str
    tasks: int
    home: Path
    url: str
    organization_gid: str
    token: str  # the organization's service account's


@dataclass(frozen=True)
class Engine:
    name: str
    source: Path | None  # another revision's `src/`, or None for this checkout's
    runs: int


@dataclass
class Run:
    seconds: float  # POST → succeeded
    cpu_s: float
    group_rss: int
    process_rss: int
    processes: int  # the most processes in the group at once
    file_size: int  # the downloaded gzip file
    sha256: str = ""  # of the uncompressed bytes, and the baselines on them
    lines: int = 0
    raw_bytes: int = 0
    zlib1_s: float = 0.0
    isal_s: float = 0.0


@dataclass
class Summary:
    engine: str
    backend: str
    tasks: int
    export: str
    seconds: float  # median
    runs: list[float]
    cpu_s: float  # median
    group_rss: int  # largest of the runs
    process_rss: int
    processes: int
    file_size: int
    lines: int
    raw_bytes: int
    sha256: str
    zlib1_s: float  # median
    isal_s: float  # median
    checks: list[str] = field(default_factory=list)


# The stores


def database_url(backend: str, tasks: int) -> str:
    if backend == "sqlite":
        return f"sqlite:///{CACHE / f'exports-{tasks}' / 'exportd.sqlite3'}"
    separator = "&" if "?" in POSTGRES else "?"
    return f"{POSTGRES}{separator}options=-csearch_path%3Dbench_{tasks}"


def seeded(backend: str, tasks: int) -> Store:
    """The benchmark organization of `tasks` tasks, seeded on first use."""
    home = CACHE / (f"exports-{tasks}" if backend == "sqlite" else f"pg-exports-{tasks}")
    url = database_url(backend, tasks)
    marker = home / "seed.json"
    if not marker.exists():
        home.mkdir(parents=True, exist_ok=True)
        if backend == "postgres":
            with create_engine(POSTGRES).begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS bench_{tasks} CASCADE"))
                connection.execute(text(f"CREATE SCHEMA bench_{tasks}"))
        command = [
            sys.executable, "-m", "exportd", "--home", str(home), "--database-url", url,
            "seed", "--seed", "11", "--users", str(tasks // 100), "--teams", str(tasks // 1000),
            "--projects", str(tasks // 100), "--tasks", str(tasks),
            "--stories-per-task", "5", "--attachments-per-task", "1",
            "--messages", str(tasks // 10), "--json",
        ]  # fmt: skip
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        marker.write_text(output)
    seed = json.loads(marker.read_text())
    organization, token = seed["organization"]["gid"], seed["service_account"]["token"]
    return Store(backend, tasks, home, url, organization, token)


def prepare_store(store: Store, revision: str) -> None:
    """Stamp the store at the schema revision of the server about to start, and delete
    export rows left by earlier runs (an unfinished one would be resumed, or refused as a
    second export in progress)."""
    engine = create_engine(store.url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM exports"))
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


# The engines


def before_source(revision: str) -> Path:
    """`src/` of `revision`, checked out once under the cache."""
    tree = CACHE / f"before-{revision}"
    if not tree.exists():
        archive = subprocess.run(["git", "archive", revision, "src"], check=True, cwd=ROOT,
                                 capture_output=True).stdout  # fmt: skip
        tree.mkdir()
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree / "src"


def python_environment(source: Path | None) -> dict[str, str]:
    """This environment without EXPORTD_ settings, running `source` if given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPORTD_")}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    return env


def schema_head(source: Path | None) -> str:
    """The newest schema revision the engine's migrations know."""
    code = "from exportd.store.migrate import head_revision; print(head_revision())"
    env = python_environment(source)
    found = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                           text=True, env=env)  # fmt: skip
    return found.stdout.strip()


# The server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(
    store: Store, source: Path | None, settings: dict[str, str]
) -> Iterator[tuple[int, str]]:
    """A fresh `exportd serve` of the store, in its own process group, until the block
    ends: its process id (the group's id) and its URL, once `/readyz` answers."""
    port = free_port()
    command = [
        sys.executable, "-m", "exportd", "--home", str(store.home),
        "--database-url", store.url, "serve", "--port", str(port),
    ]  # fmt: skip
    with SERVER_LOG.open("ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env=python_environment(source) | settings,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, url)
        yield process.pid, url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until_ready(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server ended (exit {process.returncode}); see {SERVER_LOG}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server was not ready within 120 s; see {SERVER_LOG}")


# The process group's memory and CPU


@dataclass
class Usage:
    rss: int  # sum over the group
    largest_rss: int
    cpu_s: float  # user + system, ended children included
    processes: int


def group_usage(group: int) -> Usage:
    """What /proc says of every process in the process group `group` at this moment."""
    usage = Usage(0, 0, 0.0, 0)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_bytes()
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()  # after "pid (command)"
        if int(fields[2]) != group:  # pgrp
            continue
        rss = int(fields[21]) * PAGE
        usage.rss += rss
        usage.largest_rss = max(usage.largest_rss, rss)
        usage.cpu_s += sum(int(ticks) for ticks in fields[11:15]) / TICK  # utime … cstime
        usage.processes += 1
    return usage


class Sampler:
    """The process group's peak memory and its CPU time between `start` and `stop`, read
    every SAMPLE_S seconds on a thread."""

    def __init__(self, group: int) -> None:
        self.group = group
        self.first = self.last = group_usage(group)
        self.peak = Usage(0, 0, 0.0, 0)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self.first = group_usage(self.group)
        self._thread.start()

    def stop(self) -> Usage:
        """The peaks (rss, largest_rss, processes) and the CPU seconds spent meanwhile."""
        self._done.set()
        self._thread.join()
        self._take()
        return Usage(
            self.peak.rss, self.peak.largest_rss, self.last.cpu_s - self.first.cpu_s,
            self.peak.processes,
        )  # fmt: skip

    def _sample(self) -> None:
        while not self._done.wait(SAMPLE_S):
            self._take()

    def _take(self) -> None:
        self.last = now = group_usage(self.group)
        self.peak.rss = max(self.peak.rss, now.rss)
        self.peak.largest_rss = max(self.peak.largest_rss, now.largest_rss)
        self.peak.processes = max(self.peak.processes, now.processes)


# One export, as a client makes it


def request(kind: str, store: Store) -> tuple[str, dict[str, Any]]:
    """The endpoint and body of the POST that asks for the export."""
    if kind == "organization":
        return "/organization_exports", {"data": {"organization": store.organization_gid}}
    part: dict[str, Any] = {"resource_type": "task"}
    if kind == "narrow":
        part["fields"] = NARROW_FIELDS
    data = {"workspace": store.organization_gid, "export_request_parameters": [part]}
    return "/exports/resource", {"data": data}


def call(client: httpx.Client, method: str, path: str, **body: Any) -> dict[str, Any]:
    """One API call's `data`, waiting out a 429 as the official SDK does."""
    while True:
        reply = client.request(method, path, **body)
        if reply.status_code != 429:
            break
        time.sleep(float(reply.headers.get("Retry-After", "1")))
    if reply.is_error:
        raise SystemExit(f"{method} {path}: {reply.status_code} {reply.text}")
    data: dict[str, Any] = reply.json()["data"]
    return data


def export_until_done(client: httpx.Client, kind: str, store: Store) -> str:
    """Request the export and poll it until it succeeded; its download URL."""
    path, body = request(kind, store)
    reply = call(client, "POST", path, json=body)
    if kind == "organization":
        follow, state, nested = f"/organization_exports/{reply['gid']}", "state", None
    else:
        follow, state, nested = f"/jobs/{reply['gid']}", "status", "new_resource_export"
    while reply[state] not in ("finished", "succeeded"):
        if reply[state] in ("error", "failed"):
            raise SystemExit(f"the {kind} export failed: {reply}; see {SERVER_LOG}")
        time.sleep(POLL_S)
        reply = call(client, "GET", follow)
    url = (reply[nested] if nested else reply)["download_url"]
    return str(url)


def download(client: httpx.Client, url: str, file: Path) -> None:
    with client.stream("GET", url) as reply, file.open("wb") as out:
        reply.raise_for_status()
        for chunk in reply.iter_bytes(1 << 20):
            out.write(chunk)


def run_export(store: Store, engine: Engine, kind: str, revision: str) -> Run:
    """One export by a fresh server: timed from POST to succeeded, then downloaded and
    measured against the baselines once the server has stopped."""
    prepare_store(store, revision)
    settings = {"EXPORTD_EXPORT_SHARDS": "2"} if kind == "sharded" else {}
    file = CACHE / "download.jsonl.gz"
    with server(store, engine.source, settings) as (group, url):
        headers = {"Authorization": f"Bearer {store.token}"}
        with httpx.Client(base_url=f"{url}/api/1.0", headers=headers, timeout=60) as client:
            sampler = Sampler(group)
            sampler.start()
            started = time.perf_counter()
            download_url = export_until_done(client, kind, store)
            seconds = time.perf_counter() - started
            usage = sampler.stop()
            download(client, download_url, file)
    for stored in (store.home / "exports").glob("**/*"):  # the server's copy
        if stored.is_file():
            stored.unlink()
    run = Run(seconds, usage.cpu_s, usage.rss, usage.largest_rss, usage.processes,
              file.stat().st_size)  # fmt: skip
    run.sha256, run.lines, run.raw_bytes, run.zlib1_s, run.isal_s = baselines(file)
    file.unlink()
    return run


# The baselines


def baselines(path: Path) -> tuple[str, int, int, float, float]:
    """sha256, line count and size of the file's uncompressed bytes, and the seconds zlib
    level 1 and ISA-L level 2 take to compress them, 1 MiB at a time."""
    hashed, lines, size, zlib_s, isal_s = hashlib.sha256(), 0, 0, 0.0, 0.0
    slow = zlib.compressobj(1, zlib.DEFLATED, 31)
    fast = isal_zlib.compressobj(2, isal_zlib.DEFLATED, 31)
    with igzip.open(path, "rb") as raw:  # type: ignore[no-untyped-call]
        while block := raw.read(1 << 20):
            hashed.update(block)
            lines += block.count(b"\n")
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
    return hashed.hexdigest(), lines, size, zlib_s, isal_s


def summarize(store: Store, engine: Engine, kind: str, results: list[Run]) -> Summary:
    """Medians of the runs' times and baselines, the largest of their memory peaks, and
    whether their bytes agree with each other and with the reference."""
    last = results[-1]
    summary = Summary(
        engine.name, store.backend, store.tasks, kind,
        seconds=statistics.median(r.seconds for r in results),
        runs=[round(r.seconds, 2) for r in results],
        cpu_s=statistics.median(r.cpu_s for r in results),
        group_rss=max(r.group_rss for r in results),
        process_rss=max(r.process_rss for r in results),
        processes=max(r.processes for r in results),
        file_size=last.file_size, lines=last.lines, raw_bytes=last.raw_bytes, sha256=last.sha256,
        zlib1_s=statistics.median(r.zlib1_s for r in results),
        isal_s=statistics.median(r.isal_s for r in results),
    )  # fmt: skip
    if len({r.sha256 for r in results}) > 1:
        summary.checks.append("runs DIFFER")
    expected = REFERENCE.get(str(store.tasks), {}).get("default" if kind == "sharded" else kind)
    if expected:
        same = summary.sha256 == expected["sha256"]
        summary.checks.append("reference sha256 " + ("equal" if same else "DIFFERS"))
    return summary


# The table


def measure(store: Store, engines: list[Engine], kinds: list[str]) -> Iterator[Summary]:
    for engine in engines:
        revision = schema_head(engine.source)
        for kind in kinds:
            if kind == "sharded" and engine.source is not None:
                continue
            results = [run_export(store, engine, kind, revision) for _ in range(engine.runs)]
            yield summarize(store, engine, kind, results)


HEADER = (
    "engine             backend    tasks export           lines  time s (runs)             "
    "cpu s  group RSS  process RSS  raw MB  zlib-1 s  ISA-L s  /zlib-1  check"
)


def row(s: Summary) -> str:
    return (
        f"{s.engine:<18} {s.backend:<8} {s.tasks:>7,} {s.export:<12} {s.lines:>9,} "
        f"{s.seconds:>7.2f} {s.runs!s:<18} {s.cpu_s:>6.1f} {s.group_rss / 2**20:>7.0f}MiB "
        f"{s.process_rss / 2**20:>9.0f}MiB {s.raw_bytes / 1e6:>7.1f} {s.zlib1_s:>9.2f} "
        f"{s.isal_s:>8.2f} {s.seconds / max(s.zlib1_s, 1e-9):>7.2f}  {'; '.join(s.checks)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--backends", nargs="+", choices=("sqlite", "postgres"),
                        default=["sqlite"])  # fmt: skip
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--exports", nargs="+", choices=EXPORTS, default=list(EXPORTS))
    parser.add_argument("--before", help="also run the server of this git revision, once")
    parser.add_argument("--seed-only", action="store_true", help="seed the stores and stop")
    arguments = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    stores = [seeded(b, tasks) for b in arguments.backends for tasks in arguments.sizes]
    if arguments.seed_only:
        return
    engines = [Engine("columnar", None, arguments.runs)]
    if arguments.before:
        before = Engine(f"before ({arguments.before})", before_source(arguments.before), 1)
        engines.insert(0, before)
    print(HEADER, flush=True)
    for store in stores:
        for summary in measure(store, engines, arguments.exports):
            print(row(summary), flush=True)
            results = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
            results.append(asdict(summary) | {"measured_at": time.time()})
            RESULTS.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
