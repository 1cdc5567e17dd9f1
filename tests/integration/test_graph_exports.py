"""Graph exports (G1) through the official SDK, checked against the seeded store.

What each file should hold is worked out here on its own, from every row of the store and
the visibility rules of docs/export-format.md, and compared with the downloaded file: the
parent and everything beneath it that the requester can see, each once, nothing deleted.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asana
import httpx
import orjson
import pytest
from asana.rest import ApiException
from sqlalchemy import Table, delete, func, insert, select, update

from exportd.datagen.importer import import_jsonl
from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.jobs import WorkerPool
from exportd.jobs.handlers import HANDLERS
from exportd.runtime import Runtime
from exportd.store import schema as s
from tests.conftest import LiveServer

SPEC = SeedSpec(
    seed=31, users=10, teams=3, projects=12, tasks=160, stories_per_task=0,
    attachments_per_task=0, messages=2,
)  # fmt: skip

Obj = dict[str, Any]


@pytest.fixture
def seeded(runtime: Runtime) -> SeedResult:
    return seed_organization(runtime.database, SPEC)


def create(sdk: asana.ApiClient, parent: int | str) -> Obj:
    job: Obj = asana.ExportsApi(sdk).create_graph_export({"data": {"parent": str(parent)}})
    return job


def wait(sdk: asana.ApiClient, job_gid: str, timeout: float = 60) -> Obj:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: Obj = asana.JobsApi(sdk).get_job(job_gid, {})
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_gid} did not finish in {timeout}s")


def lines_of(job: Obj) -> list[Obj]:
    response = httpx.get(job["new_graph_export"]["download_url"], timeout=30)
    assert response.status_code == 200, response.text
    return [orjson.loads(line) for line in gzip.decompress(response.content).splitlines()]


def export(sdk: asana.ApiClient, parent: int) -> list[Obj]:
    job = wait(sdk, create(sdk, parent)["gid"])
    assert job["status"] == "succeeded", job
    return lines_of(job)


# What a file should hold, worked out from the whole store.


@dataclass
class Store:
    """Every row of the tables graph exports read, and the visibility rules over them."""

    user: int
    rows: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, runtime: Runtime, user: int) -> Store:
        tables: dict[str, Table] = {
            "projects": s.projects, "project_memberships": s.project_memberships,
            "team_memberships": s.team_memberships, "portfolios": s.portfolios,
            "portfolio_items": s.portfolio_items, "portfolio_memberships": s.portfolio_memberships,
            "goal_relationships": s.goal_relationships, "sections": s.sections,
            "tasks": s.tasks, "task_memberships": s.task_memberships,
            "allocations": s.allocations, "time_tracking_entries": s.time_tracking_entries,
        }  # fmt: skip
        store = cls(user)
        with runtime.database.read() as connection:
            for name, table in tables.items():
                store.rows[name] = list(connection.execute(select(table)))
        return store

    def live(self, name: str) -> list[Any]:
        return [row for row in self.rows[name] if getattr(row, "deleted_at", None) is None]

    def sees_project(self, project: Any) -> bool:
        members = {
            m.user_gid for m in self.live("project_memberships") if m.project_gid == project.gid
        }
        team = {m.user_gid for m in self.live("team_memberships") if m.team_gid == project.team_gid}
        return (
            project.privacy_setting == "public_to_workspace"
            or self.user in members
            or (project.privacy_setting == "private_to_team" and self.user in team)
        )

    def sees_portfolio(self, portfolio: Any) -> bool:
        members = {
            m.user_gid for m in self.live("portfolio_memberships")
            if m.portfolio_gid == portfolio.gid
        }  # fmt: skip
        return (
            portfolio.privacy_setting == "public_to_domain"
            or portfolio.owner_gid == self.user
            or self.user in members
        )

    def visible_projects(self) -> set[int]:
        return {p.gid for p in self.live("projects") if self.sees_project(p)}

    def visible_portfolios(self) -> set[int]:
        return {p.gid for p in self.live("portfolios") if self.sees_portfolio(p)}

    def beneath(self, kind: str, gid: int) -> dict[str, set[str]]:
        """The gids, by type, of what a graph export of this parent should hold."""
        projects_seen, portfolios_seen = self.visible_projects(), self.visible_portfolios()
        found: dict[str, set[int]] = defaultdict(set)
        roots: list[int] = []
        if kind == "project":
            found["project"].add(gid)
        elif kind == "team":
            found["project"] |= {p.gid for p in self.live("projects") if p.team_gid == gid}
        elif kind == "portfolio":
            roots.append(gid)
        else:
            found["goal"].add(gid)
            for r in self.live("goal_relationships"):
                if r.supported_goal_gid == gid and r.resource_subtype == "supporting_work":
                    if r.supporting_project_gid is not None:
                        found["project"].add(r.supporting_project_gid)
                    if r.supporting_portfolio_gid is not None:
                        roots.append(r.supporting_portfolio_gid)
        todo = [p for p in roots if p in portfolios_seen]
        while todo:
            portfolio = todo.pop()
            if portfolio in found["portfolio"]:
                continue
            found["portfolio"].add(portfolio)
            for item in self.rows["portfolio_items"]:
                if item.portfolio_gid != portfolio:
                    continue
                if item.project_gid in projects_seen:
                    found["project"].add(item.project_gid)
                elif item.item_portfolio_gid in portfolios_seen:
                    todo.append(item.item_portfolio_gid)
        found["project"] &= projects_seen
        included = found["project"]
        homes = defaultdict(set)
        for m in self.rows["task_memberships"]:
            homes[m.task_gid].add(m.project_gid)
        live_tasks = {t.gid: t for t in self.live("tasks")}
        in_projects = {t for t in live_tasks if homes[t] & included}
        tasks = in_projects | {t.gid for t in live_tasks.values() if t.parent_gid in in_projects}
        return {
            "goal": {str(g) for g in found["goal"]},
            "portfolio": {str(p) for p in found["portfolio"]},
            "project": {str(p) for p in included},
            "section": {str(x.gid) for x in self.live("sections") if x.project_gid in included},
            "task": {str(t) for t in tasks},
            "allocation": {
                str(a.gid) for a in self.live("allocations") if a.project_gid in included
            },
            "time_tracking_entry": {
                str(e.gid) for e in self.live("time_tracking_entries") if e.task_gid in tasks
            },
        }

    def links(self, portfolios: set[str], projects: set[str]) -> dict[str, set[tuple[str, str]]]:
        """The portfolio items a file should show, as (portfolio, item) pairs."""
        pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for item in self.rows["portfolio_items"]:
            if str(item.portfolio_gid) not in portfolios:
                continue
            if item.project_gid is not None and str(item.project_gid) in projects:
                pairs["project_to_portfolio"].add((str(item.portfolio_gid), str(item.project_gid)))
            if item.item_portfolio_gid is not None and str(item.item_portfolio_gid) in portfolios:
                pair = (str(item.portfolio_gid), str(item.item_portfolio_gid))
                pairs["portfolio_to_portfolio"].add(pair)
        return pairs


def by_type(lines: list[Obj]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        found[line["resource_type"]].append(line["gid"])
    return found


def check_file(store: Store, kind: str, gid: int, lines: list[Obj]) -> dict[str, list[str]]:
    """The file holds exactly what lies beneath the parent, each object once."""
    found = by_type(lines)
    expected = store.beneath(kind, gid)
    for resource_type, gids in expected.items():
        assert len(found.get(resource_type, [])) == len(set(found.get(resource_type, [])))
        assert set(found.get(resource_type, [])) == gids, resource_type
    pairs = store.links(expected["portfolio"], expected["project"])
    for link_type in ("portfolio_to_portfolio", "project_to_portfolio"):
        shown = {
            (line["portfolio"]["gid"], line["item"]["gid"])
            for line in lines if line["resource_type"] == link_type
        }  # fmt: skip
        assert shown == pairs[link_type], link_type
        assert len(found.get(link_type, [])) == len(set(found.get(link_type, [])))
    allowed = set(expected) | {"portfolio_to_portfolio", "project_to_portfolio"}
    assert set(found) <= allowed
    seen = {str(p) for p in store.visible_projects()}
    for line in lines:
        if line["resource_type"] == "task":  # no project the requester cannot see
            assert {p["gid"] for p in line["projects"]} <= seen
            assert {m["project"]["gid"] for m in line["memberships"]} <= seen
            # and no task outside the file
            assert line["parent"] is None or line["parent"]["gid"] in expected["task"]
            for name in ("dependencies", "dependents"):
                assert {task["gid"] for task in line[name]} <= expected["task"]
        if line["resource_type"] == "portfolio":
            assert {i["gid"] for i in line["items"]} <= expected["project"] | expected["portfolio"]
    return found


# Preparing the store for each case.


def hide_a_project(runtime: Runtime, seeded: SeedResult) -> tuple[int, int]:
    """Make one project of a team the member belongs to private, the member not in it, and
    make sure the member is in no other project of that team's kind of privacy rules: the
    team (made public) and that hidden project's gid."""
    member = seeded.member_gid
    with runtime.database.write() as connection:
        team = (
            connection.execute(
                select(s.team_memberships.c.team_gid)
                .where(
                    s.team_memberships.c.user_gid == member,
                    s.team_memberships.c.deleted_at.is_(None),
                )
                .order_by(s.team_memberships.c.team_gid)
            )
            .scalars()
            .first()
        )
        assert team is not None
        projects = list(connection.execute(
            select(s.projects.c.gid).where(
                s.projects.c.team_gid == team, s.projects.c.deleted_at.is_(None)
            ).order_by(s.projects.c.gid)
        ).scalars())  # fmt: skip
        assert len(projects) >= 2, "the seed should give the member's team two projects"
        hidden, shared = projects[0], projects[1]
        connection.execute(update(s.teams).where(s.teams.c.gid == team).values(visibility="public"))
        connection.execute(
            update(s.projects).where(s.projects.c.gid == hidden).values(privacy_setting="private")
        )
        connection.execute(
            update(s.projects).where(s.projects.c.gid == shared)
            .values(privacy_setting="private_to_team")
        )  # fmt: skip
        connection.execute(
            delete(s.project_memberships).where(
                s.project_memberships.c.project_gid == hidden,
                s.project_memberships.c.user_gid == member,
            )
        )
        connection.execute(
            update(s.projects).where(s.projects.c.gid == hidden).values(owner_gid=None)
        )
    return team, hidden


