"""Requesting an export and following it, the same way for the three kinds.

An organization export is its own object (`state: pending → started → finished | error`);
resource and graph exports are followed through their job (`status: not_started →
in_progress → succeeded | failed`, the file's link in `new_resource_export` or
`new_graph_export`). `Status` is what the command needs of either.

Progress is an exportd extension: asked for through `opt_fields=…,progress`. A server that
does not know the field (Asana answers 400 for an unknown field) is asked without it from
then on, and the command shows a spinner instead of a bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from exportd.client.api import ApiClient, ApiError, Backoff

Kind = Literal["organization", "resource", "graph"]

POLL_FIRST = 0.5
POLL_CAP = 10.0


@dataclass(frozen=True)
class ExportRequest:
    """What to ask for: the kind and the `data` of its POST."""

    kind: Kind
    data: dict[str, Any]

    @property
    def create_path(self) -> str:
        return {
            "organization": "/organization_exports",
            "resource": "/exports/resource",
            "graph": "/exports/graph",
        }[self.kind]

    def follow_path(self, gid: str) -> str:
        return f"/organization_exports/{gid}" if self.kind == "organization" else f"/jobs/{gid}"

    @property
    def fields(self) -> str:
        """Every documented field the command shows, and the progress extension."""
        if self.kind == "organization":
            return "resource_type,created_at,download_url,state,organization.name,progress"
        nested = f"new_{self.kind}_export"
        return (
            f"resource_type,resource_subtype,status,{nested}.created_at,"
            f"{nested}.download_url,progress"
        )


@dataclass(frozen=True)
class Status:
    """An export as one retrieval saw it."""

    gid: str  # what is followed: the organization export, or the job
    export_gid: str | None  # the export object's own gid (the job's new_…_export)
    state: str  # as the server said it
    download_url: str | None
    objects_written: int | None = None
    objects_expected: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def finished(self) -> bool:
        return self.state in ("finished", "succeeded")

    @property
    def failed(self) -> bool:
        return self.state in ("error", "failed")


def status_of(request: ExportRequest, data: dict[str, Any]) -> Status:
    """Read a reply of the create or follow endpoint into a Status."""
    progress = data.get("progress")
    written = expected = None
    if isinstance(progress, dict):
        written = _count(progress.get("objects_written"))
        expected = _count(progress.get("objects_expected"))
    gid = str(data.get("gid", ""))
    if not gid:
        raise ApiError("the server's reply names no export")
    if request.kind == "organization":
        export_gid: str | None = gid
        state = str(data.get("state", ""))
        url = data.get("download_url")
    else:
        nested = data.get(f"new_{request.kind}_export") or {}
        export_gid = str(nested["gid"]) if isinstance(nested, dict) and "gid" in nested else None
        state = str(data.get("status", ""))
        url = nested.get("download_url") if isinstance(nested, dict) else None
    return Status(
        gid=gid,
        export_gid=export_gid,
        state=state,
        download_url=url if isinstance(url, str) and url else None,
        objects_written=written,
        objects_expected=expected,
        raw=data,
    )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


@dataclass
class Follower:
    """Creates and follows exports of one request; remembers whether progress is offered."""

    api: ApiClient
    request: ExportRequest
    sleep: Callable[[float], None] = time.sleep
    progress_offered: bool | None = None  # unknown until the first retrieval

    def create(self) -> Status:
        return status_of(self.request, self.api.post(self.request.create_path, self.request.data))

    def get(self, gid: str) -> Status:
        """One retrieval, with the progress extension while the server accepts it."""
        path = self.request.follow_path(gid)
        if self.progress_offered is not False:
            try:
                data = self.api.get(path, {"opt_fields": self.request.fields})
            except ApiError as error:
                if error.http_status != 400:
                    raise
                self.progress_offered = False
            else:
                self.progress_offered = "progress" in data
                return status_of(self.request, data)
        return status_of(self.request, self.api.get(path))

    def wait(self, status: Status, on_status: Callable[[Status], None]) -> Status:
        """Poll until the export is finished or failed: every 0.5 s at first, then less
        often, at most every 10 s; sooner again whenever progress moved."""
        backoff = Backoff(first=POLL_FIRST, cap=POLL_CAP, factor=1.5, jitter=0.0)
        on_status(status)
        while not (status.finished or status.failed):
            self.sleep(backoff.next())
            previous = status
            status = self.get(status.gid)
            if (status.objects_written, status.state) != (previous.objects_written, previous.state):
                backoff = Backoff(first=POLL_FIRST * 2, cap=POLL_CAP, factor=1.5, jitter=0.0)
            on_status(status)
        return status
