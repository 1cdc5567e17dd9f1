"""What graph exports add to a seeded organization: goal relationships, allocations, time.

Drawn from a random stream and a gid source of their own (the seed's hour, node 1), so
adding them changed none of the rows, gids or files an organization had before: every
other object of a seed is made exactly as it was. Allocations come in proportion to
projects (one to three each), time tracking entries in proportion to tasks (about one task
in three has some), and a few percent of each are soft-deleted, as everything else.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from exportd.clock import FrozenClock
from exportd.datagen.context import DAY_MS, Batch, Context
from exportd.datagen.directory import Directory
from exportd.datagen.prose import Prose
from exportd.datagen.spec import SEED_HOUR
from exportd.domain import vocabulary as v
from exportd.gids import EPOCH, GidGenerator
from exportd.store.schema import (
    allocations,
    goal_relationships,
    task_memberships,
    tasks,
    time_tracking_entries,
)

GRAPH_NODE = 1
"""The gid node of these objects: the seed's other objects are all node 0."""


def graph_context(seed: int) -> Context:
    """The random stream and gids of a seed's graph objects, apart from everything else."""
    gids = GidGenerator(node=GRAPH_NODE, clock=FrozenClock(EPOCH + seed * SEED_HOUR))
    return Context(random.Random(f"{seed}:graph"), gids)


def structure_batch(ctx: Context, directory: Directory) -> Batch:
    """Goal relationships and allocations of the organization's live goals and projects."""
    batch, rng = Batch(), ctx.rng
    supporters: list[tuple[str, int]] = [("project", p.gid) for p in directory.projects]
    supporters += [("portfolio", p.gid) for p in directory.portfolios]
    for goal in directory.goals:
        chosen = rng.sample(supporters, min(len(supporters), rng.randint(1, 3)))
        others = [g for g in directory.goals if g.gid != goal.gid]
        if others and rng.random() < 0.3:
            chosen.append(("goal", rng.choice(others).gid))
        for kind, gid in chosen:
            created = ctx.moment()
            deleted_at = ctx.deleted_at("goal_relationships", created)
            batch.add(
                goal_relationships, gid=ctx.gid(), supported_goal_gid=goal.gid,
                resource_subtype="subgoal" if kind == "goal" else "supporting_work",
                supporting_goal_gid=gid if kind == "goal" else None,
                supporting_project_gid=gid if kind == "project" else None,
                supporting_portfolio_gid=gid if kind == "portfolio" else None,
                contribution_weight=rng.choice((0.0, 0.25, 0.5, 1.0)),
                created_at=created, modified_at=deleted_at or created, deleted_at=deleted_at,
            )  # fmt: skip
    for project in directory.projects:
        people = project.members or directory.people
        for _ in range(rng.randint(1, 3)):
            created = ctx.moment()
            start = created.date() + timedelta(days=rng.randint(0, 30))
            effort_type = rng.choice((None, *v.EFFORT_TYPES))
            value = None
            if effort_type is not None:
                value = float(rng.choice((10, 25, 50, 100)) if effort_type == "percent" else 8)
            deleted_at = ctx.deleted_at("allocations", created)
            batch.add(
                allocations, gid=ctx.gid(), workspace_gid=directory.workspace_gid,
                project_gid=project.gid, assignee_gid=rng.choice(people).gid,
                created_by_gid=rng.choice(people).gid, resource_subtype="project_allocation",
                start_date=start, end_date=start + timedelta(days=rng.randint(7, 90)),
                effort_type=effort_type, effort_value=value, created_at=created,
                modified_at=deleted_at or created, deleted_at=deleted_at,
            )  # fmt: skip
    return batch


def time_batch(ctx: Context, directory: Directory, work: Batch) -> Batch:
    """Time tracked on the tasks of one batch of tasks, attributed to a project of each."""
    batch, rng, prose = Batch(), ctx.rng, Prose(ctx.rng)
    homes: dict[int, int] = {}
    for membership in work.rows.get(task_memberships, ()):
        homes.setdefault(membership["task_gid"], membership["project_gid"])
    for task in work.rows.get(tasks, ()):
        if rng.random() >= 0.35:
            continue
        for _ in range(rng.randint(1, 2)):
            batch.add(time_tracking_entries, **_entry(ctx, prose, directory, task, homes))
    return batch


def _entry(
    ctx: Context, prose: Prose, directory: Directory, task: dict[str, Any], homes: dict[int, int]
) -> dict[str, Any]:
    rng = ctx.rng
    created = ctx.later(task["created_at"], 60 * DAY_MS)
    deleted_at = ctx.deleted_at("time_tracking_entries", created)
    return {
        "gid": ctx.gid(),
        "workspace_gid": directory.workspace_gid,
        "task_gid": task["gid"],
        "attributable_to_gid": homes.get(task["gid"]),
        "created_by_gid": task["assignee_gid"] or task["created_by_gid"],
        "duration_minutes": rng.choice((15, 30, 45, 60, 90, 120, 240)),
        "entered_on": created.date(),
        "approval_status": rng.choice(v.TIME_APPROVAL_STATUSES),
        "billable_status": rng.choice(v.BILLABLE_STATUSES),
        "description": prose.sentences(0, 1) if rng.random() < 0.5 else "",
        "created_at": created,
        "modified_at": deleted_at or created,
        "deleted_at": deleted_at,
    }
