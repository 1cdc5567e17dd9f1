"""The resource-export engine on a seeded store (R3 to R8), on SQLite and PostgreSQL.

Every filter's result is compared with the same selection computed independently, in
Python over the store's rows; shapes are checked against the resource table.
"""

from __future__ import annotations

import gzip
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import select, update

from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.domain.jobs import ExportJob, PermanentExportError
from exportd.domain.resource_exports import DEFAULT_FIELDS, parse_export_request
from exportd.domain.resources import RESOURCES
from exportd.errors import InvalidRequest
from exportd.exports.reader import PARENT_TABLES
from exportd.exports.resource import resource_export_objects
from exportd.jobs.context import JobContext
from exportd.jobs.handlers import HANDLERS, export_resources
from exportd.runtime import Runtime
from exportd.storage.local import LocalStorage
from exportd.store import jobs
from exportd.store import schema as s
from exportd.store.resource_exports import check_filter_users

SMALL = SeedSpec(
    seed=5, users=8, teams=3, projects=4, tasks=80, stories_per_task=3,
    attachments_per_task=1, messages=30,
)  # fmt: skip

Obj = dict[str, Any]


@pytest.fixture
def seeded(runtime: Runtime) -> SeedResult:
    return seed_organization(runtime.database, SMALL)


def export(
    runtime: Runtime, seeded: SeedResult, parameters: list[Obj], batch_size: int = 2_000
) -> list[Obj]:
    """Every object the engine exports for these `export_request_parameters`."""
    request = parse_export_request(parameters)
    objects = resource_export_objects(
        runtime.database, seeded.organization_gid, request,
        batch_size=batch_size, task_batch_size=batch_size,
    )  # fmt: skip
    return list(objects)


def gids(objects: list[Obj]) -> set[int]:
    return {int(obj["gid"]) for obj in objects}


@dataclass
class Store:
    """The seeded organization's rows, read plainly, to compute expectations in Python."""

    tasks: dict[int, Any]
    messages: dict[int, Any]
    task_followers: dict[int, set[int]]
    task_likers: dict[int, set[int]]
    message_followers: dict[int, set[int]]
    message_likers: dict[int, set[int]]
    stories: list[Any]
    attachments: list[Any]
    parents: dict[int, list[Any]]
    live_parents: set[tuple[str, int]]
    deleted: set[int]

    def commenters(self, owner: str) -> dict[int, set[int]]:
        """Authors of live comments, by task or message."""
        found: defaultdict[int, set[int]] = defaultdict(set)
        for story in self.stories:
            gid = getattr(story, f"{owner}_gid")
            if gid is not None and story.type == "comment" and story.deleted_at is None:
                found[gid].add(story.created_by_gid)
        return found

    def live_tasks(self, keep: Callable[[Any], bool] = lambda _t: True) -> set[int]:
        return {gid for gid, t in self.tasks.items() if t.deleted_at is None and keep(t)}

    def live_messages(self, keep: Callable[[Any], bool] = lambda _m: True) -> set[int]:
        """Live messages; a status update only with its one parent exported."""
        return {
            gid
            for gid, m in self.messages.items()
            if m.deleted_at is None
            and keep(m)
            and (
                m.resource_subtype == "default"
                or any((p.parent_type, p.parent_gid) in self.live_parents
                       for p in self.parents.get(gid, ()))
            )
        }  # fmt: skip


