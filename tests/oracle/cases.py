"""The export oracle: what the engine wrote for seeded organizations, kept as golden files.

The golden files were written by the object-by-object engine (rows → dicts → orjson) that
the columnar engine replaced; `tests/oracle/test_golden.py` checks that today's engine
writes the same bytes for the same store, on both backends. The cases cover all three
export kinds: the organization export, and resource exports of tasks, teams and messages
with default fields, narrow `fields` (dotted paths included) and filters.

`python -m tests.oracle.make` rewrites the golden files; do that only when the export
format changes on purpose (docs/export-format.md says what changed).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from exportd.clock import isoformat
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.domain.jobs import ExportJob
from exportd.domain.resource_exports import parse_export_request
from exportd.jobs.context import JobContext
from exportd.jobs.handlers import HANDLERS
from exportd.runtime import Runtime
from exportd.storage.local import LocalStorage
from exportd.store import jobs
from exportd.store import schema as s

GOLDEN = Path(__file__).parent / "golden"

SPECS: tuple[SeedSpec, ...] = (
    SeedSpec(seed=21, users=9, teams=3, projects=4, tasks=150, stories_per_task=3,
             attachments_per_task=1, messages=25),
    SeedSpec(seed=22, users=6, teams=2, projects=3, tasks=60, stories_per_task=0,
             attachments_per_task=2, messages=12),
    SeedSpec(seed=23, users=14, teams=4, projects=6, tasks=220, stories_per_task=5,
             attachments_per_task=0, messages=30),
)  # fmt: skip
"""Organizations of several seeds and shapes (no stories; no attachments; many of both)."""

Obj = dict[str, Any]


@dataclass(frozen=True)
class Picks:
    """Users and a moment chosen from the seeded store, to fill the cases' filters."""

    users: list[str]  # gids of users who are assigned tasks, in gid order
    middle: str  # the median task's modified_at, as the API shows it


def picks(runtime: Runtime, seeded: SeedResult) -> Picks:
    t = s.tasks
    live = (t.c.workspace_gid == seeded.organization_gid, t.c.deleted_at.is_(None))
    with runtime.database.read() as connection:
        users = connection.execute(
            select(t.c.assignee_gid).where(*live, t.c.assignee_gid.is_not(None))
            .group_by(t.c.assignee_gid).order_by(t.c.assignee_gid)
        ).scalars().all()  # fmt: skip
        count = connection.execute(select(func.count()).where(*live)).scalar_one()
        middle = connection.execute(
            select(t.c.modified_at).where(*live).order_by(t.c.modified_at, t.c.gid)
            .offset(count // 2).limit(1)
        ).scalar_one()  # fmt: skip
    return Picks([str(gid) for gid in users], isoformat(middle))


def resource_cases(p: Picks) -> dict[str, list[Obj]]:
    """`export_request_parameters` of each resource-export case."""
    u = p.users
    return {
        "task_default": [{"resource_type": "task"}],
        "task_narrow": [{"resource_type": "task", "fields": [
            "name", "assignee.name", "stories.text", "custom_fields.display_value",
            "memberships.section.name", "completed", "due_on"]}],
        "task_relations": [{"resource_type": "task", "fields": [
            "tags", "num_subtasks", "dependencies.name", "dependents", "likes.user.name",
            "attachments.name", "followers.name", "parent.created_by", "projects",
            "custom_fields"]}],
        "task_filtered": [{"resource_type": "task", "filters": {
            "assignee.any": u[:2], "modified_at.after": p.middle}}],
        "task_people": [{"resource_type": "task", "fields": ["name", "created_by.name"],
                         "filters": {"followers.any": u[1:3], "commented_on_by.any": u[:4]}},
                        {"resource_type": "task", "fields": ["gid"],
                         "filters": {"liked_by.any": u[:3], "created_at.before": p.middle}}],
        "team_default": [{"resource_type": "team"}],
        "team_narrow": [{"resource_type": "team", "fields": ["name", "members.email"]}],
        "message_default": [{"resource_type": "message"}],
        "message_narrow": [{"resource_type": "message", "fields": [
            "title", "html_notes", "parents.name", "stories.text", "likes.user.name",
            "attachments"], "filters": {"created_by.any": u[:3]}}],
        "mixed": [{"resource_type": "team"},
                  {"resource_type": "message", "filters": {"modified_at.before": p.middle}},
                  {"resource_type": "task", "filters": {"created_by.any": u[:2]}}],
    }  # fmt: skip


def run_job(runtime: Runtime, seeded: SeedResult, kind: str, parameters: Obj) -> bytes:
    """Run one export job to its published file; its uncompressed bytes."""
    with runtime.database.write() as connection:
        job: ExportJob = jobs.create(
            connection, gid=runtime.gids.next_int(), kind=kind,
            workspace_gid=seeded.organization_gid, created_by_gid=seeded.service_account_gid,
            parameters=parameters, now=runtime.clock(),
            job_gid=runtime.gids.next_int() if kind == "resource" else None,
        )  # fmt: skip
    context = JobContext(job, runtime, lambda _lines: None, threading.Event())
    outcome = HANDLERS[kind](context)
    with runtime.database.write() as connection:  # R9 allows one resource export at a time
        connection.execute(delete(s.exports).where(s.exports.c.gid == job.gid))
    storage = runtime.storage
    assert isinstance(storage, LocalStorage)
    data = gzip.decompress(storage.path(outcome.file_key).read_bytes())
    assert outcome.line_count == data.count(b"\n")
    return data


def exports(runtime: Runtime, seeded: SeedResult) -> dict[str, Callable[[], bytes]]:
    """Every case of one seeded organization: its name, and how to export it."""
    found: dict[str, Callable[[], bytes]] = {
        "organization": lambda: run_job(runtime, seeded, "organization", {})
    }
    for name, parameters in resource_cases(picks(runtime, seeded)).items():
        normalized = parse_export_request(parameters).to_parameters()
        found[name] = partial(run_job, runtime, seeded, "resource", normalized)
    return found


def golden_path(spec: SeedSpec, case: str) -> Path:
    return GOLDEN / f"seed{spec.seed}" / f"{case}.jsonl.gz"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
