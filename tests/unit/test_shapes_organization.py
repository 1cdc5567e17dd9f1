"""An organization export of a small hand-built store: shapes, compact references, deletions.

`build_sample` makes one object of every kind, plus deleted objects and relations that
point at them, plus a second organization whose objects must never appear.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Table, insert

from exportd import compose
from exportd.domain.resources import RESOURCES
from exportd.exports.organization import RESOURCE_TYPES, organization_objects
from exportd.exports.shapes import Obj, setting_gid
from exportd.runtime import Runtime
from exportd.settings import Settings
from exportd.store import schema as s
from tests.conftest import _postgres_schema

T0 = datetime(2024, 1, 1, 9, tzinfo=UTC)


@dataclass(frozen=True)
class Sample:
    organization: int
    gids: dict[str, int]
    """Gids by label: `ada`, `task_a`, `deleted_task`…"""
    deleted: frozenset[int]
    """Gids that must not appear anywhere in the export."""


class _Builder:
    def __init__(self, runtime: Runtime, connection: Connection) -> None:
        self.runtime, self.connection = runtime, connection
        self.gids: dict[str, int] = {}
        self.deleted: set[int] = set()
        self.tick = 0

    def add(self, table: Table, label: str | None = None, *, deleted: bool = False,
            **values: Any) -> int:  # fmt: skip
        """Insert a row; objects get a gid, lifecycle times, and `deleted_at` if asked."""
        if "gid" in table.c:
            values["gid"] = gid = self.runtime.gids.next_int()
        else:
            gid = 0
        if "created_at" in table.c:
            self.tick += 1
            values.setdefault("created_at", T0 + timedelta(minutes=self.tick))
        if "modified_at" in table.c:
            values.setdefault("modified_at", values["created_at"] + timedelta(seconds=5))
        if deleted:
            values["deleted_at"] = T0 + timedelta(days=30)
            self.deleted.add(gid)
        self.connection.execute(insert(table), [values])
        if label:
            self.gids[label] = gid
        return gid


def build_sample(runtime: Runtime) -> Sample:
    """One organization with a bit of everything, deletions included, and a second one."""
    with runtime.database.write() as connection:
        b = _Builder(runtime, connection)
        org = b.add(s.workspaces, "org", name="Acme", is_organization=True, plan="enterprise",
                    add_ons=[], email_domains=["acme.example"])  # fmt: skip
        other = b.add(s.workspaces, "other", name="Globex", is_organization=True,
                      plan="business", add_ons=[], email_domains=[])  # fmt: skip

        def person(label: str, *, deleted: bool = False, member_deleted: bool = False) -> int:
            gid = b.add(s.users, label, deleted=deleted, name=label.title(),
                        email=f"{label}@acme.example", photo=None)  # fmt: skip
            b.add(s.workspace_memberships, workspace_gid=org, user_gid=gid, is_admin=False,
                  is_active=True, deleted=member_deleted)  # fmt: skip
            return gid

        ada, bob = person("ada"), person("bob")
        cy = person("cy", deleted=True)  # a deleted user: out, and out of every list
        dee = person("dee", member_deleted=True)  # left the organization: out
        b.deleted.add(dee)
        outsider = b.add(s.users, "outsider", name="Otto", email="otto@globex.example")
        b.add(s.workspace_memberships, workspace_gid=other, user_gid=outsider, is_active=True)

        team = b.add(s.teams, "team", workspace_gid=org, name="Core", visibility="public")
        gone_team = b.add(s.teams, "gone_team", deleted=True, workspace_gid=org, name="Old",
                          visibility="secret")  # fmt: skip
        for user, parent in ((ada, team), (bob, team), (cy, team), (ada, gone_team)):
            b.add(s.team_memberships, team_gid=parent, user_gid=user)

        text_cf = b.add(s.custom_fields, "cf_text", workspace_gid=org, name="Note",
                        resource_subtype="text", format="none", created_by_gid=ada)  # fmt: skip
        number_cf = b.add(s.custom_fields, "cf_number", workspace_gid=org, name="Cost",
                          resource_subtype="number", precision=2, format="none")  # fmt: skip
        enum_cf = b.add(s.custom_fields, "cf_enum", workspace_gid=org, name="Priority",
                        resource_subtype="enum", format="none")  # fmt: skip
        high = b.add(s.custom_field_enum_options, "high", custom_field_gid=enum_cf, name="High",
                     color="dark-red", position=0)  # fmt: skip
        low = b.add(s.custom_field_enum_options, "low", deleted=True, custom_field_gid=enum_cf,
                    name="Low", color=None, position=1)  # fmt: skip
        multi_cf = b.add(s.custom_fields, "cf_multi", workspace_gid=org, name="Areas",
                         resource_subtype="multi_enum", format="none")  # fmt: skip
        web = b.add(s.custom_field_enum_options, custom_field_gid=multi_cf, name="Web",
                    position=0)  # fmt: skip
        api = b.add(s.custom_field_enum_options, custom_field_gid=multi_cf, name="API",
                    position=1)  # fmt: skip
        date_cf = b.add(s.custom_fields, workspace_gid=org, name="Launch",
                        resource_subtype="date", format="none")  # fmt: skip
        people_cf = b.add(s.custom_fields, "cf_people", workspace_gid=org, name="Reviewers",
                          resource_subtype="people", format="none")  # fmt: skip
        gone_cf = b.add(s.custom_fields, "gone_cf", deleted=True, workspace_gid=org,
                        name="Old field", resource_subtype="text", format="none")  # fmt: skip

        tag = b.add(s.tags, "tag", workspace_gid=org, name="bug", color="light-red")
        gone_tag = b.add(s.tags, "gone_tag", deleted=True, workspace_gid=org, name="old")

        def project(label: str, parent: int | None, *, deleted: bool = False) -> int:
            return b.add(s.projects, label, deleted=deleted, workspace_gid=org, team_gid=parent,
                         owner_gid=ada, name=label.title(), privacy_setting="public_to_workspace",
                         default_view="list", default_access_level="editor",
                         start_on=date(2024, 1, 2))  # fmt: skip

        launch = project("launch", team)
        gone_project = project("gone_project", team, deleted=True)
        project("orphan", gone_team)  # its team is deleted: team shows null
        for user in (ada, cy):
            b.add(s.project_followers, project_gid=launch, user_gid=user)
        for field, important in ((text_cf, True), (enum_cf, False), (gone_cf, False)):
            b.add(s.project_custom_field_settings, project_gid=launch, custom_field_gid=field,
                  is_important=important)  # fmt: skip
        for user, parent in ((ada, launch), (bob, launch), (cy, launch), (ada, gone_project)):
            b.add(s.project_memberships, project_gid=parent, user_gid=user, access_level="editor")
        todo = b.add(s.sections, "todo", project_gid=launch, name="To do", position=0)
        b.add(s.sections, "gone_section", deleted=True, project_gid=launch, name="Old",
              position=1)  # fmt: skip
        b.add(s.sections, "orphan_section", project_gid=gone_project, name="Lost", position=0)
        b.deleted.add(b.gids["orphan_section"])

        portfolio = b.add(s.portfolios, "portfolio", workspace_gid=org, owner_gid=ada,
                          created_by_gid=bob, name="Bets", privacy_setting="members_only",
                          default_access_level="viewer")  # fmt: skip
        inner = b.add(s.portfolios, "inner", workspace_gid=org, name="Inner",
                      privacy_setting="public_to_domain", default_access_level="admin")  # fmt: skip
        for position, (item_project, item_portfolio) in enumerate(
            ((launch, None), (gone_project, None), (None, inner))
        ):
            b.add(s.portfolio_items, portfolio_gid=portfolio, position=position,
                  project_gid=item_project, item_portfolio_gid=item_portfolio)  # fmt: skip
        b.add(s.portfolio_memberships, portfolio_gid=portfolio, user_gid=bob, access_level="admin")

        goal = b.add(s.goals, "goal", workspace_gid=org, team_gid=gone_team, owner_gid=cy,
                     name="Grow", status="green",
                     privacy_setting="public_to_workspace")  # fmt: skip
        b.add(s.goal_likes, "goal_like", goal_gid=goal, user_gid=bob)
        b.add(s.goal_likes, goal_gid=goal, user_gid=cy)
        b.add(s.goal_followers, goal_gid=goal, user_gid=ada)

        def task(label: str, *, deleted: bool = False, **values: Any) -> int:
            values.setdefault("resource_subtype", "default_task")
            return b.add(s.tasks, label, deleted=deleted, workspace_gid=org, name=label,
                         created_by_gid=bob, **values)  # fmt: skip

        task_a = task("task_a", assignee_gid=ada, assignee_status="today", due_on=date(2024, 2, 1),
                      due_at=T0 + timedelta(days=31), completed_by_gid=cy)  # fmt: skip
        task_b = task("task_b", parent_gid=task_a)
        gone_task = task("gone_task", deleted=True, parent_gid=task_a)
        task_c = task(
            "task_c", parent_gid=gone_task, assignee_gid=dee, resource_subtype="milestone"
        )
        for user in (ada, bob, cy):
            b.add(s.task_followers, task_gid=task_a, user_gid=user)
        b.add(s.task_likes, "task_like", task_gid=task_a, user_gid=bob)
        b.add(s.task_likes, task_gid=task_a, user_gid=cy)
        for label_tag in (tag, gone_tag):
            b.add(s.task_tags, task_gid=task_a, tag_gid=label_tag)
        for dependency in (task_b, gone_task):
            b.add(s.task_dependencies, task_gid=task_a, dependency_gid=dependency)
        b.add(s.task_dependencies, task_gid=task_c, dependency_gid=task_a)
        b.add(s.task_memberships, task_gid=task_a, project_gid=launch, section_gid=todo)
        b.add(s.task_memberships, task_gid=task_a, project_gid=gone_project, section_gid=None)
        b.add(s.task_memberships, task_gid=task_b, project_gid=launch,
              section_gid=b.gids["gone_section"])  # fmt: skip
        for values in (
            {"custom_field_gid": text_cf, "text_value": "hello"},
            {"custom_field_gid": number_cf, "number_value": 12.5},
            {"custom_field_gid": enum_cf, "enum_option_gid": high},
            {"custom_field_gid": multi_cf, "multi_enum_option_gids": [api, web]},
            {"custom_field_gid": date_cf, "date_value": date(2024, 3, 1)},
            {"custom_field_gid": people_cf, "people_gids": [bob, cy, ada]},
            {"custom_field_gid": gone_cf, "text_value": "gone"},
        ):
            b.add(s.task_custom_field_values, task_gid=task_a, **values)
        b.add(s.task_custom_field_values, task_gid=task_b, custom_field_gid=enum_cf,
              enum_option_gid=low)  # fmt: skip

        def story(label: str, *, deleted: bool = False, **values: Any) -> int:
            values = {"type": "comment", "resource_subtype": "comment_added", **values}
            return b.add(s.stories, label, deleted=deleted, created_by_gid=ada, text=label,
                         html_text=f"<body>{label}</body>", source="web", **values)  # fmt: skip

        comment = story("comment", task_gid=task_a)
        b.add(s.story_likes, story_gid=comment, user_gid=bob)
        story("renamed", task_gid=task_a, type="system", resource_subtype="name_changed",
              details={"old_name": "Old", "new_name": "task_a"})  # fmt: skip
        story("gone_story", deleted=True, task_gid=task_a)
        story("orphan_story", task_gid=gone_task)
        b.deleted.add(b.gids["orphan_story"])
        b.add(s.attachments, "file", task_gid=task_a, name="plan.pdf", resource_subtype="asana",
              host="asana", size=10, permanent_url="https://files.example/plan.pdf")  # fmt: skip
        b.add(s.attachments, "gone_file", deleted=True, task_gid=task_a, name="old.pdf",
              resource_subtype="asana", host="asana")  # fmt: skip

        def message(label: str, parents: list[tuple[str, int]], *, deleted: bool = False,
                    status: str | None = None, when: int = 0) -> int:  # fmt: skip
            gid = b.add(s.messages, label, deleted=deleted, workspace_gid=org,
                        resource_subtype="status_update" if status else "default",
                        status_type=status, title=label, text=f"{label} text",
                        html_text=f"<body>{label}</body>", created_by_gid=ada,
                        created_at=T0 + timedelta(days=when))  # fmt: skip
            for kind, parent in parents:
                b.add(s.message_parents, message_gid=gid, parent_gid=parent, parent_type=kind)
            return gid

        message("old_status", [("project", launch)], status="on_track", when=1)
        message("new_status", [("project", launch)], status="at_risk", when=2)
        message("gone_status", [("project", launch)], status="off_track", when=3, deleted=True)
        message("goal_status", [("goal", goal)], status="achieved", when=1)
        message("team_status", [("team", team)], status="on_track", when=1)
        message("orphan_status", [("project", gone_project)], status="on_track", when=1)
        b.deleted.add(b.gids["orphan_status"])
        note = message("note", [("project", launch), ("team", team), ("project", gone_project)])
        b.add(s.message_followers, message_gid=note, user_gid=bob)
        b.add(s.message_followers, message_gid=note, user_gid=cy)
        b.add(s.message_likes, message_gid=note, user_gid=ada)
        story("note_comment", message_gid=note)
        b.add(s.attachments, "note_file", message_gid=note, name="a.png",
              resource_subtype="external", host="external")  # fmt: skip
        message("gone_note", [("team", team)], deleted=True)

        # Planning: people allocated to projects, time tracked on tasks, what supports goals.
        def allocation(label: str, parent: int, *, deleted: bool = False) -> None:
            b.add(s.allocations, label, deleted=deleted, workspace_gid=org, project_gid=parent,
                  assignee_gid=ada, created_by_gid=cy, resource_subtype="project_allocation",
                  start_date=date(2024, 1, 8), end_date=date(2024, 2, 8), effort_type="percent",
                  effort_value=50.0)  # fmt: skip

        def entry(label: str, on: int, project: int, *, deleted: bool = False) -> None:
            b.add(s.time_tracking_entries, label, deleted=deleted, workspace_gid=org,
                  task_gid=on, attributable_to_gid=project, created_by_gid=bob,
                  duration_minutes=30, entered_on=date(2024, 1, 9), approval_status="APPROVED",
                  billable_status="billable", description=label)  # fmt: skip

        def support(label: str, *, deleted: bool = False, **supporting: int) -> None:
            b.add(s.goal_relationships, label, deleted=deleted, supported_goal_gid=goal,
                  resource_subtype="supporting_work", contribution_weight=0.5,
                  **supporting)  # fmt: skip

        allocation("allocation", launch)
        allocation("gone_allocation", launch, deleted=True)
        allocation("orphan_allocation", gone_project)  # its project is deleted: out
        entry("entry", task_a, launch)
        entry("entry_elsewhere", task_b, gone_project)  # attributable_to shows null
        entry("gone_entry", task_a, launch, deleted=True)
        entry("orphan_entry", gone_task, launch)  # its task is deleted: out
        support("supports", supporting_project_gid=launch)
        support("supports_portfolio", supporting_portfolio_gid=inner)
        support("gone_support", deleted=True, supporting_project_gid=launch)
        support("orphan_support", supporting_project_gid=gone_project)  # its project is gone
        for label in ("orphan_allocation", "orphan_entry", "orphan_support"):
            b.deleted.add(b.gids[label])

        # The other organization: nothing of it may leak into the export.
        other_task = b.add(s.tasks, "other_task", workspace_gid=other, name="theirs",
                           resource_subtype="default_task")  # fmt: skip
        b.add(s.stories, "other_story", task_gid=other_task, type="comment",
              resource_subtype="comment_added", text="x", source="web")  # fmt: skip
        for label in ("other", "outsider", "other_task", "other_story"):
            b.deleted.add(b.gids[label])
        return Sample(org, dict(b.gids), frozenset(b.deleted))


def export(runtime: Runtime, sample: Sample) -> list[Obj]:
    return list(organization_objects(runtime.database, sample.organization))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def exported(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[tuple[Runtime, Sample, list[Obj]]]:
    """One sample store per backend for the whole module: the tests only read it."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("shapes") / "exportd.sqlite3"
        shutil.copyfile(sqlite_template, path)
        urls: Iterator[str] = iter([f"sqlite:///{path}"])
    else:
        urls = _postgres_schema()
    for url in urls:
        home = tmp_path_factory.mktemp("home")
        runtime = compose.open_runtime(Settings.load(home=home, database_url=url))
        runtime.migrate()
        try:
            sample = build_sample(runtime)
            yield runtime, sample, export(runtime, sample)
        finally:
            runtime.close()


