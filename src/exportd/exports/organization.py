"""Every exported object of an organization, type by type, what is referred to coming first.

The order lets a loader that checks references as it goes (`exportd import`) meet each
object before the objects that point at it, except where the data itself is circular
(a subtask before its parent task, a project before its newest status update).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import orjson
import polars as pl

from exportd.domain.projection import FieldTree
from exportd.domain.resources import RESOURCES
from exportd.exports import structure_frames as sf
from exportd.exports.jsonl import Piece
from exportd.exports.shapes import DEFAULT_PERMALINK_BASE, Obj
from exportd.exports.task_frames import (
    TASK_BATCH_SIZE,
    Lookups,
    task_children_chunks,
    task_chunks,
)
from exportd.store.database import Database
from exportd.store.export_reads import ArrowSnapshot, arrow_snapshot


class Part(NamedTuple):
    """One resource type of an organization export, and how to read its shaped pages."""

    resource_type: str
    pages: Callable[[sf.Scope], Iterator[pl.DataFrame]]


PARTS: tuple[Part, ...] = (
    Part("workspace", sf.workspaces),
    Part("user", sf.users),
    Part("workspace_membership", sf.workspace_memberships),
    Part("team", sf.teams),
    Part("team_membership", sf.team_memberships),
    Part("custom_field", sf.custom_fields),
    Part("tag", sf.tags),
    Part("project", sf.projects),
    Part("project_membership", sf.project_memberships),
    Part("section", sf.sections),
    Part("portfolio", sf.portfolios),
    Part("portfolio_membership", sf.portfolio_memberships),
    Part("goal", sf.goals),
    Part("task", lambda scope: iter(())),  # by task batches: `organization_chunks`
    Part("story", lambda scope: sf.message_children(scope, "story")),  # after tasks'
    Part("attachment", lambda scope: sf.message_children(scope, "attachment")),
    Part("status_update", sf.status_updates),
    Part("message", sf.messages),
    Part("goal_relationship", sf.goal_relationships),
    Part("allocation", sf.allocations),
    Part("time_tracking_entry", sf.time_tracking_entries),
)
"""The types of an organization export, in the order they are written."""

RESOURCE_TYPES = tuple(part.resource_type for part in PARTS)

OF_TASKS = frozenset({"task", "story", "attachment"})
"""Types read by task gid batches (`exports.task_frames`): tasks, and the stories and
attachments of tasks, before those of messages."""


def organization_chunks(
    snap: ArrowSnapshot,
    organization_gid: int,
    *,
    permalink_base: str = DEFAULT_PERMALINK_BASE,
    batch_size: int = sf.PAGE_SIZE,
    task_batch_size: int = TASK_BATCH_SIZE,
) -> Iterator[Piece]:
    """The file of the organization export as JSON Lines pieces, type by type (`PARTS`).

    Raises NotFound (before yielding anything) when the organization does not exist.
    """
    base = permalink_base.rstrip("/")
    lookups = Lookups.load(snap, organization_gid)
    scope = sf.Scope.open(snap, organization_gid, lookups, base, batch_size)
    for part in PARTS:
        kind = part.resource_type
        if kind == "task":
            tree: FieldTree = {name: {} for name in RESOURCES["task"].full}
            chunks = task_chunks(
                snap, organization_gid, (), tree, lookups=lookups, base=base,
                batch_size=task_batch_size,
            )  # fmt: skip
        elif kind in OF_TASKS:
            chunks = task_children_chunks(
                snap, organization_gid, kind, lookups=lookups, batch_size=task_batch_size
            )
        else:
            chunks = iter(())
        for data, lines in chunks:
            yield kind, data, lines
        shaped = (sf.shaped(page, kind, base) for page in part.pages(scope))
        for data, lines in sf.lines(shaped):
            yield kind, data, lines


def organization_objects(
    database: Database,
    organization_gid: int,
    *,
    permalink_base: str = DEFAULT_PERMALINK_BASE,
    batch_size: int = sf.PAGE_SIZE,
    task_batch_size: int = TASK_BATCH_SIZE,
) -> Iterator[Obj]:
    """Every object of the organization export's file, parsed back, over a snapshot of its
    own: for callers that want objects, not bytes."""
    with arrow_snapshot(database) as snap:
        pieces = organization_chunks(
            snap, organization_gid, permalink_base=permalink_base, batch_size=batch_size,
            task_batch_size=task_batch_size,
        )  # fmt: skip
        for _type, data, _lines in pieces:
            yield from map(orjson.loads, data.splitlines())
