"""`progress` of jobs and organization exports: an exportd extension, shown only when asked.

`opt_fields=…,progress` adds `{"objects_written", "objects_expected"}`; without it the
replies are exactly Asana's documented shapes, so SDK users see no difference. Objects
written is what the running attempt has recorded (the file's line count once finished);
objects expected is an estimate counted from the store the first time it is asked for an
organization export (exact once finished), and null for resource exports until they finish.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any

from exportd.api.endpoint import Call
from exportd.domain.jobs import ExportJob, State
from exportd.runtime import Runtime
from exportd.store.export_progress import estimate_organization_objects

FIELD = "progress"
_KEPT = 1024  # estimates kept, one per export recently followed
_estimates: OrderedDict[int, int] = OrderedDict()
_lock = Lock()


def asked(call: Call) -> bool:
    """Whether `opt_fields` names the extension (nothing is computed otherwise)."""
    raw = call.query.get("opt_fields") or ""
    return any(path.strip().split(".")[0] == FIELD for path in raw.split(","))


def add_progress(call: Call, job: ExportJob, shape: dict[str, Any]) -> dict[str, Any]:
    """`shape` with `progress` when the call asked for it."""
    if asked(call):
        shape[FIELD] = progress_of(call.runtime, job)
    return shape


def progress_of(runtime: Runtime, job: ExportJob) -> dict[str, int | None]:
    if job.state is State.FINISHED and job.line_count is not None:
        return {"objects_written": job.line_count, "objects_expected": job.line_count}
    expected = _estimate(runtime, job) if job.kind == "organization" else None
    return {"objects_written": job.progress_objects, "objects_expected": expected}


def _estimate(runtime: Runtime, job: ExportJob) -> int:
    with _lock:
        if job.gid in _estimates:
            _estimates.move_to_end(job.gid)
            return _estimates[job.gid]
    with runtime.database.read() as connection:
        counted = estimate_organization_objects(connection, job.workspace_gid)
    with _lock:
        _estimates[job.gid] = counted
        while len(_estimates) > _KEPT:
            _estimates.popitem(last=False)
    return counted
