"""A graph export (G1): a goal, team, portfolio or project and what lies beneath it.

The scope — which portfolios, projects and links — is resolved once, over the export's
snapshot, with the requester's visibility (`store.graph_reads`). Then every type is written
in turn, each object once: the goal, portfolios, their links, projects, sections, tasks,
allocations and time tracking entries. Projects, sections, portfolios and goals are shaped
by the organization export's page builders, so they are the same objects; tasks are built
column by column by the same engine, with the lookups of projects cut to those the
requester can see. What an object refers to that the requester may not see is left out:
portfolios' items outside the file, tasks' projects they cannot see, and references to
tasks outside the file (`parent` shows null, `dependencies` and `dependents` drop them).

The organization export's pages of allocations, time tracking entries and goal
relationships (the whole organization's, O5) are here too, in the same shapes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Container, Iterator
from hashlib import blake2b
from typing import Any

import orjson
import polars as pl
from sqlalchemy import Connection

from exportd.domain.jobs import PermanentExportError
from exportd.domain.projection import FieldTree
from exportd.domain.resources import RESOURCES
from exportd.exports import structure
from exportd.exports.context import Export
from exportd.exports.jsonl import Piece, encode_page, pieces_of
from exportd.exports.reader import BATCH_SIZE
from exportd.exports.shapes import DEFAULT_PERMALINK_BASE, Obj, day, named, ts
from exportd.exports.task_frames import TASK_BATCH_SIZE, Lookups, task_chunks
from exportd.store import graph_reads
from exportd.store.export_reads import ArrowSnapshot
from exportd.store.graph_reads import GraphScope
from exportd.store.schema import goals, portfolios, projects, sections

RESOURCE_TYPES = (
    "goal",
    "portfolio",
    "portfolio_to_portfolio",
    "project_to_portfolio",
    "project",
    "section",
    "task",
    "allocation",
    "time_tracking_entry",
)
"""The types of a graph export's file, in the order they are written (a goal only when the
parent is one)."""

GONE = (
    "parent: the goal, team, portfolio or project to export no longer exists, or the user "
    "who asked for the export can no longer see it"
)


def graph_chunks(
    connection: Connection,
    snap: ArrowSnapshot,
    caller_gid: int,
    parent_gid: int,
    *,
    permalink_base: str = DEFAULT_PERMALINK_BASE,
    batch_size: int = BATCH_SIZE,
    task_batch_size: int = TASK_BATCH_SIZE,
) -> Iterator[Piece]:
    """The file of a graph export as JSON Lines pieces, type by type (`RESOURCE_TYPES`).

    `connection` and `snap` must read the same state of the store. Raises
    PermanentExportError (before yielding anything) when the parent is gone or hidden.
    """
    parent = graph_reads.find_parent(connection, parent_gid)
    if parent is None or not graph_reads.can_see_parent(connection, caller_gid, parent):
        raise PermanentExportError(GONE)
    scope = graph_reads.resolve_scope(connection, caller_gid, parent)
    organization = parent.workspace_gid
    export = Export.open(
        connection, organization, permalink_base=permalink_base, batch_size=batch_size
    )
    if scope.goal is not None:
        pages = structure.goal_pages(export, goals.c.gid == scope.goal)
        yield from pieces_of(("goal", page) for page in pages if page)
    yield from _portfolios(export, scope)
    yield from _links(export, scope)
    in_projects = projects.c.gid.in_(scope.projects)
    yield from pieces_of(
        ("project", page) for page in structure.project_pages(export, in_projects) if page
    )
    in_sections = sections.c.project_gid.in_(scope.projects)
    yield from pieces_of(
        ("section", page) for page in structure.section_pages(export, in_sections) if page
    )
    if scope.projects:
        yield from _tasks(connection, snap, scope, export.permalink_base, task_batch_size)
    allocated = graph_reads.allocations_of(scope.projects)
    for rows in graph_reads.allocation_pages(connection, allocated, batch_size):
        page = [allocation(row) for row in rows]
        yield "allocation", encode_page(page), len(page)
    tracked = graph_reads.task_condition(scope.projects)
    for rows in graph_reads.time_entry_pages(connection, organization, tracked, batch_size):
        page = [time_tracking_entry(row, scope.visible_projects) for row in rows]
        yield "time_tracking_entry", encode_page(page), len(page)


def _portfolios(export: Export, scope: GraphScope) -> Iterator[Piece]:
    """The scope's portfolios; their `items` only those in the file."""
    inside = {str(gid) for gid in (*scope.projects, *scope.portfolios)}
    where = portfolios.c.gid.in_(scope.portfolios)
    for page in structure.portfolio_pages(export, where):
        for obj in page:
            obj["items"] = [item for item in obj["items"] if item["gid"] in inside]
        if page:
            yield "portfolio", encode_page(page), len(page)


