"""Seeding a real store, on SQLite and PostgreSQL: the rows, the tokens, the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Table, delete, func, or_, select
from typer.testing import CliRunner

from exportd.cli import app
from exportd.datagen.seed import COUNTED, SeedAlreadyLoaded, seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.runtime import Runtime
from exportd.settings import Settings
from exportd.store.bulk import bulk_insert
from exportd.store.schema import (
    access_tokens,
    attachments,
    custom_fields,
    goal_relationships,
    goals,
    message_parents,
    messages,
    metadata,
    portfolios,
    projects,
    sections,
    stories,
    tags,
    task_custom_field_values,
    tasks,
    teams,
    users,
    workspace_memberships,
    workspaces,
)
from exportd.store.tokens import user_for_token

SPEC = SeedSpec(
    seed=5,
    users=6,
    teams=2,
    projects=3,
    tasks=60,
    stories_per_task=3,
    attachments_per_task=1,
    messages=12,
)

# The service's own state (export jobs, OAuth apps and grants, failed sign-ins), not an
# organization's data.
NOT_SEEDED = {
    "exports", "oauth_apps", "oauth_grants", "oauth_grant_tokens", "oauth_sessions",
    "sign_in_throttles",
}  # fmt: skip


@pytest.fixture
def seeded(runtime: Runtime) -> SeedResult:
    return seed_organization(runtime.database, SPEC)


def _dump(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order (token hashes left out: secrets are random)."""
    dump = {}
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if c is not access_tokens.c.token_hash]
        query = select(*columns).order_by(*table.primary_key.columns)
        dump[table.name] = [tuple(row) for row in connection.execute(query)]
    return dump


def _row_counts(runtime: Runtime) -> dict[str, int]:
    with runtime.database.read() as connection:
        return {
            t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }


def test_the_same_seed_makes_identical_rows_in_every_table(runtime: Runtime) -> None:
    seed_organization(runtime.database, SPEC)
    with runtime.database.read() as connection:
        first = _dump(connection)
    with runtime.database.write() as connection:  # back to an empty store
        for table in reversed(metadata.sorted_tables):
            connection.execute(delete(table))
    seed_organization(runtime.database, SPEC)
    with runtime.database.read() as connection:
        assert _dump(connection) == first
    empty = [name for name, rows in first.items() if not rows and name not in NOT_SEEDED]
    assert empty == []


def test_two_seeds_share_a_store_without_sharing_gids_or_emails(runtime: Runtime) -> None:
    one = seed_organization(runtime.database, SPEC)
    two = seed_organization(runtime.database, SeedSpec(seed=6, users=6, tasks=20))
    with runtime.database.read() as connection:
        domains = connection.execute(
            select(workspaces.c.gid, workspaces.c.email_domains).order_by(workspaces.c.gid)
        ).all()
    assert len(domains) == 4
    assert re.fullmatch(r"[a-z-]+-5\.example", dict(domains)[one.organization_gid][0])
    assert re.fullmatch(r"[a-z-]+-6\.example", dict(domains)[two.organization_gid][0])
    assert one.organization_gid < one.other_organization_gid < two.organization_gid


def test_counts_are_the_enterprise_organization_s_undeleted_rows(
    runtime: Runtime, seeded: SeedResult
) -> None:
    org = seeded.organization_gid
    in_org: dict[str, Any] = {
        "users": select(func.count())
        .select_from(users.join(workspace_memberships))
        .where(workspace_memberships.c.workspace_gid == org, users.c.deleted_at.is_(None)),
        "sections": select(func.count())
        .select_from(sections.join(projects))
        .where(projects.c.workspace_gid == org, sections.c.deleted_at.is_(None)),
        "goal_relationships": select(func.count())
        .select_from(
            goal_relationships.join(goals, goals.c.gid == goal_relationships.c.supported_goal_gid)
        )
        .where(goals.c.workspace_gid == org, goal_relationships.c.deleted_at.is_(None)),
    }
    for kind, table in (("stories", stories), ("attachments", attachments)):
        in_org[kind] = (
            select(func.count())
            .select_from(
                table.outerjoin(tasks, tasks.c.gid == table.c.task_gid).outerjoin(
                    messages, messages.c.gid == table.c.message_gid
                )
            )
            .where(
                or_(tasks.c.workspace_gid == org, messages.c.workspace_gid == org),
                table.c.deleted_at.is_(None),
            )
        )
    with runtime.database.read() as connection:
        for kind, table in COUNTED.items():
            query = in_org.get(kind)
            if query is None:
                query = select(func.count()).where(
                    table.c.workspace_gid == org, table.c.deleted_at.is_(None)
                )
            assert seeded.counts[kind] == connection.execute(query).scalar_one(), kind
    assert seeded.counts["tasks"] == SPEC.tasks
    assert seeded.counts["messages"] == SPEC.messages
    assert seeded.counts["teams"] == SPEC.teams
    assert seeded.counts["projects"] == SPEC.projects
    assert seeded.counts["users"] == SPEC.users + 1  # and the service account
    assert seeded.counts["stories"] > SPEC.tasks  # ~3 a task, plus comments on messages


