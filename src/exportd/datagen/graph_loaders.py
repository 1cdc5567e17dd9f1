"""Loaders of allocations, time tracking entries and goal relationships.

A graph export's file names neither's organization (the reference spec's shapes have no
`workspace`), so both are imported into the file's organization, or the one given to
`exportd import --organization`. Time tracking categories are not held: `categories` is
ignored. The `portfolio_to_portfolio` and `project_to_portfolio` lines are derived (a
portfolio's `items` are its links): their references are checked, nothing more is stored.
"""

from __future__ import annotations

from datetime import date

from exportd.datagen.fields import Fields
from exportd.datagen.loaders import Sink
from exportd.domain import vocabulary as v
from exportd.store import schema as s


def load_allocation(f: Fields, sink: Sink) -> None:
    effort = f.mapping("effort")
    effort_fields = f.nested(effort, "effort") if effort is not None else None
    sink.add(
        s.allocations, f.line, gid=sink.defined(f, "allocation"),
        workspace_gid=sink.organization(f),
        project_gid=f.ref("parent", ["project"], required=True),
        assignee_gid=f.ref("assignee", ["user"]), created_by_gid=f.ref("created_by", ["user"]),
        resource_subtype=f.enum("resource_subtype", v.ALLOCATION_SUBTYPES, "project_allocation"),
        start_date=_required_day(f, "start_date"), end_date=_required_day(f, "end_date"),
        effort_type=effort_fields.enum("type", v.EFFORT_TYPES) if effort_fields else None,
        effort_value=effort_fields.number("value") if effort_fields else None,
        created_at=sink.now, modified_at=sink.now, deleted_at=None,
    )  # fmt: skip
    sink.counted("allocation")


def load_time_tracking_entry(f: Fields, sink: Sink) -> None:
    minutes = f.integer("duration_minutes")
    if minutes is None or minutes <= 0:
        f.fail("duration_minutes", "expected a number of minutes above 0")
    created = f.moment("created_at", sink.now)
    sink.add(
        s.time_tracking_entries, f.line, gid=sink.defined(f, "time_tracking_entry"),
        workspace_gid=sink.organization(f), task_gid=f.ref("task", ["task"], required=True),
        attributable_to_gid=f.ref("attributable_to", ["project"]),
        created_by_gid=f.ref("created_by", ["user"]), duration_minutes=minutes,
        entered_on=_required_day(f, "entered_on"),
        approval_status=f.enum("approval_status", v.TIME_APPROVAL_STATUSES, "DRAFT"),
        billable_status=f.enum("billable_status", v.BILLABLE_STATUSES, "notApplicable"),
        description=f.text("description", ""), created_at=created, modified_at=created,
        deleted_at=None,
    )  # fmt: skip
    sink.counted("time_tracking_entry")


def _required_day(f: Fields, name: str) -> date:
    day = f.day(name)
    if day is None:
        f.fail(name, "Missing input")
    return day


def load_portfolio_link(f: Fields, sink: Sink) -> None:
    f.gid()
    f.ref("portfolio", ["portfolio"], required=True)
    kind = "portfolio" if f.text("resource_type") == "portfolio_to_portfolio" else "project"
    f.ref("item", [kind], required=True)
    sink.counted(f.text("resource_type"))


def load_goal_relationship(f: Fields, sink: Sink) -> None:
    value = f.mapping("supporting_resource")
    if value is None:
        f.fail("supporting_resource", "Missing input")
    gid, kind = f.target(value, "supporting_resource", list(v.GOAL_SUPPORTING_TYPES))
    sink.add(
        s.goal_relationships, f.line, gid=sink.defined(f, "goal_relationship"),
        supported_goal_gid=f.ref("supported_goal", ["goal"], required=True),
        resource_subtype=f.enum("resource_subtype", v.GOAL_RELATIONSHIP_SUBTYPES),
        supporting_goal_gid=gid if kind == "goal" else None,
        supporting_project_gid=gid if kind == "project" else None,
        supporting_portfolio_gid=gid if kind == "portfolio" else None,
        contribution_weight=f.number("contribution_weight") or 0.0,
        created_at=sink.now, modified_at=sink.now, deleted_at=None,
    )  # fmt: skip
    sink.counted("goal_relationship")