@pytest.fixture
def runtime_of_sample(exported: tuple[Runtime, Sample, list[Obj]]) -> Runtime:
    return exported[0]


@pytest.fixture
def sample(exported: tuple[Runtime, Sample, list[Obj]]) -> Sample:
    return exported[1]


@pytest.fixture
def objects(exported: tuple[Runtime, Sample, list[Obj]]) -> list[Obj]:
    return exported[2]


def _by_gid(objects: list[Obj]) -> dict[str, Obj]:
    return {obj["gid"]: obj for obj in objects}


def _compacts(value: Any, path: str = "") -> list[tuple[str, Obj]]:
    """Every nested object below the top level, with its path."""
    found = []
    if isinstance(value, dict):
        for name, child in value.items():
            if isinstance(child, dict):
                found.append((f"{path}{name}", child))
            found.extend(_compacts(child, f"{path}{name}."))
    elif isinstance(value, list):
        for child in value:
            if isinstance(child, dict):
                found.append((path.rstrip("."), child))
            found.extend(_compacts(child, path))
    return found


def test_every_object_has_exactly_its_full_fields_in_order(objects: list[Obj]) -> None:
    assert {obj["resource_type"] for obj in objects} == set(RESOURCE_TYPES)
    for obj in objects:
        assert list(obj) == list(RESOURCES[obj["resource_type"]].full), obj["resource_type"]


