"""`exportd db`: schema migrations."""

from __future__ import annotations

import typer

from exportd.cli.common import open_runtime
from exportd.store import migrate

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Apply every pending migration (serve does this on start too)."""
    with open_runtime(ctx, migrate=False) as runtime:
        runtime.migrate()
        typer.echo(f"database at revision {migrate.current_revision(runtime.database)}")


@app.command()
def current(ctx: typer.Context) -> None:
    """Print the database's revision and whether it is the newest."""
    with open_runtime(ctx, migrate=False) as runtime:
        revision = migrate.current_revision(runtime.database)
        state = "newest" if migrate.is_current(runtime.database) else "pending migrations"
        typer.echo(f"{revision or 'empty'} ({state})")
