"""Every exported object of an organization, type by type, what is referred to coming first.

The order lets a loader that checks references as it goes (`exportd import`) meet each
object before the objects that point at it, except where the data itself is circular
(a subtask before its parent task, a project before its newest status update).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import orjson
from sqlalchemy import Connection

from exportd.domain.projection import FieldTree
from exportd.domain.resources import RESOURCES
from exportd.exports import children, graph, structure, work
from exportd.exports.context import Export, Pages
from exportd.exports.jsonl import Piece, pieces_of
from exportd.exports.reader import BATCH_SIZE
from exportd.exports.shapes import DEFAULT_PERMALINK_BASE, Obj
from exportd.exports.task_frames import (
    TASK_BATCH_SIZE,
    Lookups,
    task_children_chunks,
    task_chunks,
)
from exportd.store.database import Database
from exportd.store.export_reads import ArrowSnapshot, paired_snapshot


class Part(NamedTuple):
    """One resource type of an organization export, and how to read its pages."""

    resource_type: str
    pages: Callable[[Export], Pages]


PARTS: tuple[Part, ...] = (
    Part("workspace", structure.workspace_pages),
    Part("user", structure.user_pages),
    Part("workspace_membership", structure.workspace_membership_pages),
    Part("team", structure.team_pages),
    Part("team_membership", structure.team_membership_pages),
    Part("custom_field", structure.custom_field_pages),
    Part("tag", structure.tag_pages),
    Part("project", structure.project_pages),
    Part("project_membership", structure.project_membership_pages),
    Part("section", structure.section_pages),
    Part("portfolio", structure.portfolio_pages),
    Part("portfolio_membership", structure.portfolio_membership_pages),
    Part("goal", structure.goal_pages),
    Part("task", lambda export: iter(())),  # column by column: `organization_chunks`
    Part("story", lambda export: children.story_pages(export, messages_only=True)),
    Part("attachment", lambda export: children.attachment_pages(export, messages_only=True)),
    Part("status_update", work.status_update_pages),
    Part("message", work.message_pages),
    Part("goal_relationship", graph.goal_relationship_pages),
    Part("allocation", graph.allocation_pages),
    Part("time_tracking_entry", graph.time_entry_pages),
)
"""The types of an organization export, in the order they are written."""

RESOURCE_TYPES = tuple(part.resource_type for part in PARTS)


COLUMNAR = frozenset({"task", "story", "attachment"})
"""Types built column by column (`exports.task_frames`): tasks, and the stories and
attachments of tasks. The others, and the stories and attachments of messages, object by
object."""


def organization_chunks(
    connection: Connection,
    snap: ArrowSnapshot,
    organization_gid: int,
    *,
    permalink_base: str = DEFAULT_PERMALINK_BASE,
    batch_size: int = BATCH_SIZE,
    task_batch_size: int = TASK_BATCH_SIZE,
) -> Iterator[Piece]:
    """The file of the organization export as JSON Lines pieces, type by type (`PARTS`).

    Raises NotFound (before yielding anything) when the organization does not exist.
    `connection` and `snap` must read the same state of the store (opened together).
    """
    export = Export.open(
        connection, organization_gid, permalink_base=permalink_base, batch_size=batch_size
    )
    lookups: Lookups | None = None
    for part in PARTS:
        kind = part.resource_type
        if kind not in COLUMNAR:
            yield from pieces_of((kind, page) for page in part.pages(export) if page)
            continue
        lookups = lookups or Lookups.load(snap, organization_gid)
        if kind == "task":
            tree: FieldTree = {name: {} for name in RESOURCES["task"].full}
            chunks = task_chunks(
                snap, organization_gid, (), tree, lookups=lookups,
                base=export.permalink_base, batch_size=task_batch_size,
            )  # fmt: skip
        else:
            chunks = task_children_chunks(
                snap, organization_gid, kind, lookups=lookups, batch_size=task_batch_size
            )
        for data, lines in chunks:
            yield kind, data, lines
        yield from pieces_of((kind, page) for page in part.pages(export) if page)  # messages'


def organization_objects(
    database: Database,
    organization_gid: int,
    *,
    permalink_base: str = DEFAULT_PERMALINK_BASE,
    batch_size: int = BATCH_SIZE,
    task_batch_size: int = TASK_BATCH_SIZE,
) -> Iterator[Obj]:
    """Every object of the organization export's file, parsed back, over a snapshot of its
    own: for callers that want objects, not bytes."""
    with paired_snapshot(database) as (connection, snap):
        pieces = organization_chunks(
            connection, snap, organization_gid, permalink_base=permalink_base,
            batch_size=batch_size, task_batch_size=task_batch_size,
        )  # fmt: skip
        for _type, data, _lines in pieces:
            yield from map(orjson.loads, data.splitlines())