def _order(obj: Obj) -> tuple[int, ...]:
    """Gid order within a type; stories and attachments come by task, then by message."""
    if obj["resource_type"] in ("story", "attachment"):
        owner = obj["target"] if obj["resource_type"] == "story" else obj["parent"]
        return (owner["resource_type"] != "task", int(owner["gid"]), int(obj["gid"]))
    return (int(obj["gid"]),)


def test_types_come_in_export_order_and_in_gid_order_within_a_type(objects: list[Obj]) -> None:
    types = [obj["resource_type"] for obj in objects]
    assert sorted(types, key=RESOURCE_TYPES.index) == types
    for kind in RESOURCE_TYPES:
        of_kind = [obj for obj in objects if obj["resource_type"] == kind]
        assert of_kind == sorted(of_kind, key=_order)
    stories = [obj for obj in objects if obj["resource_type"] == "story"]
    assert {story["target"]["resource_type"] for story in stories} == {"task", "message"}


def _expected_fields(path: str, kind: str) -> list[str]:
    """A nested object's fields: compact, except for the two relations shown in full."""
    if kind == "custom_field_setting":  # has no object of its own in the export
        return list(RESOURCES[kind].full)
    if kind == "custom_field" and path == "custom_fields":  # a task's values
        return [*RESOURCES[kind].compact, "people_value"]
    return list(RESOURCES[kind].compact)