def a_goal_with_support(runtime: Runtime, seeded: SeedResult) -> int:
    """A public goal of the organization supported by a portfolio, among what the seed gave."""
    organization, now = seeded.organization_gid, runtime.clock()
    with runtime.database.write() as connection:
        goal, portfolio = (
            connection.execute(
                select(table.c.gid)
                .where(table.c.workspace_gid == organization, table.c.deleted_at.is_(None))
                .order_by(table.c.gid)
            ).scalars().first()
            for table in (s.goals, s.portfolios)
        )  # fmt: skip
        assert goal is not None
        assert portfolio is not None
        connection.execute(
            insert(s.goal_relationships).values(
                gid=runtime.gids.next_int(), supported_goal_gid=goal,
                resource_subtype="supporting_work", supporting_portfolio_gid=portfolio,
                contribution_weight=1.0, created_at=now, modified_at=now,
            )
        )  # fmt: skip
        connection.execute(
            update(s.goals).where(s.goals.c.gid == goal).values(privacy_setting="members_only")
        )
        connection.execute(
            insert(s.goal_followers).values(goal_gid=goal, user_gid=seeded.member_gid)
        )
    return int(goal)


def a_portfolio_of_portfolios(runtime: Runtime, seeded: SeedResult) -> int:
    """Portfolio A holds B, B holds A again (a cycle) and C, which the member cannot see."""
    pi, pm, member = s.portfolio_items, s.portfolio_memberships, seeded.member_gid
    with runtime.database.write() as connection:
        a, b, c = connection.execute(
            select(s.portfolios.c.gid)
            .where(
                s.portfolios.c.workspace_gid == seeded.organization_gid,
                s.portfolios.c.deleted_at.is_(None),
            )
            .order_by(s.portfolios.c.gid)
            .limit(3)
        ).scalars()
        public = update(s.portfolios).where(s.portfolios.c.gid.in_([a, b]))
        connection.execute(public.values(privacy_setting="public_to_domain"))
        connection.execute(
            update(s.portfolios).where(s.portfolios.c.gid == c)
            .values(privacy_setting="members_only", owner_gid=None)
        )  # fmt: skip
        connection.execute(delete(pm).where(pm.c.portfolio_gid == c, pm.c.user_gid == member))
        for holder, item in ((a, b), (b, a), (b, c)):
            last = connection.execute(
                select(func.max(pi.c.position)).where(pi.c.portfolio_gid == holder)
            ).scalar()
            connection.execute(
                insert(pi).values(
                    portfolio_gid=holder, position=(last or 0) + 1, item_portfolio_gid=item
                )
            )
    return int(a)


