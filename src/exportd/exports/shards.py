"""Splitting one resource export into shards that, joined in order, are the unsplit file.

A resource export writes its parts one after the other, each in gid order, so any
contiguous run of that sequence can be exported on its own and the pieces concatenated.
The plan cuts the largest task part (tasks are where the volume is: stories, attachments
and relations come with them) at gid quantiles into shards of about equal size; the parts
before it go with the first shard, the parts after it with the last.
"""

from __future__ import annotations

from sqlalchemy import func, select

from exportd.domain.resource_exports import ExportPart, ResourceExportRequest
from exportd.exports.context import Export
from exportd.exports.resource import Slice, whole
from exportd.store.resource_exports import Condition, filter_conditions
from exportd.store.schema import tasks

Shard = tuple[Slice, ...]


def plan(
    export: Export, request: ResourceExportRequest, most: int, min_objects: int
) -> list[Shard]:
    """At most `most` shards of `request`, in file order, each with `min_objects` tasks or
    more; one shard, the whole export, when there are too few tasks to split (starting a
    process then costs more than it saves)."""
    sizes = {
        index: _count(export, part)
        for index, part in enumerate(request.parts)
        if part.resource_type == "task"
    }
    if not sizes:
        return [whole(request)]
    split, size = max(sizes.items(), key=lambda item: item[1])
    count = min(most, size // max(min_objects, 1))
    if count < 2:
        return [whole(request)]
    part = request.parts[split]
    cuts: list[int | None] = [None]
    cuts += [_gid_at(export, part, size * k // count) for k in range(1, count)]
    cuts.append(None)
    shards: list[Shard] = [(Slice(split, cuts[k], cuts[k + 1]),) for k in range(count)]
    everything = whole(request)
    shards[0] = (*everything[:split], *shards[0])
    shards[-1] = (*shards[-1], *everything[split + 1 :])
    return shards


def _scope(export: Export, part: ExportPart) -> list[Condition]:
    """The rows of a task part, exactly as `store.export_reads.task_rows` selects them."""
    return [export.reader.in_organization(tasks), *filter_conditions("task", part.filters)]


def _count(export: Export, part: ExportPart) -> int:
    query = select(func.count()).select_from(tasks).where(*_scope(export, part))
    return int(export.reader.connection.execute(query).scalar_one())


def _gid_at(export: Export, part: ExportPart, offset: int) -> int:
    """The gid of the part's task at `offset` in gid order: where a shard starts."""
    query = (
        select(tasks.c.gid)
        .where(*_scope(export, part))
        .order_by(tasks.c.gid)
        .offset(offset)
        .limit(1)
    )
    return int(export.reader.connection.execute(query).scalar_one())
