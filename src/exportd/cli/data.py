"""`exportd import` and `exportd dump`: JSON Lines in the export format, in and out."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from exportd.cli.common import open_runtime, print_json
from exportd.datagen.importer import import_jsonl
from exportd.exports.jsonl import write_file, write_pieces
from exportd.exports.organization import RESOURCE_TYPES, organization_chunks
from exportd.exports.shapes import DEFAULT_PERMALINK_BASE
from exportd.store.export_reads import arrow_snapshot


def import_file(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="JSON Lines, plain or gzip."
        ),
    ],
    organization: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Load into this existing organization instead of the file's workspace.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Load a JSON Lines file of exported objects: all of it, or nothing if a line is wrong."""
    with open_runtime(ctx) as runtime:
        counts = import_jsonl(
            runtime.database, file, now=runtime.clock(), organization_gid=organization
        )
    if as_json:
        print_json({"imported": _ordered(counts)})
    else:
        typer.echo(f"imported {sum(counts.values()):,} objects")
        _report(counts, err=False)


def dump(
    ctx: typer.Context,
    organization: Annotated[int, typer.Option(min=1, help="Gid of the organization.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            help="File to write (gzip when it ends in .gz); '-' or none: standard output.",
            show_default=False,
        ),
    ] = None,
    permalink_base: Annotated[
        str, typer.Option(help="Base of the objects' permalink_url.")
    ] = DEFAULT_PERMALINK_BASE,
) -> None:
    """Write an organization's objects as JSON Lines in the export format."""
    started = time.perf_counter()
    with open_runtime(ctx) as runtime, arrow_snapshot(runtime.database) as snap:
        pieces = organization_chunks(snap, organization, permalink_base=permalink_base)
        if output is None or str(output) == "-":
            stdout = typer.get_binary_stream("stdout")
            counts, _ = write_pieces(pieces, stdout, compress=False)
            stdout.flush()
        else:
            counts, _ = write_file(output, pieces)
    elapsed = time.perf_counter() - started
    total = sum(counts.values())
    typer.echo(
        f"dumped {total:,} objects in {elapsed:.1f} s ({total / max(elapsed, 1e-9):,.0f}/s)",
        err=True,
    )
    _report(counts, err=True)


def _ordered(counts: Counter[str]) -> dict[str, int]:
    return {kind: counts[kind] for kind in RESOURCE_TYPES if counts[kind]}


def _report(counts: Counter[str], *, err: bool) -> None:
    for kind, count in _ordered(counts).items():
        typer.echo(f"  {kind:<22}{count:>12,}", err=err)