# The tests.


def test_each_parent_kind_through_the_sdk(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult, workers: WorkerPool
) -> None:
    sdk = live_server.sdk(seeded.member_token)
    team, hidden = hide_a_project(runtime, seeded)
    goal = a_goal_with_support(runtime, seeded)
    portfolio = a_portfolio_of_portfolios(runtime, seeded)
    store = Store.read(runtime, seeded.member_gid)

    job = create(sdk, team)
    assert job["resource_type"] == "job"
    assert job["resource_subtype"] == "graph_export_request"
    assert job["status"] == "not_started"
    created = job["new_graph_export"]
    assert created["resource_type"] == "graph_export"
    assert created["download_url"] is None
    assert created["completed_at"] is None
    done = wait(sdk, job["gid"])
    assert done["status"] == "succeeded"
    assert done["new_graph_export"]["completed_at"] is not None
    found = check_file(store, "team", team, lines_of(done))
    assert str(hidden) not in found["project"]  # private, and the member is not in it
    assert found["project"]
    assert found["task"]
    assert found["section"]

    project = int(found["project"][0])
    found = check_file(store, "project", project, export(sdk, project))
    assert found["project"] == [str(project)]

    found = check_file(store, "portfolio", portfolio, export(sdk, portfolio))
    assert str(portfolio) in found["portfolio"]
    assert found["portfolio_to_portfolio"]

    lines = export(sdk, goal)
    found = check_file(store, "goal", goal, lines)
    assert found["goal"] == [str(goal)]
    assert found["portfolio"]


