"""A resource export (seed 002): the tasks, teams and messages a request's parts select.

Each part is exported in turn: its filters become SQL conditions on its type's table
(`store.resource_exports`), so the database selects the rows. Tasks are built column by
column (`exports.task_frames`); teams and messages by the page builders of the
organization export, then cut down to the part's fields. Embedded stories and attachments
are read only when the part's fields show them. Several parts of one type are ORed by
exporting each one (an object matching two appears twice, as the seed allows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection

from exportd.domain.projection import FieldTree, project
from exportd.domain.resource_exports import ExportPart, ResourceExportRequest
from exportd.exports import structure, work
from exportd.exports.context import Export, Pages
from exportd.exports.embedded import embed_children
from exportd.exports.jsonl import Piece, encode_page
from exportd.exports.reader import BATCH_SIZE
from exportd.exports.shapes import DEFAULT_PERMALINK_BASE, Obj
from exportd.exports.task_frames import TASK_BATCH_SIZE, Lookups, task_chunks
from exportd.store.database import Database
from exportd.store.export_reads import ArrowSnapshot, paired_snapshot
from exportd.store.resource_exports import Condition, filter_conditions, gid_range


def _teams(export: Export, where: list[Condition], tree: FieldTree) -> Pages:
    return structure.team_pages(export, *where)


def _messages(export: Export, where: list[Condition], tree: FieldTree) -> Pages:
    """Default messages and every status update, all as seed 002's `message`."""
    return work.message_pages(export, *where, every_status_update=True, children=False)


PAGES: dict[str, Callable[[Export, list[Condition], FieldTree], Pages]] = {
    "team": _teams,
    "message": _messages,
}
"""How teams and messages are read, given their filters as conditions and their fields."""

WITH_CHILDREN = frozenset({"message"})
"""Types read object by object whose objects carry their own stories and attachments."""


@dataclass(frozen=True)
class Slice:
    """A contiguous run of one part's objects: those with `start <= gid < stop` (an open
    end when None). An export is its parts in order, each in gid order, so a run of slices
    in that order is a contiguous piece of the export's file: a shard of it."""

    part: int  # index in the request's parts
    start: int | None = None
    stop: int | None = None

    def conditions(self, resource_type: str) -> list[Condition]:
        return gid_range(resource_type, self.start, self.stop)


def whole(request: ResourceExportRequest) -> tuple[Slice, ...]:
    """Every object of every part: the unsplit export."""
    return tuple(Slice(index) for index in range(len(request.parts)))


def resource_export_chunks(
    connection: Connection,
    snap: ArrowSnapshot,
    workspace_gid: int,
    request: ResourceExportRequest,
    *,
    slices: Sequence[Slice] | None = None,
    permalink_base: str = DEFAULT_PERMALINK_BASE,
    batch_size: int = BATCH_SIZE,
    task_batch_size: int = TASK_BATCH_SIZE,
) -> Iterator[Piece]:
    """The file of a resource export (or of `slices` of it), as JSON Lines pieces in order.

    Task parts are built column by column from `snap` (`exports.task_frames`); teams and
    messages object by object over `connection`. Raises NotFound (before yielding
    anything) when the workspace does not exist.
    """
    export = Export.open(
        connection, workspace_gid, permalink_base=permalink_base, batch_size=batch_size
    )
    lookups: Lookups | None = None
    for piece in whole(request) if slices is None else slices:
        part = request.parts[piece.part]
        bounds = piece.conditions(part.resource_type)
        if part.resource_type != "task":
            for page in part_pages(export, part, bounds):
                if page:
                    yield part.resource_type, encode_page(page), len(page)
            continue
        lookups = lookups or Lookups.load(snap, workspace_gid)
        where = [*filter_conditions("task", part.filters), *bounds]
        for data, lines in task_chunks(
            snap, workspace_gid, where, part.field_tree(), lookups=lookups,
            base=export.permalink_base, batch_size=task_batch_size,
        ):  # fmt: skip
            yield "task", data, lines


def part_pages(export: Export, part: ExportPart, bounds: Sequence[Condition] = ()) -> Pages:
    """The objects of one team or message part (within `bounds`), page by page, shaped and
    cut to its fields."""
    tree = part.field_tree()
    where = [*filter_conditions(part.resource_type, part.filters), *bounds]
    for page in PAGES[part.resource_type](export, where, tree):
        if part.resource_type in WITH_CHILDREN:
            embed_children(
                export,
                part.resource_type,
                page,
                with_stories="stories" in tree,
                with_attachments="attachments" in tree,
            )
        yield [project(obj, tree) for obj in page]


def resource_export_objects(
    database: Database,
    workspace_gid: int,
    request: ResourceExportRequest,
    *,
    slices: Sequence[Slice] | None = None,
    batch_size: int = BATCH_SIZE,
    task_batch_size: int = TASK_BATCH_SIZE,
) -> Iterator[Obj]:
    """Every object of the export's file (or of `slices` of it), parsed back, over a
    snapshot of its own: for callers that want objects, not bytes."""
    with paired_snapshot(database) as (connection, snap):
        pieces = resource_export_chunks(
            connection, snap, workspace_gid, request, slices=slices,
            batch_size=batch_size, task_batch_size=task_batch_size,
        )  # fmt: skip
        for _type, data, _lines in pieces:
            yield from map(orjson.loads, data.splitlines())
