"""`exportd import` and `exportd dump`: JSON Lines in the export format, in and out."""

from __future__ import annotations

import typer


def import_file(ctx: typer.Context) -> None:
    """Load a JSON Lines file of exported objects into an organization."""
    raise typer.Exit(2)


def dump(ctx: typer.Context) -> None:
    """Write an organization's objects as JSON Lines in the export format."""
    raise typer.Exit(2)