def test_allocations_and_time_entries_have_their_documented_shapes(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult, workers: WorkerPool
) -> None:
    team, _hidden = hide_a_project(runtime, seeded)
    lines = export(live_server.sdk(seeded.member_token), team)
    kinds = Counter(line["resource_type"] for line in lines)
    assert kinds["allocation"]
    assert kinds["time_tracking_entry"]
    allocation = next(line for line in lines if line["resource_type"] == "allocation")
    assert set(allocation) == {
        "gid", "resource_type", "start_date", "end_date", "effort", "assignee", "created_by",
        "parent", "resource_subtype",
    }  # fmt: skip
    assert allocation["parent"]["resource_type"] == "project"
    entry = next(line for line in lines if line["resource_type"] == "time_tracking_entry")
    assert entry["duration_minutes"] > 0
    assert entry["task"]["resource_type"] == "task"
    tasks = {line["gid"] for line in lines if line["resource_type"] == "task"}
    assert all(
        line["task"]["gid"] in tasks
        for line in lines
        if line["resource_type"] == "time_tracking_entry"
    )


def test_a_repeat_request_returns_the_unfinished_job(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult
) -> None:
    sdk = live_server.sdk(seeded.member_token)
    team, _ = hide_a_project(runtime, seeded)
    first = create(sdk, team)
    again = create(sdk, team)
    assert again["gid"] == first["gid"]
    assert again["new_graph_export"]["gid"] == first["new_graph_export"]["gid"]
    # Someone else's request for the same parent is their own export (their own view).
    other = create(live_server.sdk(seeded.service_account_token), team)
    assert other["gid"] != first["gid"]


def test_a_large_parent_is_cached_a_small_one_is_not(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult, workers: WorkerPool
) -> None:
    team, _ = hide_a_project(runtime, seeded)
    sdk = live_server.sdk(seeded.member_token)
    first = wait(sdk, create(sdk, team)["gid"])
    tasks = sum(1 for line in lines_of(first) if line["resource_type"] == "task")
    assert tasks > 2
    settings = runtime.settings
    runtime.settings = settings.model_copy(update={"graph_cache_tasks": tasks - 1})
    cached = create(sdk, team)
    assert cached["gid"] == first["gid"]
    assert cached["status"] == "succeeded"
    assert cached["new_graph_export"]["download_url"] is not None
    runtime.settings = settings.model_copy(update={"graph_cache_tasks": tasks})
    fresh = create(sdk, team)
    assert fresh["gid"] != first["gid"]
    assert fresh["status"] == "not_started"
    wait(sdk, fresh["gid"])
    runtime.settings = settings.model_copy(update={"graph_cache_tasks": 0, "graph_cache_window": 0})
    assert create(sdk, team)["gid"] not in (first["gid"], fresh["gid"])


