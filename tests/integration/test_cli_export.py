"""`exportd export` as a person runs it: a separate process against exportd over loopback.

Every request goes through a recording proxy (tests/integration/proxy.py), which counts the
bytes the server sent and breaks downloads on purpose: cut halfway, cut until the link
expired, corrupt, truncated; and the rate limit is set low enough for a storm of 429s.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.jobs import WorkerPool
from exportd.runtime import Runtime
from tests.conftest import LiveServer
from tests.integration.proxy import Proxy

SPEC = SeedSpec(
    seed=5, users=8, teams=2, projects=3, tasks=150, stories_per_task=2,
    attachments_per_task=1, messages=10,
)  # fmt: skip


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: the client sees the same API on either backend, tested elsewhere."""
    import shutil

    path = tmp_path / "exportd.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def seeded(runtime: Runtime) -> SeedResult:
    return seed_organization(runtime.database, SPEC)


@pytest.fixture
def proxy(live_server: LiveServer, runtime: Runtime) -> Iterator[Proxy]:
    """The proxy in front of the test's server; download links point at it too."""
    with Proxy(live_server.url) as proxy:
        runtime.settings = runtime.settings.model_copy(update={"public_url": proxy.url})
        yield proxy


def exportd(
    proxy: Proxy, token: str, *args: str, wait: bool = True
) -> subprocess.CompletedProcess[str]:
    """`exportd export …` in its own process, as a person runs it (no terminal)."""
    process = start(proxy, token, *args)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def start(proxy: Proxy, token: str, *args: str) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("EXPORTD_", "ASANA_"))}
    environment["EXPORTD_URL"] = f"{proxy.url}/api/1.0"
    environment["ASANA_ACCESS_TOKEN"] = token
    return subprocess.Popen(
        [sys.executable, "-m", "exportd", "export", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
    )  # fmt: skip


def lines_of(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def org_export(proxy: Proxy, seeded: SeedResult, output: Path) -> subprocess.CompletedProcess[str]:
    return exportd(
        proxy, seeded.service_account_token, "organization",
        "--organization", str(seeded.organization_gid), "--output", str(output), "--json",
    )  # fmt: skip


SAME_AS_SEEDED = ("users", "teams", "projects", "sections", "portfolios", "goals", "tags",
                  "custom_fields", "tasks")  # fmt: skip
"""Kinds the seed counts as the export writes them (its stories and attachments include
those of deleted tasks, and its messages are messages and status updates)."""


def seeded_kinds(counts: Counter[str] | dict[str, int]) -> dict[str, int]:
    """Per-type counts of a file (`task`) under the seed's names (`tasks`)."""
    named = {kind: counts.get(kind.removesuffix("s"), 0) for kind in SAME_AS_SEEDED}
    named["messages"] = counts.get("message", 0) + counts.get("status_update", 0)
    return named


def seeded_kinds_of(seeded: SeedResult) -> dict[str, int]:
    return {kind: seeded.counts[kind] for kind in (*SAME_AS_SEEDED, "messages")}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name)


def test_organization_export_to_a_verified_file(
    proxy: Proxy, seeded: SeedResult, workers: WorkerPool, tmp_path: Path
) -> None:
    output = tmp_path / "org.json.gz"
    done = org_export(proxy, seeded, output)
    assert done.returncode == 0, done.stderr
    result = orjson.loads(done.stdout)
    objects = lines_of(output)
    counts = Counter(str(obj["resource_type"]) for obj in objects)
    assert seeded_kinds(counts) == seeded_kinds_of(seeded)
    assert result["state"] == "finished"
    assert result["file"] == str(output)
    assert result["lines"] == len(objects)
    assert result["bytes"] == output.stat().st_size
    assert result["checked"]["lines"]  # against the server's progress extension
    assert result["checked"]["sha256"]  # against the download's Repr-Digest
    assert result["sha256"] == hashlib.sha256(output.read_bytes()).hexdigest()
    assert leftovers(tmp_path) == []  # no .part, no sidecar after success
    assert "finished" in done.stderr  # plain progress lines off a terminal


def test_resource_export_with_filters_and_fields(
    proxy: Proxy, seeded: SeedResult, workers: WorkerPool, tmp_path: Path
) -> None:
    output = tmp_path / "tasks.json.gz"
    done = exportd(
        proxy, seeded.service_account_token, "resource",
        "--workspace", str(seeded.organization_gid), "--type", "task",
        "--fields", "name,assignee.name", "--filter", f"assignee.any={seeded.member_gid}",
        "--output", str(output),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    tasks = lines_of(output)
    assert tasks, "the member is assigned some tasks"
    for task in tasks:
        assert set(task) <= {"gid", "resource_type", "name", "assignee"}
        assert task["assignee"] == {"gid": str(seeded.member_gid), "name": task["assignee"]["name"]}  # type: ignore[index]
    assert f"{output}:" in done.stdout
    assert "verified" in done.stdout


def test_a_request_file_and_no_wait(
    proxy: Proxy, seeded: SeedResult, workers: WorkerPool, tmp_path: Path
) -> None:
    request = tmp_path / "request.json"
    request.write_bytes(orjson.dumps({"data": {
        "workspace": str(seeded.organization_gid),
        "export_request_parameters": [{"resource_type": "team"}],
    }}))  # fmt: skip
    done = exportd(
        proxy, seeded.service_account_token, "resource", "--request", str(request),
        "--no-wait", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    job = orjson.loads(done.stdout)
    assert job["state"] in ("not_started", "in_progress", "succeeded")
    assert job["gid"]
    assert job["export_gid"]
    assert job["file"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["organization", "--organization", "123"], "error: 404 not found: organization: "),
        (["graph", "--parent", "123"], "error: 404 not found: "),
    ],
)
def test_refusals_are_the_servers_message_in_one_line(
    proxy: Proxy, seeded: SeedResult, args: list[str], message: str
) -> None:
    done = exportd(proxy, seeded.service_account_token, *args)
    assert done.returncode == 1
    assert done.stderr.startswith(message), done.stderr
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_a_bad_token_is_one_line(proxy: Proxy, seeded: SeedResult) -> None:
    done = exportd(proxy, "0/bad", "organization", "--organization", str(seeded.organization_gid))
    assert done.returncode == 1
    assert done.stderr.startswith("error: 401 not authorized: "), done.stderr
    assert done.stderr.count("\n") == 1


def test_a_cut_download_resumes_without_fetching_the_first_half_again(
    proxy: Proxy, seeded: SeedResult, workers: WorkerPool, tmp_path: Path
) -> None:
    output = tmp_path / "org.json.gz"
    proxy.faults.cut_after = 20_000
    done = org_export(proxy, seeded, output)
    assert done.returncode == 0, done.stderr
    size = output.stat().st_size
    first, second = proxy.downloads()
    assert first.range is None
    assert first.sent == 20_000
    assert second.range == "bytes=20000-"
    assert second.status == 206
    assert first.sent + second.sent == size  # not one byte fetched twice
    lines_of(output)  # and the joined file is whole


def test_an_expired_link_is_refreshed_mid_download(
    proxy: Proxy, runtime: Runtime, seeded: SeedResult, workers: WorkerPool, tmp_path: Path
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"download_url_ttl": 2})
    output = tmp_path / "org.json.gz"
    proxy.faults.cut_after, proxy.faults.cut_delay = 20_000, 3.0  # the link expires meanwhile
    done = org_export(proxy, seeded, output)
    assert done.returncode == 0, done.stderr
    first, refused, resumed = proxy.downloads()
    assert refused.status >= 400
    assert refused.range == "bytes=20000-"
    assert resumed.status == 206
    assert resumed.range == "bytes=20000-"
    assert first.path != resumed.path  # a fresh link, from the export's GET
    follows = [e for e in proxy.exchanges if e.path.startswith("/api/1.0/organization_exports/")]
    assert any(refused.at < e.at < resumed.at for e in follows)
    assert first.sent + resumed.sent == output.stat().st_size
    assert "refused" in done.stderr


