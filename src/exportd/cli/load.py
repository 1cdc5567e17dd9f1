"""`exportd load FILE --into DB.duckdb`: an export file, queryable with SQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from exportd.cli.common import fail, print_json
from exportd.client.load import LoadError, load_file
from exportd.client.progress import Reporter


def load(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="An organization, resource or graph export (.json.gz, .jsonl.gz, or plain).",
        ),
    ],
    into: Annotated[Path, typer.Option("--into", dir_okay=False, help="The DuckDB database file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Load an export into DuckDB: one table per resource type, lists as tables of their own.

    Loading again replaces what the previous load made.
    """
    started = time.monotonic()
    with Reporter() as reporter:
        try:
            loaded = load_file(file, into, on_step=reporter.step)
        except LoadError as error:
            reporter.stop()
            fail(error.message)
    seconds = round(time.monotonic() - started, 3)
    if as_json:
        print_json({"database": str(into), "tables": loaded.tables, "seconds": seconds})
        return
    total = sum(loaded.objects.values())
    typer.echo(f"loaded {total:,} objects into {into} in {seconds:.1f} s")
    for table, rows in loaded.tables.items():
        typer.echo(f"  {table:<34}{rows:>12,}")
