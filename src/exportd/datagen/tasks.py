"""Tasks and everything hanging off them, made in chunks so memory stays bounded at any size.

A task's story tells its life in order: added to its project, assigned, maybe renamed or given
a due date, commented on by its followers, marked complete — and its fields agree with it
(the renamed-to name is the task's name, completed tasks have a completion story).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from typing import Any

from exportd.datagen.activity import Activity
from exportd.datagen.context import DAY_MS, Batch, Context
from exportd.datagen.directory import Directory, Field, Person, Project
from exportd.datagen.prose import Prose, html, short_date
from exportd.datagen.spec import SeedSpec
from exportd.domain import vocabulary as v
from exportd.store.schema import (
    task_custom_field_values,
    task_dependencies,
    task_followers,
    task_likes,
    task_memberships,
    task_tags,
    tasks,
)

CHUNK = 5_000
"""Tasks per batch: large enough for fast bulk writes, small enough to keep memory flat."""

SystemStory = tuple[Person, str, str, dict[str, Any] | None]  # author, subtype, text, details


@dataclass(frozen=True, slots=True)
class _Earlier:
    """A live top-level task of the current chunk: a possible parent or dependency."""

    gid: int
    created: datetime
    people: list[Person]


def task_batches(
    ctx: Context, prose: Prose, directory: Directory, spec: SeedSpec, chunk: int | None = None
) -> Iterator[Batch]:
    """Batches of `chunk` tasks each (CHUNK by default), with their children; exactly
    `spec.tasks` of the tasks stay live."""
    chunk = chunk or CHUNK
    maker = _TaskMaker(ctx, prose, directory, spec)
    batch = Batch()
    for made, deleted in enumerate(ctx.plan("tasks", spec.tasks), start=1):
        maker.task(batch, deleted)
        if made % chunk == 0:
            yield batch
            batch = Batch()
            maker.earlier.clear()  # subtasks and dependencies stay within a chunk
    if batch.rows:
        yield batch


@dataclass(slots=True)
class _Task:
    """A task's drawn fields, before its rows are made."""

    gid: int
    parent: _Earlier | None
    homes: list[Project]  # the projects it is in (none for subtasks)
    people: list[Person]  # who works on it: its project's members
    created: datetime
    creator: Person
    name: str
    assignee: Person | None = None
    assigned_by: Person | None = None
    completed_at: datetime | None = None
    completed_by: Person | None = None
    due_on: date | None = None


