"""The engine writes, byte for byte, what the object-by-object engine wrote (the golden
files of `tests/oracle/cases.py`), on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
from typing import Any

import orjson
import pytest

from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedSpec
from exportd.runtime import Runtime
from tests.oracle.cases import GOLDEN, SPECS, exports, golden_path, sha256

MANIFEST: dict[str, dict[str, Any]] = json.loads((GOLDEN / "manifest.json").read_text())


def differences(expected: Any, got: Any, path: str = "") -> list[str]:
    """Where two parsed values differ, as `path: expected != got` lines."""
    if isinstance(expected, dict) and isinstance(got, dict):
        found = []
        if list(expected) != list(got):
            found.append(f"{path or '.'}: keys {list(expected)} != {list(got)}")
        for key in expected.keys() & got.keys():
            found += differences(expected[key], got[key], f"{path}.{key}")
        return found
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        return [d for i, (e, g) in enumerate(zip(expected, got, strict=True))
                for d in differences(e, g, f"{path}[{i}]")]  # fmt: skip
    return [] if expected == got else [f"{path or '.'}: {expected!r} != {got!r}"]


def explain(expected: bytes, got: bytes) -> str:
    """A readable account of the first objects that differ (parsed), or of the bytes."""
    want, have = expected.splitlines(), got.splitlines()
    report = [f"{len(want)} golden lines, {len(have)} written"]
    for number, (e, g) in enumerate(zip(want, have, strict=False)):
        if e == g:
            continue
        first, second = orjson.loads(e), orjson.loads(g)
        found = differences(first, second)
        gid = first.get("gid") if isinstance(first, dict) else None
        what = found[:12] or [f"parse-equal, bytes differ: {e[:200]!r} != {g[:200]!r}"]
        report.append(f"line {number + 1} (gid {gid}):\n  " + "\n  ".join(what))
        if len(report) > 4:
            break
    return "\n".join(report)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: f"seed{spec.seed}")
def test_every_case_writes_the_golden_bytes(runtime: Runtime, spec: SeedSpec) -> None:
    seeded = seed_organization(runtime.database, spec)
    wrong = []
    for case, run in exports(runtime, seeded).items():
        name = f"seed{spec.seed}/{case}"
        got = run()
        if sha256(got) != MANIFEST[name]["sha256"]:
            expected = gzip.decompress(golden_path(spec, case).read_bytes())
            wrong.append(f"{name}: {explain(expected, got)}")
    assert not wrong, "\n\n".join(wrong)


def test_the_golden_files_match_their_manifest() -> None:
    """The files are what the manifest says, and every case has a substantial share of data."""
    for spec in SPECS:
        for case in ("organization", "task_default", "message_default", "team_default"):
            data = gzip.decompress(golden_path(spec, case).read_bytes())
            entry = MANIFEST[f"seed{spec.seed}/{case}"]
            assert sha256(data) == entry["sha256"]
            assert data.count(b"\n") == entry["lines"] > 0


def test_a_difference_is_named_by_its_path() -> None:
    """What a failure prints: the line, the gid and the path of each changed value."""
    golden = b'{"gid":"1","a":{"b":[1,2]},"c":"x"}\n{"gid":"2"}\n'
    written = b'{"gid":"1","a":{"b":[1,3]},"c":"x"}\n{"gid":"2"}\n'
    assert (
        explain(golden, written) == "2 golden lines, 2 written\nline 1 (gid 1):\n  .a.b[1]: 2 != 3"
    )
    reordered = b'{"gid":"1","c":"x","a":{"b":[1,2]}}\n{"gid":"2"}\n'
    assert "keys ['gid', 'a', 'c'] != ['gid', 'c', 'a']" in explain(golden, reordered)


@pytest.mark.parametrize("batch_size", [7, 64])
def test_batches_of_any_size_write_the_golden_bytes(runtime: Runtime, batch_size: int) -> None:
    """Batch boundaries (a task's stories, lookups, reading ahead) change nothing."""
    runtime.settings = runtime.settings.model_copy(update={"export_batch_size": batch_size})
    spec = SPECS[0]
    seeded = seed_organization(runtime.database, spec)
    for case in ("organization", "task_default", "task_relations", "mixed"):
        got = exports(runtime, seeded)[case]()
        name = f"seed{spec.seed}/{case}"
        if sha256(got) != MANIFEST[name]["sha256"]:
            expected = gzip.decompress(golden_path(spec, case).read_bytes())
            pytest.fail(f"{name} in batches of {batch_size}: {explain(expected, got)}")