def test_references_show_the_compact_form(objects: list[Obj]) -> None:
    checked: Counter[str] = Counter()
    for obj in objects:
        for path, nested in _compacts(obj):
            kind = nested.get("resource_type")
            if kind is None:  # likes, memberships, date values: checked by their contents
                continue
            assert list(nested) == _expected_fields(path, kind), (obj["resource_type"], path)
            checked[kind] += 1
    assert set(checked) >= {
        "user", "workspace", "task", "project", "section", "custom_field",
        "custom_field_setting", "status_update", "message", "story",
    }  # fmt: skip


def test_deleted_and_foreign_objects_appear_nowhere(objects: list[Obj], sample: Sample) -> None:
    shown = {obj["gid"] for obj in objects}
    for obj in objects:
        shown.update(nested["gid"] for _, nested in _compacts(obj) if "gid" in nested)
    assert not {str(gid) for gid in sample.deleted} & shown
    assert str(sample.gids["ada"]) in shown  # the check can see gids at all


def names(items: list[Obj]) -> list[str]:
    return [item["name"] for item in items]


def test_relations_to_deleted_objects_are_left_out(objects: list[Obj], sample: Sample) -> None:
    g, by_gid = sample.gids, _by_gid(objects)
    task_a = by_gid[str(g["task_a"])]
    assert names(task_a["followers"]) == ["Ada", "Bob"]
    assert [like["user"]["name"] for like in task_a["likes"]] == ["Bob"]
    assert task_a["num_likes"] == task_a["num_hearts"] == 1
    assert task_a["hearts"] == task_a["likes"]
    assert names(task_a["tags"]) == ["bug"]
    assert names(task_a["dependencies"]) == ["task_b"]
    assert names(task_a["dependents"]) == ["task_c"]
    assert task_a["num_subtasks"] == 1
    assert task_a["completed_by"] is None
    assert [m["project"]["name"] for m in task_a["memberships"]] == ["Launch"]
    assert names(task_a["projects"]) == ["Launch"]
    assert task_a["memberships"][0]["section"]["name"] == "To do"
    task_b = by_gid[str(g["task_b"])]
    assert task_b["memberships"][0]["section"] is None
    assert task_b["parent"]["gid"] == str(g["task_a"])
    assert task_b["custom_fields"][0]["enum_value"] is None
    task_c = by_gid[str(g["task_c"])]
    assert task_c["parent"] is None
    assert task_c["assignee"] is None
    launch = by_gid[str(g["launch"])]
    assert names(launch["members"]) == ["Ada", "Bob"]
    assert names(launch["followers"]) == ["Ada"]
    assert [x["custom_field"]["name"] for x in launch["custom_field_settings"]] == [
        "Note",
        "Priority",
    ]
    assert by_gid[str(g["orphan"])]["team"] is None
    assert names(by_gid[str(g["team"])]["members"]) == ["Ada", "Bob"]
    assert names(by_gid[str(g["portfolio"])]["items"]) == ["Launch", "Inner"]
    goal = by_gid[str(g["goal"])]
    assert goal["owner"] is None
    assert goal["team"] is None
    assert goal["num_likes"] == 1
    priority = by_gid[str(g["cf_enum"])]
    assert names(priority["enum_options"]) == ["High"]
    note = by_gid[str(g["note"])]
    assert [p["name"] for p in note["parents"]] == ["Core", "Launch"]  # by gid
    assert names(note["followers"]) == ["Bob"]
    assert [story["text"] for story in note["stories"]] == ["note_comment"]
    assert names(note["attachments"]) == ["a.png"]