@pytest.mark.parametrize(("fault", "problem"), [("corrupt_at", "corrupt"), ("truncate_to", "")])
def test_a_damaged_file_is_detected_and_not_published(
    proxy: Proxy, seeded: SeedResult, workers: WorkerPool, tmp_path: Path, fault: str, problem: str
) -> None:
    output = tmp_path / "org.json.gz"
    setattr(proxy.faults, fault, 15_000)
    done = org_export(proxy, seeded, output)
    assert done.returncode == 1
    *_, last = done.stderr.splitlines()  # the progress lines, then one line of error
    assert last.startswith(f"error: {output}: the file is {problem}"), done.stderr
    assert last.endswith("; not kept")
    assert "Traceback" not in done.stderr
    assert not output.exists()
    assert leftovers(tmp_path) == ["org.json.gz.part.json"]  # the bad bytes are gone
    again = org_export(proxy, seeded, output)  # the same export, fetched anew
    assert again.returncode == 0, again.stderr
    assert [e.method for e in proxy.exchanges].count("POST") == 1
    assert proxy.downloads()[-1].range is None
    lines_of(output)


def test_a_file_whose_digest_differs_is_not_published(
    proxy: Proxy, seeded: SeedResult, workers: WorkerPool, tmp_path: Path
) -> None:
    """A byte changed in the gzip header's OS field: the stream still decompresses with
    every line and CRC intact, so only the server's Repr-Digest can tell."""
    output = tmp_path / "org.json.gz"
    proxy.faults.corrupt_at = 9
    done = org_export(proxy, seeded, output)
    assert done.returncode == 1
    *_, last = done.stderr.splitlines()
    assert last == (
        f"error: {output}: the file's sha256 differs from the server's Repr-Digest; not kept"
    ), done.stderr
    assert not output.exists()
    assert leftovers(tmp_path) == ["org.json.gz.part.json"]