def test_every_kind_of_object_has_some_soft_deleted(runtime: Runtime, seeded: SeedResult) -> None:
    with runtime.database.read() as connection:
        for table in metadata.sorted_tables:
            # Both organizations must stay live: they are what a seed hands out.
            if "deleted_at" not in table.c or table is workspaces or table.name in NOT_SEEDED:
                continue
            rows = connection.execute(
                select(func.count(), func.count(table.c.deleted_at)).select_from(table)
            ).one()
            total, deleted = rows
            assert 0 < deleted < total, table.name


def test_status_updates_have_exactly_one_parent_and_messages_at_least_one(
    runtime: Runtime, seeded: SeedResult
) -> None:
    parent_tables: dict[str, Table] = {
        "project": projects,
        "portfolio": portfolios,
        "team": teams,
        "goal": goals,
    }
    with runtime.database.read() as connection:
        parents = connection.execute(
            select(messages.c.resource_subtype, func.count(message_parents.c.parent_gid))
            .select_from(messages.outerjoin(message_parents))
            .group_by(messages.c.gid, messages.c.resource_subtype)
        ).all()
        for kind, table in parent_tables.items():
            of_kind = message_parents.c.parent_type == kind
            gids = select(message_parents.c.parent_gid).where(of_kind)
            found = connection.execute(select(func.count()).where(table.c.gid.in_(gids)))
            referenced = connection.execute(
                select(func.count(func.distinct(message_parents.c.parent_gid))).where(of_kind)
            )
            assert found.scalar_one() == referenced.scalar_one(), kind
    assert {subtype for subtype, _ in parents} == {"default", "status_update"}
    for subtype, count in parents:
        assert count == 1 if subtype == "status_update" else count >= 1


def test_percentages_are_stored_as_fractions_and_other_numbers_as_they_show(
    runtime: Runtime, seeded: SeedResult
) -> None:
    """A percentage field's 0.42 shows as "42%", as in Asana; other numbers show as stored."""
    values = task_custom_field_values
    query = (
        select(custom_fields.c.format, values.c.number_value)
        .join(custom_fields, custom_fields.c.gid == values.c.custom_field_gid)
        .where(values.c.number_value.is_not(None))
    )
    with runtime.database.read() as connection:
        numbers = connection.execute(query).all()
    percentages = [value for format_, value in numbers if format_ == "percentage"]
    others = [value for format_, value in numbers if format_ != "percentage"]
    assert percentages
    assert others
    assert all(0 <= value <= 1 for value in percentages)
    assert max(others) > 1


def test_accounts_and_tokens(runtime: Runtime, seeded: SeedResult) -> None:
    now = runtime.clock()
    with runtime.database.read() as connection:
        for token, gid in (
            (seeded.service_account_token, seeded.service_account_gid),
            (seeded.member_token, seeded.member_gid),
            (seeded.other_service_account_token, seeded.other_service_account_gid),
        ):
            found = user_for_token(connection, token, now)
            assert found is not None
            assert found.gid == gid
        assert user_for_token(connection, seeded.member_token + "x", now) is None
        flags = dict(
            connection.execute(
                select(users.c.gid, users.c.is_service_account).where(
                    users.c.gid.in_([seeded.service_account_gid, seeded.member_gid])
                )
            ).all()
        )
        admin = connection.execute(
            select(workspace_memberships.c.is_admin).where(
                workspace_memberships.c.user_gid == seeded.service_account_gid,
                workspace_memberships.c.workspace_gid == seeded.organization_gid,
            )
        ).scalar_one()
        plans = dict(connection.execute(select(workspaces.c.gid, workspaces.c.plan)).all())
        is_org = connection.execute(select(workspaces.c.is_organization)).scalars().all()
    assert flags == {seeded.service_account_gid: True, seeded.member_gid: False}
    assert admin is True
    assert plans == {
        seeded.organization_gid: "enterprise",
        seeded.other_organization_gid: "business",
    }
    assert is_org == [True, True]


def test_timestamps_and_dates_come_from_the_seed_not_the_clock(
    runtime: Runtime, seeded: SeedResult
) -> None:
    with runtime.database.read() as connection:
        oldest, newest = connection.execute(
            select(func.min(tasks.c.created_at), func.max(tasks.c.modified_at))
        ).one()
        newest_story = connection.execute(select(func.max(stories.c.created_at))).scalar_one()
        due = connection.execute(select(func.max(tasks.c.due_on))).scalar_one()
    assert datetime(2023, 1, 1, tzinfo=UTC) < oldest < newest < datetime(2024, 6, 1, tzinfo=UTC)
    assert newest_story < datetime(2024, 6, 1, tzinfo=UTC)
    assert isinstance(due, date)