def test_status_updates_have_exactly_one_parent_and_the_newest_is_current(
    objects: list[Obj], sample: Sample
) -> None:
    g, by_gid = sample.gids, _by_gid(objects)
    updates = [obj for obj in objects if obj["resource_type"] == "status_update"]
    assert sorted(u["title"] for u in updates) == ["goal_status", "new_status", "old_status"]
    for update in updates:
        assert isinstance(update["parent"], dict)
        kind = update["parent"]["resource_type"]
        assert update["resource_subtype"] == f"{kind}_status_update"
        assert update["author"] == update["created_by"]
    current = by_gid[str(g["launch"])]["current_status_update"]
    assert current == {
        "gid": str(g["new_status"]),
        "resource_type": "status_update",
        "title": "new_status",
        "resource_subtype": "project_status_update",
    }
    assert by_gid[str(g["goal"])]["current_status_update"]["title"] == "goal_status"
    team_update = by_gid[str(g["team_status"])]
    assert team_update["resource_type"] == "message"
    assert team_update["resource_subtype"] == "status_update"
    assert [p["gid"] for p in team_update["parents"]] == [str(g["team"])]


def test_task_custom_fields_show_values_and_display_values(
    objects: list[Obj], sample: Sample
) -> None:
    task_a = _by_gid(objects)[str(sample.gids["task_a"])]
    shown = {value["name"]: value for value in task_a["custom_fields"]}
    assert list(shown) == ["Note", "Cost", "Priority", "Areas", "Launch", "Reviewers"]
    assert shown["Note"]["text_value"] == shown["Note"]["display_value"] == "hello"
    assert (shown["Cost"]["number_value"], shown["Cost"]["display_value"]) == (12.5, "12.50")
    assert shown["Priority"]["enum_value"]["name"] == "High"
    assert [o["name"] for o in shown["Areas"]["multi_enum_values"]] == ["API", "Web"]
    assert shown["Areas"]["display_value"] == "API, Web"
    assert shown["Launch"]["date_value"] == {"date": "2024-03-01", "date_time": None}
    assert [p["name"] for p in shown["Reviewers"]["people_value"]] == ["Bob", "Ada"]
    assert shown["Reviewers"]["display_value"] == "Bob, Ada"