@pytest.fixture
def parents(runtime: Runtime, seeded: SeedResult) -> dict[str, int]:
    """A parent of each kind in each organization."""
    found: dict[str, int] = {}
    with runtime.database.read() as connection:
        for name, organization in (("", seeded.organization_gid),
                                   ("other_", seeded.other_organization_gid)):  # fmt: skip
            project = (
                connection.execute(
                    select(s.projects.c.gid).where(
                        s.projects.c.workspace_gid == organization,
                        s.projects.c.deleted_at.is_(None),
                    )
                )
                .scalars()
                .first()
            )
            assert project is not None
            found[f"{name}project"] = project
    return found


def refused(sdk: asana.ApiClient, parent: Any) -> ApiException:
    with pytest.raises(ApiException) as raised:
        asana.ExportsApi(sdk).create_graph_export({"data": {"parent": parent}})
    return raised.value


def test_who_may_export_what(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult, parents: dict[str, int]
) -> None:
    member = live_server.sdk(seeded.member_token)
    # Another organization's parent does not exist for the member.
    error = refused(member, str(parents["other_project"]))
    assert error.status == 404
    assert b"parent: no goal, team, portfolio or project with gid" in error.body
    # Its own service account sees it, but the organization is on the Business plan.
    other = live_server.sdk(seeded.other_service_account_token)
    error = refused(other, str(parents["other_project"]))
    assert error.status == 403
    assert b"Enterprise" in error.body
    assert b"business" in error.body
    # Unknown, missing and malformed parents.
    assert refused(member, "42").status == 404
    bad_parents = (
        (None, b"parent: Missing input"),
        ("x1", b"parent: 'x1' is not a valid gid"),
        (7, b"parent: Input should be a valid string"),
    )
    for bad, message in bad_parents:
        error = refused(member, bad)
        assert error.status == 400, bad
        assert message in error.body, error.body
    response = httpx.post(
        f"{live_server.api}/exports/graph", json={"data": {}},
        headers={"Authorization": f"Bearer {seeded.member_token}"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "parent: Missing input"
    with runtime.database.read() as connection:
        assert connection.execute(select(s.exports.c.gid)).first() is None  # nothing made


def test_jobs_are_read_only_by_their_creator(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult
) -> None:
    team, _ = hide_a_project(runtime, seeded)
    job = create(live_server.sdk(seeded.member_token), team)
    with pytest.raises(ApiException) as raised:
        asana.JobsApi(live_server.sdk(seeded.service_account_token)).get_job(job["gid"], {})
    assert raised.value.status == 404
    shown = httpx.get(
        f"{live_server.api}/jobs/{job['gid']}",
        params={"opt_fields": "resource_subtype,new_graph_export.created_at"},
        headers={"Authorization": f"Bearer {seeded.member_token}"},
    ).json()["data"]
    assert shown == {
        "gid": job["gid"],
        "resource_subtype": "graph_export_request",
        "new_graph_export": {
            "gid": job["new_graph_export"]["gid"],
            "created_at": job["new_graph_export"]["created_at"],
        },
    }


def test_allocations_and_time_entries_import_back(
    live_server: LiveServer,
    runtime: Runtime,
    seeded: SeedResult,
    workers: WorkerPool,
    tmp_path: Path,
) -> None:
    """The graph file's allocations and time tracking entries, imported into a store that
    lost them, are the rows they were exported from; its links are checked and skipped."""
    portfolio = a_portfolio_of_portfolios(runtime, seeded)
    lines = export(live_server.sdk(seeded.member_token), portfolio)
    kept = {"allocation", "time_tracking_entry", "portfolio_to_portfolio", "project_to_portfolio"}
    chosen = [line for line in lines if line["resource_type"] in kept]
    assert {line["resource_type"] for line in chosen} == kept
    path = tmp_path / "graph.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in chosen))
    tables = (s.allocations, s.time_tracking_entries)
    columns = {
        s.allocations: ("gid", "project_gid", "assignee_gid", "created_by_gid", "start_date",
                        "end_date", "effort_type", "effort_value"),
        s.time_tracking_entries: ("gid", "task_gid", "attributable_to_gid", "created_by_gid",
                                  "duration_minutes", "entered_on", "approval_status",
                                  "billable_status", "description", "created_at"),
    }  # fmt: skip
    exported = {line["gid"] for line in chosen}

    def rows() -> dict[str, set[tuple[Any, ...]]]:
        with runtime.database.read() as connection:
            return {
                table.name: {
                    tuple(row)
                    for row in connection.execute(select(*(table.c[c] for c in columns[table])))
                    if str(row.gid) in exported
                }
                for table in tables
            }

    before = rows()
    with runtime.database.write() as connection:
        for table in tables:
            connection.execute(delete(table).where(table.c.gid.in_([int(g) for g in exported])))
    counts = import_jsonl(
        runtime.database, path, now=runtime.clock(), organization_gid=seeded.organization_gid
    )
    assert counts["allocation"] == len(before["allocations"])
    assert counts["time_tracking_entry"] == len(before["time_tracking_entries"])
    assert rows() == before


def test_one_export_per_parent_even_under_concurrency(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult
) -> None:
    team, _ = hide_a_project(runtime, seeded)
    headers = {"Authorization": f"Bearer {seeded.member_token}"}
    answers: list[httpx.Response] = []

    def post() -> None:
        answers.append(
            httpx.post(
                f"{live_server.api}/exports/graph",
                json={"data": {"parent": str(team)}},
                headers=headers,
                timeout=30,
            )
        )

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer.status_code for answer in answers] == [201] * 6
    assert len({answer.json()["data"]["gid"] for answer in answers}) == 1
    with runtime.database.read() as connection:
        assert len(connection.execute(select(s.exports.c.gid)).all()) == 1


def test_parents_the_user_cannot_see_are_404(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult
) -> None:
    member, organization = seeded.member_gid, seeded.organization_gid
    _team, hidden = hide_a_project(runtime, seeded)
    with runtime.database.write() as connection:

        def first(table: Table) -> int:
            gid = connection.execute(
                select(table.c.gid)
                .where(table.c.workspace_gid == organization, table.c.deleted_at.is_(None))
                .order_by(table.c.gid)
            ).scalar()
            assert gid is not None
            return int(gid)

        goal, portfolio = first(s.goals), first(s.portfolios)
        connection.execute(
            update(s.goals).where(s.goals.c.gid == goal)
            .values(privacy_setting="members_only", owner_gid=None)
        )  # fmt: skip
        connection.execute(delete(s.goal_followers).where(s.goal_followers.c.goal_gid == goal))
        connection.execute(
            update(s.portfolios).where(s.portfolios.c.gid == portfolio)
            .values(privacy_setting="members_only", owner_gid=None)
        )  # fmt: skip
        pm = s.portfolio_memberships
        connection.execute(
            delete(pm).where(pm.c.portfolio_gid == portfolio, pm.c.user_gid == member)
        )
        secret = connection.execute(
            select(s.teams.c.gid).where(
                s.teams.c.workspace_gid == organization, s.teams.c.deleted_at.is_(None),
                ~s.teams.c.gid.in_(
                    select(s.team_memberships.c.team_gid).where(
                        s.team_memberships.c.user_gid == member,
                        s.team_memberships.c.deleted_at.is_(None),
                    )
                ),
            )
        ).scalar()  # fmt: skip
        assert secret is not None, "the seed should have a team the member is not in"
        connection.execute(
            update(s.teams).where(s.teams.c.gid == secret).values(visibility="secret")
        )
        deleted = connection.execute(
            select(s.projects.c.gid).where(s.projects.c.deleted_at.is_not(None))
        ).scalar()
    sdk = live_server.sdk(seeded.member_token)
    for parent in (hidden, goal, portfolio, secret, deleted):
        error = refused(sdk, str(parent))
        assert error.status == 404, parent
    # Who can see it may export it: the goal's new follower.
    with runtime.database.write() as connection:
        connection.execute(insert(s.goal_followers).values(goal_gid=goal, user_gid=member))
    assert create(sdk, goal)["status"] == "not_started"


def test_a_parent_deleted_before_its_export_runs_fails_it_at_once(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult, workers: WorkerPool
) -> None:
    workers.stop(timeout=10)
    team, _ = hide_a_project(runtime, seeded)
    sdk = live_server.sdk(seeded.member_token)
    job = create(sdk, team)
    with runtime.database.write() as connection:
        connection.execute(
            update(s.teams).where(s.teams.c.gid == team).values(deleted_at=runtime.clock())
        )
    pool = WorkerPool(runtime, HANDLERS, workers=1, poll_interval=0.05)
    pool.start()
    try:
        done = wait(sdk, job["gid"])
    finally:
        pool.stop(timeout=10)
    assert done["status"] == "failed"
    with runtime.database.read() as connection:
        row = connection.execute(select(s.exports)).one()
    assert row.attempts == 1
    assert "no longer exists" in row.error_reason