def test_seeding_a_loaded_seed_again_fails_and_adds_nothing(
    runtime: Runtime, seeded: SeedResult
) -> None:
    before = _row_counts(runtime)
    message = f"seed 5 is already loaded in this store (organization {seeded.organization_gid})"
    with pytest.raises(SeedAlreadyLoaded, match=re.escape(message)):
        seed_organization(runtime.database, SeedSpec(seed=5, tasks=3))
    assert _row_counts(runtime) == before


def test_a_seed_that_fails_halfway_leaves_nothing(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise RuntimeError("disk full")
        yield

    monkeypatch.setattr("exportd.datagen.seed.message_batches", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        seed_organization(runtime.database, SPEC)
    assert set(_row_counts(runtime).values()) == {0}


def test_bulk_insert_stores_what_insert_would(runtime: Runtime) -> None:
    moment = datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
    times = {"created_at": moment, "modified_at": moment}
    with runtime.database.write() as connection:
        bulk_insert(
            connection,
            workspaces,
            [
                {"gid": 1, "name": "Tab\tand 'quotes'", "plan": "enterprise",
                 "email_domains": ["a.example"], **times},
                {"gid": 2, "name": "Back\\slash", "plan": "business", "email_domains": [],
                 **times},
            ],
        )  # fmt: skip
        task = {"gid": 3, "workspace_gid": 1, "name": "t", "resource_subtype": "default_task"}
        bulk_insert(connection, tasks, [{**task, "due_on": date(2024, 2, 29), **times}])
        story = {"gid": 4, "task_gid": 3, "type": "comment", "resource_subtype": "comment_added"}
        bulk_insert(connection, stories, [{**story, "source": "web", "details": None, **times}])
        assert bulk_insert(connection, stories, []) == 0
        with pytest.raises(ValueError, match="no column"):
            bulk_insert(connection, tags, [{"gid": 5, "nmae": "x"}])
    with runtime.database.read() as connection:
        rows = connection.execute(select(workspaces).order_by(workspaces.c.gid)).all()
        stored = connection.execute(select(tasks)).one()
        null_details = select(func.count()).where(stories.c.details.is_(None))
        assert connection.execute(null_details).scalar_one() == 1  # SQL NULL, not JSON null
        if runtime.database.is_sqlite:
            raw = connection.exec_driver_sql("SELECT created_at, due_on FROM tasks").one()
            assert tuple(raw) == ("2024-05-01T12:00:00.123Z", "2024-02-29")
    assert [r.name for r in rows] == ["Tab\tand 'quotes'", "Back\\slash"]
    assert rows[0].email_domains == ["a.example"]
    assert rows[0].add_ons == []  # the column's Python-side default
    assert rows[0].is_organization is False  # its server default
    assert rows[0].created_at == moment
    assert (stored.due_on, stored.notes, stored.completed) == (date(2024, 2, 29), "", False)


def _cli(settings: Settings, *args: str) -> Any:
    base = ["--home", str(settings.home), "--database-url", settings.database_url]
    return CliRunner().invoke(app, [*base, "seed", *args])


def test_cli_prints_one_json_object(runtime: Runtime, settings: Settings) -> None:
    result = _cli(settings, "--seed", "11", "--users", "4", "--tasks", "15", "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert set(printed) >= {
        "organization", "service_account", "member", "other_organization", "counts",
    }  # fmt: skip
    assert set(printed["counts"]) >= {
        "users", "teams", "projects", "sections", "portfolios", "goals", "tags",
        "custom_fields", "tasks", "stories", "attachments", "messages",
    }  # fmt: skip
    assert printed["counts"]["tasks"] == 15
    assert printed["counts"]["users"] == 5
    assert isinstance(printed["organization"]["gid"], str)
    with runtime.database.read() as connection:
        token = printed["service_account"]["token"]
        found = user_for_token(connection, token, runtime.clock())
        name = connection.execute(
            select(workspaces.c.name).where(workspaces.c.gid == int(printed["organization"]["gid"]))
        ).scalar_one()
    assert found is not None
    assert str(found.gid) == printed["service_account"]["gid"]
    assert name == printed["organization"]["name"]
    again = _cli(settings, "--seed", "11", "--tasks", "15")
    assert again.exit_code == 1
    assert "seed 11 is already loaded in this store" in again.output


def test_cli_prints_a_summary_with_the_token(settings: Settings) -> None:
    result = _cli(settings, "--seed", "12", "--tasks", "5", "--messages", "2")
    assert result.exit_code == 0, result.output
    assert re.search(r"service account \d+: 2/\d+/\d+:[0-9a-f]{64}", result.stdout)
    assert "tasks 5" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tasks", "-1"], "tasks: must be zero or more, got -1"),
        (["--seed", "40001"], "seed: must be between 0 and 40000"),
        (["--seed", "-3"], "seed: must be between 0 and 40000"),
        (["--users", "0"], "users: an organization needs at least one"),
        (["--preset", "huge"], "preset: unknown preset 'huge'"),
    ],
)
def test_cli_refuses_bad_options_and_writes_nothing(
    runtime: Runtime, settings: Settings, args: list[str], message: str
) -> None:
    result = _cli(settings, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert set(_row_counts(runtime).values()) == {0}