def read_store(runtime: Runtime, organization_gid: int) -> Store:
    def grouped(table: Any, owner: str) -> dict[int, set[int]]:
        found: defaultdict[int, set[int]] = defaultdict(set)
        for row in c.execute(select(table.c[owner], table.c.user_gid)):
            found[row[0]].add(row[1])
        return found

    with runtime.database.read() as c:
        tasks = {
            r.gid: r
            for r in c.execute(select(s.tasks).where(s.tasks.c.workspace_gid == organization_gid))
        }
        messages = {
            r.gid: r
            for r in c.execute(
                select(s.messages).where(s.messages.c.workspace_gid == organization_gid)
            )
        }
        parents: defaultdict[int, list[Any]] = defaultdict(list)
        for row in c.execute(select(s.message_parents)):
            parents[row.message_gid].append(row)
        live_parents = {
            (kind, gid)
            for kind, table in PARENT_TABLES.items()
            for gid in c.execute(
                select(table.c.gid).where(
                    table.c.workspace_gid == organization_gid, table.c.deleted_at.is_(None)
                )
            ).scalars()
        }
        deleted = {
            gid
            for table in s.metadata.sorted_tables
            if "deleted_at" in table.c and "gid" in table.c
            for gid in c.execute(
                select(table.c.gid).where(table.c.deleted_at.is_not(None))
            ).scalars()
        }
        return Store(
            tasks=tasks,
            messages=messages,
            task_followers=grouped(s.task_followers, "task_gid"),
            task_likers=grouped(s.task_likes, "task_gid"),
            message_followers=grouped(s.message_followers, "message_gid"),
            message_likers=grouped(s.message_likes, "message_gid"),
            stories=list(c.execute(select(s.stories))),
            attachments=list(c.execute(select(s.attachments))),
            parents=parents,
            live_parents=live_parents,
            deleted=deleted,
        )


def equals(column: str, value: Any) -> Callable[[Any], bool]:
    return lambda row: bool(getattr(row, column) == value)


def linked(relation: dict[int, set[int]], user: int) -> Callable[[Any], bool]:
    return lambda row: user in relation.get(row.gid, ())


def after(column: str, moment: datetime) -> Callable[[Any], bool]:
    return lambda row: bool(getattr(row, column) > moment)


def before(column: str, moment: datetime) -> Callable[[Any], bool]:
    return lambda row: bool(getattr(row, column) < moment)


def busiest(values: list[int | None]) -> int:
    """The user named most often (so a filter on them selects several objects)."""
    user, _count = Counter(v for v in values if v is not None).most_common(1)[0]
    return user


def test_every_task_filter_selects_what_the_store_says(
    runtime: Runtime, seeded: SeedResult
) -> None:
    store = read_store(runtime, seeded.organization_gid)
    live = [t for t in store.tasks.values() if t.deleted_at is None]
    commenters = store.commenters("task")
    cases: list[tuple[str, int, Callable[[Any], bool]]] = []
    for name, column in (("assignee", "assignee_gid"), ("assigned_by", "assigned_by_gid"),
                         ("created_by", "created_by_gid")):  # fmt: skip
        user = busiest([getattr(t, column) for t in live])
        cases.append((name, user, equals(column, user)))
    for name, relation in (
        ("followers", store.task_followers),
        ("liked_by", store.task_likers),
        ("commented_on_by", commenters),
    ):
        user = busiest([u for t in live for u in relation.get(t.gid, ())])
        cases.append((name, user, linked(relation, user)))
    for name, user, keep in cases:
        exported = export(
            runtime, seeded, [{"resource_type": "task", "filters": {f"{name}.any": [str(user)]},
                               "fields": ["name"]}],
        )  # fmt: skip
        expected = store.live_tasks(keep)
        assert gids(exported) == expected, name
        assert len(exported) == len(expected)
        assert 1 < len(expected) < len(live), name  # the filter did select something


def test_a_user_with_no_tasks_selects_none(runtime: Runtime, seeded: SeedResult) -> None:
    for name in ("assignee", "assigned_by", "created_by", "followers", "liked_by",
                 "commented_on_by"):  # fmt: skip
        filters = {f"{name}.any": [str(seeded.service_account_gid)]}
        assert export(runtime, seeded, [{"resource_type": "task", "filters": filters}]) == []


