"""Seeding: two synthetic organizations written into a store in one transaction.

The first is an Enterprise organization of the asked sizes, with a service account and a
member holding tokens; the second, small one is on the Business plan, so the rules that refuse
non-Enterprise exports have someone to refuse. Same seed, same rows (tokens aside: their
secrets are random, as a token must be).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain

from sqlalchemy import Connection, Table, select

from exportd.datagen.context import BASE, Batch, Context, seed_gids
from exportd.datagen.directory import Directory, build_directory
from exportd.datagen.graph import graph_context, structure_batch, time_batch
from exportd.datagen.messages import message_batches
from exportd.datagen.prose import Prose
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.datagen.tasks import task_batches
from exportd.errors import Conflict
from exportd.store import accounts, schema, tokens
from exportd.store.bulk import bulk_insert
from exportd.store.database import Database

OnProgress = Callable[[int, int], None]
"""Told (objects written, objects to write) as tasks and messages are written."""

COUNTED: dict[str, Table] = {
    "users": schema.users,
    "teams": schema.teams,
    "projects": schema.projects,
    "sections": schema.sections,
    "portfolios": schema.portfolios,
    "goals": schema.goals,
    "tags": schema.tags,
    "custom_fields": schema.custom_fields,
    "tasks": schema.tasks,
    "stories": schema.stories,
    "attachments": schema.attachments,
    "messages": schema.messages,
    "goal_relationships": schema.goal_relationships,
    "allocations": schema.allocations,
    "time_tracking_entries": schema.time_tracking_entries,
}
"""The kinds whose undeleted rows `SeedResult.counts` reports."""


class SeedAlreadyLoaded(Conflict):
    """The store already holds this seed: its gids are taken, and seeding adds nothing."""

    def __init__(self, seed: int, organization_gid: int) -> None:
        super().__init__(
            f"seed {seed} is already loaded in this store (organization {organization_gid})"
        )
        self.seed = seed
        self.organization_gid = organization_gid


@dataclass(frozen=True)
class _Seeded:
    directory: Directory
    service_account_gid: int
    counts: Counter[str]


def seed_organization(
    database: Database, spec: SeedSpec, *, progress: OnProgress | None = None
) -> SeedResult:
    """Write the organizations of `spec.seed` in one transaction: all of them, or nothing."""
    spec.validate()
    rng, gids = random.Random(spec.seed), seed_gids(spec.seed)
    prose, graph = Prose(rng), graph_context(spec.seed)
    with database.write() as connection:
        organization_gid = seed_gids(spec.seed).next_int()  # the first gid a seed draws
        if connection.execute(
            select(schema.workspaces.c.gid).where(schema.workspaces.c.gid == organization_gid)
        ).first():
            raise SeedAlreadyLoaded(spec.seed, organization_gid)
        company, other_company = prose.companies(2)
        main = _seed_one(
            connection, Context(rng, gids), graph, prose, spec, company=company,
            plan="enterprise", add_ons=["compliance_management"], progress=progress,
        )  # fmt: skip
        assert main.directory.workspace_gid == organization_gid
        other = _seed_one(
            connection, Context(rng, gids), graph, prose, _other_spec(spec), company=other_company,
            plan="business", add_ons=[], progress=None,
        )  # fmt: skip

        def token(user_gid: int, name: str) -> str:
            return tokens.issue_token(
                connection, user_gid=user_gid, token_gid=gids.next_int(), now=BASE, name=name
            )

        service_token = token(main.service_account_gid, "seeded service account")
        member_token = token(main.directory.member.gid, "seeded member")
        other_token = token(other.service_account_gid, "seeded service account")
    return SeedResult(
        seed=spec.seed,
        organization_gid=organization_gid,
        organization_name=main.directory.name,
        service_account_gid=main.service_account_gid,
        service_account_token=service_token,
        member_gid=main.directory.member.gid,
        member_token=member_token,
        other_organization_gid=other.directory.workspace_gid,
        other_organization_name=other.directory.name,
        other_service_account_gid=other.service_account_gid,
        other_service_account_token=other_token,
        counts={kind: main.counts[kind] for kind in COUNTED},
    )


def _other_spec(spec: SeedSpec) -> SeedSpec:
    """The second organization: a few people and a little of everything."""
    return SeedSpec(
        seed=spec.seed,
        users=3,
        teams=1,
        projects=1,
        tasks=min(spec.tasks, 10),
        stories_per_task=min(spec.stories_per_task, 2),
        attachments_per_task=min(spec.attachments_per_task, 1),
        messages=min(spec.messages, 3),
    )


def _seed_one(
    connection: Connection,
    ctx: Context,
    graph: Context,
    prose: Prose,
    spec: SeedSpec,
    *,
    company: tuple[str, str],
    plan: str,
    add_ons: list[str],
    progress: OnProgress | None,
) -> _Seeded:
    counts: Counter[str] = Counter()
    batch = Batch()
    directory = build_directory(
        ctx, prose, spec, batch, company=company, plan=plan, add_ons=add_ons
    )
    _write(connection, batch, counts)
    _write(connection, structure_batch(graph, directory), counts)
    service_account_gid = accounts.create_service_account(
        connection,
        organization_gid=directory.workspace_gid,
        name="Export Service Account",
        gids=ctx.gids.take(2),
        now=BASE,
    )
    counts["users"] += 1
    total = spec.tasks + spec.messages
    work = chain(
        task_batches(ctx, prose, directory, spec), message_batches(ctx, prose, directory, spec)
    )
    for batch in work:
        _write(connection, batch, counts)
        _write(connection, time_batch(graph, directory, batch), counts)
        if progress is not None:
            progress(counts["tasks"] + counts["messages"], total)
    return _Seeded(directory, service_account_gid, counts)


def _write(connection: Connection, batch: Batch, counts: Counter[str]) -> None:
    """Insert a batch, parents before children, and count its live rows."""
    for table in schema.metadata.sorted_tables:
        if rows := batch.rows.get(table):
            bulk_insert(connection, table, rows)
    for kind, table in COUNTED.items():
        counts[kind] += sum(row["deleted_at"] is None for row in batch.rows.get(table, ()))