def _links(export: Export, scope: GraphScope) -> Iterator[Piece]:
    """`portfolio_to_portfolio` and `project_to_portfolio`: each item of each portfolio."""
    refs = export.compacts
    refs.want("portfolio", scope.portfolios)
    refs.want("project", scope.projects)
    refs.load()
    for kind, item_kind, links in (
        ("portfolio_to_portfolio", "portfolio", scope.portfolio_links),
        ("project_to_portfolio", "project", scope.project_links),
    ):
        page = [
            link(kind, container, shown, position)
            for portfolio, position, item in links
            if (container := refs.get("portfolio", portfolio)) is not None
            and (shown := refs.get(item_kind, item)) is not None
        ]
        if page:
            yield kind, encode_page(page), len(page)


def link_gid(portfolio_gid: int, item_gid: int) -> str:
    """A stable gid for an item of a portfolio, which the store keeps as a pair: the same
    link shows the same gid in every export (below 2**62, as gids are)."""
    digest = blake2b(f"{portfolio_gid}>{item_gid}".encode(), digest_size=8).digest()
    return str(int.from_bytes(digest, "big") >> 2)


def link(kind: str, portfolio: Obj, item: Obj, position: int) -> Obj:
    return {
        "gid": link_gid(int(portfolio["gid"]), int(item["gid"])),
        "resource_type": kind,
        "portfolio": portfolio,
        "item": item,
        "position": position,
    }


def _tasks(
    connection: Connection, snap: ArrowSnapshot, scope: GraphScope, base: str, batch_size: int
) -> Iterator[Piece]:
    """The scope's tasks and first-level subtasks, column by column, in every task field."""
    organization = scope.parent.workspace_gid
    lookups = Lookups.load(snap, organization)
    seen = pl.DataFrame({"key": sorted(scope.visible_projects)}, schema={"key": pl.Int64})
    projects_seen = lookups.projects.join(seen, on="key", how="semi", maintain_order="left")
    lookups = dataclasses.replace(lookups, projects=projects_seen)
    in_file = graph_reads.task_gids(connection, organization, scope)
    tree: FieldTree = {name: {} for name in RESOURCES["task"].full}
    where = [graph_reads.task_condition(scope.projects)]
    for data, lines in task_chunks(
        snap, organization, where, tree, lookups=lookups, base=base, batch_size=batch_size
    ):
        yield "task", _within(data, in_file), lines


_NO_TASK_REFERENCES = (b'"parent":null', b'"dependencies":[]', b'"dependents":[]')


def _within(data: bytes, in_file: set[int]) -> bytes:
    """Task lines with their references to tasks outside the file left out. Most tasks
    refer to none, and their lines are kept as they are, unparsed."""
    lines = data.splitlines(keepends=True)
    changed = False
    for index, line in enumerate(lines):
        if all(marker in line for marker in _NO_TASK_REFERENCES):
            continue
        obj = orjson.loads(line)
        parent = obj.get("parent")
        if parent is not None and int(parent["gid"]) not in in_file:
            obj["parent"] = None
        for name in ("dependencies", "dependents"):
            obj[name] = [task for task in obj.get(name) or () if int(task["gid"]) in in_file]
        lines[index] = orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE)
        changed = True
    return b"".join(lines) if changed else data


def _user(gid: int | None, name: str | None) -> Obj | None:
    return None if gid is None or name is None else named("user", gid, name)


def allocation(row: Any) -> Obj:
    """AllocationResponse, from an `allocation_pages` row."""
    effort = None
    if row.effort_type is not None:
        effort = {"type": row.effort_type, "value": row.effort_value}
    return {
        "gid": str(row.gid),
        "resource_type": "allocation",
        "start_date": day(row.start_date),
        "end_date": day(row.end_date),
        "effort": effort,
        "assignee": _user(row.assignee_gid, row.assignee_name),
        "created_by": _user(row.created_by_gid, row.creator_name),
        "parent": named("project", row.project_gid, row.project_name),
        "resource_subtype": row.resource_subtype,
    }


def time_tracking_entry(row: Any, visible_projects: Container[int] | None = None) -> Obj:
    """TimeTrackingEntryBase, from a `time_entry_pages` row; `attributable_to` shows only an
    undeleted project (that the requester can see: among `visible_projects`, when given)."""
    attributable = None
    seen = visible_projects is None or row.attributable_to_gid in visible_projects
    if seen and row.project_name is not None:
        attributable = named("project", row.attributable_to_gid, row.project_name)
    return {
        "gid": str(row.gid),
        "resource_type": "time_tracking_entry",
        "duration_minutes": row.duration_minutes,
        "entered_on": day(row.entered_on),
        "attributable_to": attributable,
        "created_by": _user(row.created_by_gid, row.creator_name),
        "categories": [],
        "task": {
            "gid": str(row.task_gid),
            "resource_type": "task",
            "name": row.task_name,
            "resource_subtype": row.task_subtype,
            "created_by": _user(row.task_created_by_gid, row.task_creator_name),
        },
        "created_at": ts(row.created_at),
        "approval_status": row.approval_status,
        "billable_status": row.billable_status,
        "description": row.description,
    }