def test_values_are_rendered_as_the_api_shows_them(objects: list[Obj], sample: Sample) -> None:
    g, by_gid = sample.gids, _by_gid(objects)
    task_a = by_gid[str(g["task_a"])]
    assert task_a["due_on"] == "2024-02-01"
    assert task_a["due_at"] == "2024-02-01T09:00:00.000Z"
    assert task_a["permalink_url"] == f"https://app.asana.com/1/{g['org']}/task/{g['task_a']}"
    assert by_gid[str(g["launch"])]["public"] is True
    assert by_gid[str(g["portfolio"])]["public"] is False
    renamed = by_gid[str(g["renamed"])]
    assert (renamed["old_name"], renamed["new_name"]) == ("Old", "task_a")
    assert renamed["is_editable"] is False
    assert by_gid[str(g["comment"])]["is_editable"] is True
    setting = by_gid[str(g["launch"])]["custom_field_settings"][0]
    assert setting["gid"] == setting_gid(g["launch"], g["cf_text"])
    assert setting["is_important"] is True
    users = [obj for obj in objects if obj["resource_type"] == "user"]
    assert [u["name"] for u in users] == ["Ada", "Bob"]
    assert users[0]["workspaces"] == [{"gid": str(g["org"]), "resource_type": "workspace",
                                       "name": "Acme"}]  # fmt: skip


def test_pages_of_any_size_give_the_same_export(
    runtime_of_sample: Runtime, sample: Sample, objects: list[Obj]
) -> None:
    small = list(
        organization_objects(
            runtime_of_sample.database, sample.organization, batch_size=2, task_batch_size=2
        )
    )
    assert small == objects
    assert Counter(obj["resource_type"] for obj in small)["task"] == 3