class _TaskMaker:
    def __init__(self, ctx: Context, prose: Prose, directory: Directory, spec: SeedSpec):
        self.ctx, self.rng, self.prose = ctx, ctx.rng, prose
        self.activity = Activity(ctx, prose)
        self.directory = directory
        self.spec = spec
        self.projects = [p for p in directory.projects if p.sections]
        self.earlier: list[_Earlier] = []

    def task(self, batch: Batch, deleted: bool) -> None:
        ctx, rng = self.ctx, self.rng
        task = self._place()
        if rng.random() < 0.8:
            task.assignee = rng.choice(task.people)
            task.assigned_by = task.creator if rng.random() < 0.7 else rng.choice(task.people)
        if rng.random() < 0.3:
            task.completed_at = ctx.later(task.created, 60 * DAY_MS)
            task.completed_by = task.assignee or task.creator
        notes = self.prose.sentences(1, 3) if rng.random() < 0.6 else ""
        subtype, approval = "default_task", None
        kind = rng.random()
        if kind < 0.04:
            subtype = "milestone"
        elif kind < 0.08:
            subtype, approval = "approval", rng.choice(v.APPROVAL_STATUSES)
        due_at = start_on = None
        if rng.random() < 0.6:
            task.due_on = (task.created + timedelta(days=rng.randint(1, 45))).date()
            if rng.random() < 0.2:
                due_at = datetime.combine(task.due_on, time(17, 0), UTC)
            elif rng.random() < 0.15:
                start_on = task.due_on - timedelta(days=rng.randint(1, 10))
        followers = self._followers(task)
        latest = max(self._stories(batch, task, followers), self._attachments(batch, task))
        modified = ctx.later(latest, DAY_MS)
        batch.add(
            tasks, gid=task.gid, workspace_gid=self.directory.workspace_gid,
            parent_gid=task.parent.gid if task.parent else None, name=task.name,
            resource_subtype=subtype, approval_status=approval, notes=notes,
            html_notes=html(notes), assignee_gid=_gid(task.assignee),
            assigned_by_gid=_gid(task.assigned_by),
            assignee_status=rng.choice(v.ASSIGNEE_STATUSES) if task.assignee else None,
            completed=task.completed_at is not None, completed_at=task.completed_at,
            completed_by_gid=_gid(task.completed_by), start_on=start_on, start_at=None,
            due_on=task.due_on, due_at=due_at, created_by_gid=task.creator.gid,
            created_at=task.created, modified_at=modified,
            deleted_at=ctx.later(modified, 30 * DAY_MS) if deleted else None,
        )  # fmt: skip
        self._relations(batch, task, followers)
        if task.parent is None and not deleted:
            self.earlier.append(_Earlier(task.gid, task.created, task.people))

    def _place(self) -> _Task:
        """Where a new task lives: under an earlier task (a subtask), in one or two projects
        (its creator one of their members), or in nobody's project at all."""
        ctx, rng = self.ctx, self.rng
        gid, draw = ctx.gid(), rng.random()
        if self.earlier and draw < 0.1:  # subtasks have no project of their own, as in Asana
            parent = rng.choice(self.earlier)
            created = ctx.later(parent.created, 20 * DAY_MS)
            creator = rng.choice(parent.people)
            return _Task(gid, parent, [], parent.people, created, creator, self.prose.task())
        homes = []
        if self.projects and draw > 0.13:
            homes = [rng.choice(self.projects)]
            second = rng.choice(self.projects)
            if draw > 0.95 and second is not homes[0]:  # multi-homed
                homes.append(second)
        people = (homes[0].members if homes else None) or self.directory.people
        return _Task(gid, None, homes, people, ctx.moment(), rng.choice(people), self.prose.task())

    def _stories(self, batch: Batch, task: _Task, followers: list[Person]) -> datetime:
        """The task's stories in time order; return the time of the last change."""
        ctx, rng, created = self.ctx, self.rng, task.created
        events: list[tuple[datetime, SystemStory | None]] = []  # None: a comment

        def change(when: datetime, by: Person, subtype: str, text: str, **details: str) -> None:
            events.append((when, (by, subtype, text, details or None)))

        if task.homes:
            change(created, task.creator, "added_to_project", f"added to {task.homes[0].name}")
        if task.assignee is not None and task.assigned_by is not None:
            text = f"assigned to {task.assignee.name}"
            change(ctx.later(created, 2 * DAY_MS), task.assigned_by, "assigned", text)
        if rng.random() < 0.15:
            text = f'changed the name to "{task.name}"'
            change(
                ctx.later(created, 5 * DAY_MS), task.creator, "name_changed", text,
                old_name=self.prose.task(), new_name=task.name,
            )  # fmt: skip
        if task.due_on is not None and rng.random() < 0.3:
            text = f"changed the due date to {short_date(task.due_on)}"
            change(ctx.later(created, 5 * DAY_MS), task.creator, "due_date_changed", text)
        if task.completed_at is not None and task.completed_by is not None:
            text = "marked this task complete"
            change(task.completed_at, task.completed_by, "marked_complete", text)
        count = rng.randint(0, 2 * self.spec.stories_per_task)
        end = task.completed_at or created + timedelta(days=30)
        span = int((end - created).total_seconds() * 1000)
        events += [(ctx.later(created, span), None) for _ in range(count - len(events))]
        events.sort(key=itemgetter(0))
        del events[count:]
        on_task: dict[str, int | None] = {"task_gid": task.gid, "message_gid": None}
        for when, system in events:
            if system is None:
                self.activity.comment(batch, on_task, when, followers)
            else:
                self.activity.system(batch, on_task, when, *system)
        return max([created, task.completed_at or created, *(when for when, _ in events)])

    def _attachments(self, batch: Batch, task: _Task) -> datetime:
        """The task's attachments; return when the last was added."""
        on_task: dict[str, int | None] = {"task_gid": task.gid, "message_gid": None}
        latest = task.created
        for _ in range(self.rng.randint(0, 2 * self.spec.attachments_per_task)):
            when = self.ctx.later(task.created, 20 * DAY_MS)
            self.activity.attachment(batch, on_task, when)
            latest = max(latest, when)
        return latest

    def _followers(self, task: _Task) -> list[Person]:
        """About three followers: the creator, the assignee and a few others."""
        target = self.rng.randint(2, 4)
        chosen = dict.fromkeys([task.creator] + ([task.assignee] if task.assignee else []))
        for person in self.rng.sample(task.people, min(len(task.people), target)):
            if len(chosen) >= target:
                break
            chosen.setdefault(person)
        return list(chosen)

    def _relations(self, batch: Batch, task: _Task, followers: list[Person]) -> None:
        gid = task.gid
        rng = self.rng
        for person in followers:
            batch.add(task_followers, task_gid=gid, user_gid=person.gid)
        self.activity.likes(
            batch,
            task_likes,
            {"task_gid": gid},
            task.people,
            rng.choice((0, 1, 1, 2)),
            task.created,
        )
        tags = self.directory.tags
        for tag in rng.sample(tags, min(len(tags), rng.choice((0, 0, 1, 1, 2)))):
            batch.add(task_tags, task_gid=gid, tag_gid=tag)
        if self.earlier and rng.random() < 0.05:
            blocker = rng.choice(self.earlier)
            if task.parent is None or blocker.gid != task.parent.gid:
                batch.add(task_dependencies, task_gid=gid, dependency_gid=blocker.gid)
        valued: set[int] = set()
        for project in task.homes:
            batch.add(
                task_memberships, task_gid=gid, project_gid=project.gid,
                section_gid=rng.choice(project.sections),
            )  # fmt: skip
            for field in project.fields:
                if field.gid not in valued and rng.random() < 0.6:
                    valued.add(field.gid)
                    self._value(batch, gid, field, task.created, task.people)

    def _value(
        self, batch: Batch, gid: int, field: Field, created: datetime, people: list[Person]
    ) -> None:
        rng = self.rng
        value: dict[str, Any] = dict.fromkeys(
            ("text_value", "number_value", "date_value", "enum_option_gid",
             "multi_enum_option_gids", "people_gids")
        )  # fmt: skip
        if field.subtype == "text":
            value["text_value"] = f"T-{rng.randint(100, 99_999)}"
        elif field.subtype == "number":
            number = rng.uniform(0, 100)
            if field.format == "percentage":  # stored as a fraction: 0.42 shows as "42%"
                value["number_value"] = round(number / 100, (field.precision or 0) + 2)
            else:
                value["number_value"] = round(number, field.precision or 0)
        elif field.subtype == "date":
            value["date_value"] = (created + timedelta(days=rng.randint(0, 60))).date()
        elif field.subtype == "people":
            value["people_gids"] = [rng.choice(people).gid]
        elif not field.options:
            return
        elif field.subtype == "enum":
            value["enum_option_gid"] = rng.choice(field.options)
        else:  # multi_enum
            count = min(len(field.options), rng.randint(1, 2))
            value["multi_enum_option_gids"] = rng.sample(field.options, count)
        batch.add(task_custom_field_values, task_gid=gid, custom_field_gid=field.gid, **value)


def _gid(person: Person | None) -> int | None:
    return person.gid if person else None
