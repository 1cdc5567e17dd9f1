"""`exportd seed`: deterministic synthetic organizations."""

from __future__ import annotations

from typing import Annotated

import typer

from exportd.cli.common import fail, open_runtime, print_json
from exportd.client.progress import Reporter
from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import PRESETS, SEED_MAX, SeedResult
from exportd.errors import InvalidRequest

Size = Annotated[int | None, typer.Option(show_default=False, help="Overrides the preset.")]


def seed(
    ctx: typer.Context,
    seed: Annotated[
        int,
        typer.Option(
            help=f"0 to {SEED_MAX}; the same seed and sizes make the same data. Each seed "
            "owns one hour of gids after 2020-01-01, so seeds never share gids, and the bound "
            "keeps seeded gids older than any a running exportd draws from the clock."
        ),
    ] = 0,
    preset: Annotated[str, typer.Option(help=f"Sizes to start from: {', '.join(PRESETS)}.")] = (
        "demo"
    ),
    users: Size = None,
    teams: Size = None,
    projects: Size = None,
    tasks: Size = None,
    stories_per_task: Size = None,
    attachments_per_task: Size = None,
    messages: Size = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create an Enterprise organization of the sizes asked, and a small Business one.

    One transaction: a failed seed leaves nothing behind. Tokens are shown only once.
    """
    if preset not in PRESETS:
        fail(f"preset: unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    spec = PRESETS[preset].with_sizes(
        seed=seed, users=users, teams=teams, projects=projects, tasks=tasks,
        stories_per_task=stories_per_task, attachments_per_task=attachments_per_task,
        messages=messages,
    )  # fmt: skip
    try:
        spec.validate()
    except InvalidRequest as error:
        fail(error.message)
    with open_runtime(ctx) as runtime, Reporter() as reporter:

        def progress(done: int, total: int) -> None:
            reporter.step("seeding tasks and messages", done, total)

        result = seed_organization(runtime.database, spec, progress=progress)
    if as_json:
        print_json(result.to_json())
    else:
        typer.echo(_summary(result))


def _summary(result: SeedResult) -> str:
    counts = ", ".join(f"{kind.replace('_', ' ')} {n:,}" for kind, n in result.counts.items())
    return "\n".join(
        [
            f'Seeded "{result.organization_name}" (organization {result.organization_gid}, '
            f"seed {result.seed}): {counts}.",
            "Tokens are shown once:",
            f"  service account {result.service_account_gid}: {result.service_account_token}",
            f"  member {result.member_gid}: {result.member_token}",
            f'  service account of "{result.other_organization_name}" (Business plan, '
            f"organization {result.other_organization_gid}): "
            f"{result.other_service_account_token}",
        ]
    )
