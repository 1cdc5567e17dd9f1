"""`exportd serve`: the HTTP API."""

from __future__ import annotations

import typer


def serve(ctx: typer.Context) -> None:
    """Serve the API."""
    raise typer.Exit(2)