def test_time_filters_are_strict_at_their_boundaries(runtime: Runtime, seeded: SeedResult) -> None:
    store = read_store(runtime, seeded.organization_gid)
    live = sorted((t for t in store.tasks.values() if t.deleted_at is None),
                  key=lambda t: t.created_at)  # fmt: skip
    for column in ("created_at", "modified_at"):
        boundary_task = sorted(live, key=lambda t: getattr(t, column))[len(live) // 2]
        moment: datetime = getattr(boundary_task, column)
        stamp = moment.isoformat()  # with its offset, +00:00
        later = export(runtime, seeded, [{"resource_type": "task",
                                          "filters": {f"{column}.after": stamp}}])  # fmt: skip
        earlier = export(runtime, seeded, [{"resource_type": "task",
                                           "filters": {f"{column}.before": stamp}}])  # fmt: skip
        assert gids(later) == store.live_tasks(after(column, moment))
        assert gids(earlier) == store.live_tasks(before(column, moment))
        assert boundary_task.gid not in gids(later) | gids(earlier)
        # A millisecond either side takes the boundary in.
        wider = {
            f"{column}.after": (moment - timedelta(milliseconds=1)).isoformat(),
            f"{column}.before": (moment + timedelta(milliseconds=1)).isoformat(),
        }
        around = export(runtime, seeded, [{"resource_type": "task", "filters": wider}])
        assert boundary_task.gid in gids(around)


def test_filters_in_one_part_are_anded_and_parts_are_ored_with_duplicates(
    runtime: Runtime, seeded: SeedResult
) -> None:
    store = read_store(runtime, seeded.organization_gid)
    live = [t for t in store.tasks.values() if t.deleted_at is None]
    assignee = busiest([t.assignee_gid for t in live])
    middle = sorted(t.created_at for t in live)[len(live) // 2]
    both = {"assignee.any": [str(assignee)], "created_at.after": middle.isoformat()}
    anded = export(runtime, seeded, [{"resource_type": "task", "filters": both}])
    expected = store.live_tasks(lambda t: t.assignee_gid == assignee and t.created_at > middle)
    assert gids(anded) == expected
    assert expected, "the seed gives the busiest assignee tasks in both halves of the year"

    first = {"assignee.any": [str(assignee)]}
    second = {"created_at.after": middle.isoformat()}
    ored = export(
        runtime, seeded,
        [{"resource_type": "task", "filters": first, "fields": ["name"]},
         {"resource_type": "team"},
         {"resource_type": "task", "filters": second, "fields": ["name"]}],
    )  # fmt: skip
    tasks = [obj for obj in ored if obj["resource_type"] == "task"]
    by_assignee = store.live_tasks(lambda t: t.assignee_gid == assignee)
    recent = store.live_tasks(lambda t: t.created_at > middle)
    assert Counter(int(t["gid"]) for t in tasks) == Counter(by_assignee) + Counter(recent)
    assert by_assignee & recent, "an object matching both parts appears twice"
    # Parts come in turn: tasks of the first part, the teams, then the second part's tasks.
    kinds = [obj["resource_type"] for obj in ored]
    assert kinds == ["task"] * len(by_assignee) + ["team"] * 3 + ["task"] * len(recent)


def test_a_deleted_comment_does_not_count_as_commenting(
    runtime: Runtime, seeded: SeedResult
) -> None:
    store = read_store(runtime, seeded.organization_gid)
    comments: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
    for story in store.stories:
        if story.task_gid and story.type == "comment" and story.deleted_at is None:
            comments[(story.task_gid, story.created_by_gid)].append(story.gid)
    (task_gid, author), (only,) = next(
        (key, found) for key, found in comments.items()
        if len(found) == 1 and store.tasks[key[0]].deleted_at is None
    )  # fmt: skip
    part = [{"resource_type": "task", "filters": {"commented_on_by.any": [str(author)]}}]
    assert task_gid in gids(export(runtime, seeded, part))
    with runtime.database.write() as connection:
        connection.execute(
            update(s.stories).where(s.stories.c.gid == only).values(deleted_at=runtime.clock())
        )
    assert task_gid not in gids(export(runtime, seeded, part))


def test_every_message_filter_selects_what_the_store_says(
    runtime: Runtime, seeded: SeedResult
) -> None:
    store = read_store(runtime, seeded.organization_gid)
    live = [m for m in store.messages.values() if m.deleted_at is None]
    commenters = store.commenters("message")
    creator = busiest([m.created_by_gid for m in live])
    cases: list[tuple[Obj, Callable[[Any], bool]]] = [
        ({"created_by.any": [str(creator)]}, lambda m: m.created_by_gid == creator)
    ]
    for name, relation in (
        ("followers", store.message_followers),
        ("liked_by", store.message_likers),
        ("commented_on_by", commenters),
    ):
        user = busiest([u for m in live for u in relation.get(m.gid, ())])
        cases.append(({f"{name}.any": [str(user)]}, linked(relation, user)))
    middle = sorted(m.modified_at for m in live)[len(live) // 2]
    cases.append(({"modified_at.before": middle.isoformat()}, before("modified_at", middle)))
    cases.append(({"created_at.after": middle.isoformat()}, after("created_at", middle)))
    for filters, keep in cases:
        exported = export(runtime, seeded, [{"resource_type": "message", "filters": filters}])
        assert gids(exported) == store.live_messages(keep), filters
        assert exported, filters


def test_default_task_shape_embeds_its_own_live_stories_and_attachments(
    runtime: Runtime, seeded: SeedResult
) -> None:
    store = read_store(runtime, seeded.organization_gid)
    exported = export(runtime, seeded, [{"resource_type": "task"}])
    assert gids(exported) == store.live_tasks()
    stories: defaultdict[int, list[Any]] = defaultdict(list)
    for story in sorted(store.stories, key=lambda r: (r.created_at, r.gid)):
        if story.task_gid and story.deleted_at is None:
            stories[story.task_gid].append(story.gid)
    attachments: defaultdict[int, set[int]] = defaultdict(set)
    for attachment in store.attachments:
        if attachment.task_gid and attachment.deleted_at is None:
            attachments[attachment.task_gid].add(attachment.gid)
    for task in exported:
        gid = int(task["gid"])
        assert list(task) == list(DEFAULT_FIELDS["task"])
        assert [int(story["gid"]) for story in task["stories"]] == stories[gid]
        assert {int(a["gid"]) for a in task["attachments"]} == attachments[gid]
        for story in task["stories"]:
            assert list(story) == list(RESOURCES["story"].full)
            assert story["target"]["gid"] == task["gid"]
        for attachment in task["attachments"]:
            assert list(attachment) == list(RESOURCES["attachment"].full)
            assert "download_url" not in attachment
            assert "view_url" not in attachment
            assert attachment["parent"]["gid"] == task["gid"]
    assert sum(len(t["stories"]) for t in exported) > len(exported)  # it did embed them
    everything = orjson.dumps(exported).decode()
    assert not [gid for gid in store.deleted if f'"{gid}"' in everything]


def test_default_team_shape_lists_its_members(runtime: Runtime, seeded: SeedResult) -> None:
    with runtime.database.read() as connection:
        tm, wm = s.team_memberships, s.workspace_memberships
        rows = connection.execute(
            select(tm.c.team_gid, tm.c.user_gid)
            .join(s.users, s.users.c.gid == tm.c.user_gid)
            .join(wm, wm.c.user_gid == tm.c.user_gid)
            .where(
                tm.c.deleted_at.is_(None),
                s.users.c.deleted_at.is_(None),
                wm.c.workspace_gid == seeded.organization_gid,
                wm.c.deleted_at.is_(None),
            )
        ).all()
        live_teams = set(
            connection.execute(
                select(s.teams.c.gid).where(
                    s.teams.c.workspace_gid == seeded.organization_gid,
                    s.teams.c.deleted_at.is_(None),
                )
            ).scalars()
        )
    members: defaultdict[int, set[int]] = defaultdict(set)
    for team_gid, user_gid in rows:
        members[team_gid].add(user_gid)
    teams = export(runtime, seeded, [{"resource_type": "team"}])
    assert gids(teams) == live_teams
    for team in teams:
        assert list(team) == list(DEFAULT_FIELDS["team"])
        assert {int(m["gid"]) for m in team["members"]} == members[int(team["gid"])]
        assert all(set(m) == {"gid", "resource_type", "name"} for m in team["members"])
    assert any(team["members"] for team in teams)


def test_messages_cover_both_subtypes_in_seed_002s_shape(
    runtime: Runtime, seeded: SeedResult
) -> None:
    store = read_store(runtime, seeded.organization_gid)
    exported = export(runtime, seeded, [{"resource_type": "message"}])
    assert gids(exported) == store.live_messages()
    assert {m["resource_subtype"] for m in exported} == {"default", "status_update"}
    for message in exported:
        assert list(message) == list(DEFAULT_FIELDS["message"])
        assert message["resource_type"] == "message"
        if message["resource_subtype"] == "status_update":
            assert len(message["parents"]) == 1
            assert message["status_type"] is not None
        assert {p["resource_type"] for p in message["parents"]} <= set(PARENT_TABLES)
    kinds = {p["resource_type"] for m in exported for p in m["parents"]}
    assert {"project", "team"} <= kinds

    with_html = export(runtime, seeded, [{"resource_type": "message",
                                          "fields": ["html_notes", "title"]}])  # fmt: skip
    for message in with_html:
        assert list(message) == ["gid", "resource_type", "html_notes", "title"]
        assert message["html_notes"] == store.messages[int(message["gid"])].html_text


def test_messages_embed_their_own_stories_and_attachments(
    runtime: Runtime, seeded: SeedResult
) -> None:
    store = read_store(runtime, seeded.organization_gid)
    exported = export(runtime, seeded, [{"resource_type": "message"}])
    stories: defaultdict[int, set[int]] = defaultdict(set)
    for story in store.stories:
        if story.message_gid and story.deleted_at is None:
            stories[story.message_gid].add(story.gid)
    attachments: defaultdict[int, set[int]] = defaultdict(set)
    for attachment in store.attachments:
        if attachment.message_gid and attachment.deleted_at is None:
            attachments[attachment.message_gid].add(attachment.gid)
    for message in exported:
        gid = int(message["gid"])
        assert {int(story["gid"]) for story in message["stories"]} == stories[gid]
        assert {int(a["gid"]) for a in message["attachments"]} == attachments[gid]
        for story in message["stories"]:
            assert story["target"] == {
                "gid": message["gid"],
                "resource_type": "message",
                "resource_subtype": message["resource_subtype"],
            }
    assert any(m["stories"] for m in exported)


def test_fields_cut_each_object_to_what_was_asked(runtime: Runtime, seeded: SeedResult) -> None:
    fields = ["name", "assignee.name", "completed"]
    tasks = export(runtime, seeded, [{"resource_type": "task", "fields": fields}])
    assert tasks
    for task in tasks:
        assert list(task) == ["gid", "resource_type", "name", "assignee", "completed"]
        assert task["assignee"] is None or list(task["assignee"]) == ["gid", "name"]
    assert any(task["assignee"] for task in tasks)

    with_stories = export(runtime, seeded, [{"resource_type": "task",
                                             "fields": ["stories.created_by.name"]}])  # fmt: skip
    for task in with_stories:
        assert list(task) == ["gid", "resource_type", "stories"]
        for story in task["stories"]:
            assert list(story) == ["gid", "created_by"]
            assert story["created_by"] is None or list(story["created_by"]) == ["gid", "name"]
    assert any(task["stories"] for task in with_stories)

    named = export(runtime, seeded, [{"resource_type": "task", "fields": ["attachments.name"]}])
    assert any(task["attachments"] for task in named)
    for task in named:
        assert all(list(a) == ["gid", "name"] for a in task["attachments"])

    teams = export(runtime, seeded, [{"resource_type": "team", "fields": ["members.email"]}])
    assert all(list(team) == ["gid", "resource_type", "members"] for team in teams)


def test_pages_of_any_size_make_the_same_export(runtime: Runtime, seeded: SeedResult) -> None:
    parameters: list[Obj] = [
        {"resource_type": "task", "filters": {"created_at.after": "2023-04-01T00:00:00Z"}},
        {"resource_type": "team"},
        {"resource_type": "message", "fields": ["stories.text", "parents", "html_notes"]},
    ]
    assert export(runtime, seeded, parameters, batch_size=7) == export(runtime, seeded, parameters)


def test_filter_users_must_be_users_of_the_workspace(runtime: Runtime, seeded: SeedResult) -> None:
    with runtime.database.read() as connection:
        deleted_member = connection.execute(
            select(s.users.c.gid)
            .join(s.workspace_memberships, s.workspace_memberships.c.user_gid == s.users.c.gid)
            .where(
                s.workspace_memberships.c.workspace_gid == seeded.organization_gid,
                s.users.c.deleted_at.is_not(None),
            )
        ).scalar()
    assert deleted_member is not None
    member = str(seeded.member_gid)
    strangers = [seeded.other_service_account_gid, deleted_member, 123]
    for stranger in strangers:
        request = parse_export_request(
            [
                {"resource_type": "team"},
                {"resource_type": "message", "filters": {"created_by.any": [member]}},
                {"resource_type": "task",
                 "filters": {"assignee.any": [member], "followers.any": [member, str(stranger)]}},
            ]
        )  # fmt: skip
        with runtime.database.read() as connection, pytest.raises(InvalidRequest) as raised:
            check_filter_users(connection, seeded.organization_gid, request)
        assert raised.value.message == (
            f"export_request_parameters[2].filters.followers.any: "
            f"{stranger} is not a user of this workspace"
        )
    fine = parse_export_request([{"resource_type": "task", "filters": {"liked_by.any": [member]}}])
    with runtime.database.read() as connection:
        check_filter_users(connection, seeded.organization_gid, fine)
        check_filter_users(
            connection, seeded.organization_gid, parse_export_request([{"resource_type": "team"}])
        )


def new_job(runtime: Runtime, seeded: SeedResult, parameters: dict[str, Any]) -> ExportJob:
    """A pending resource export of the seeded organization, by its service account."""
    with runtime.database.write() as connection:
        return jobs.create(
            connection, gid=runtime.gids.next_int(), kind="resource",
            workspace_gid=seeded.organization_gid, created_by_gid=seeded.service_account_gid,
            parameters=parameters, now=runtime.clock(), job_gid=runtime.gids.next_int(),
        )  # fmt: skip


def run_job(runtime: Runtime, seeded: SeedResult, parameters: dict[str, Any]) -> Any:
    job = new_job(runtime, seeded, parameters)
    progress: list[int] = []
    outcome = HANDLERS["resource"](JobContext(job, runtime, progress.append, threading.Event()))
    return job, outcome, progress


def test_the_handler_writes_the_engines_objects_as_gzip_json_lines(
    runtime: Runtime, seeded: SeedResult
) -> None:
    assert HANDLERS["resource"] is export_resources
    parameters: list[Obj] = [
        {"resource_type": "task", "filters": {"created_at.after": "2023-06-01T00:00:00Z"}},
        {"resource_type": "team"},
        {"resource_type": "message", "fields": ["title", "parents.name"]},
    ]
    request = parse_export_request(parameters)
    job, outcome, progress = run_job(runtime, seeded, request.to_parameters())
    assert outcome.file_key == f"exports/{job.gid}.jsonl.gz"
    storage = runtime.storage
    assert isinstance(storage, LocalStorage)
    path = storage.path(outcome.file_key)
    assert outcome.file_size == path.stat().st_size
    lines = gzip.decompress(path.read_bytes()).splitlines()
    expected = [orjson.dumps(obj) for obj in export(runtime, seeded, parameters)]
    assert lines == expected
    assert outcome.line_count == len(lines) == progress[-1]
    assert all({"gid", "resource_type"} <= set(orjson.loads(line)) for line in lines)


def test_the_handler_gives_up_at_once_on_parameters_it_cannot_read(
    runtime: Runtime, seeded: SeedResult
) -> None:
    bad = {"export_request_parameters": [{"resource_type": "project"}]}
    with pytest.raises(PermanentExportError) as raised:
        run_job(runtime, seeded, bad)
    assert raised.value.message == (
        "the export's parameters: export_request_parameters[0].resource_type: "
        "must be one of task, team, message"
    )
