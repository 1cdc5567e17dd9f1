"""`exportd seed`: deterministic synthetic organizations."""

from __future__ import annotations

import typer


def seed(ctx: typer.Context) -> None:
    """Create a deterministic synthetic organization."""
    raise typer.Exit(2)