def test_ctrl_c_keeps_a_part_the_same_command_continues(
    proxy: Proxy, seeded: SeedResult, workers: WorkerPool, tmp_path: Path
) -> None:
    output = tmp_path / "org.json.gz"
    proxy.faults.pause = 0.2
    args = ["organization", "--organization", str(seeded.organization_gid), "--output", str(output)]
    process = start(proxy, seeded.service_account_token, *args)
    part = tmp_path / "org.json.gz.part"
    deadline = time.monotonic() + 60
    while not (part.exists() and part.stat().st_size > 0):
        assert time.monotonic() < deadline
        assert process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "run the same command again" in err
    assert "Traceback" not in err
    kept = part.stat().st_size
    proxy.faults.pause = 0
    done = exportd(proxy, seeded.service_account_token, *args)
    assert done.returncode == 0, done.stderr
    creations = [e for e in proxy.exchanges if e.method == "POST"]
    assert len(creations) == 1  # the second run continued the same export
    assert proxy.downloads()[-1].range == f"bytes={kept}-"
    lines_of(output)


def test_a_storm_of_429s_is_waited_out(
    proxy: Proxy, runtime: Runtime, seeded: SeedResult, workers: WorkerPool, tmp_path: Path
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"rate_limit": 1, "rate_limit_window": 2})
    output = tmp_path / "org.json.gz"
    done = org_export(proxy, seeded, output)
    assert done.returncode == 0, done.stderr
    refused = [e for e in proxy.exchanges if e.status == 429]
    assert refused, "the quota was small enough to be hit"
    for refusal in refused:  # the next request waited as long as Retry-After said
        assert refusal.retry_after is not None
        later = [e.at for e in proxy.exchanges if e.at > refusal.at]
        assert min(later) - refusal.at >= int(refusal.retry_after) - 0.05
    assert "rate limited" in done.stderr
    lines_of(output)
