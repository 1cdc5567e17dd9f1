"""`exportd import` and `exportd dump`: JSON Lines in the export format, in and out."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from exportd.cli.common import open_runtime, print_json
from exportd.client.progress import Reporter
from exportd.datagen.importer import import_jsonl
from exportd.exports.jsonl import Piece, write_file, write_pieces
from exportd.exports.organization import RESOURCE_TYPES, organization_chunks
from exportd.exports.shapes import DEFAULT_PERMALINK_BASE
from exportd.store.export_progress import estimate_organization_objects
from exportd.store.export_reads import paired_snapshot


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
    with open_runtime(ctx) as runtime, Reporter() as reporter:

        def progress(done: int, total: int) -> None:
            reporter.transfer(f"importing {file.name}", done, total)

        counts = import_jsonl(
            runtime.database,
            file,
            now=runtime.clock(),
            organization_gid=organization,
            progress=progress,
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
    """Write an organization's objects as JSON Lines in the export format.

    Progress goes to standard error (a bar on a terminal), so `-o -` writes only the lines.
    """
    started = time.perf_counter()
    with (
        open_runtime(ctx) as runtime,
        paired_snapshot(runtime.database) as (connection, snap),
        Reporter() as reporter,
    ):
        expected = estimate_organization_objects(connection, organization)
        chunks = organization_chunks(snap, organization, permalink_base=permalink_base)
        pieces = _counted(chunks, lambda done: reporter.step("dumping", done, expected))
        if output is None or str(output) == "-":
            stdout = typer.get_binary_stream("stdout")
            counts, _ = write_pieces(pieces, stdout, compress=False)
            stdout.flush()
        else:
            counts, _ = write_file(output, pieces)
        if reporter.live:  # the estimate counts a few objects the file leaves out
            reporter.step("dumping", sum(counts.values()), sum(counts.values()))
    elapsed = time.perf_counter() - started
    total = sum(counts.values())
    typer.echo(
        f"dumped {total:,} objects in {elapsed:.1f} s ({total / max(elapsed, 1e-9):,.0f}/s)",
        err=True,
    )
    _report(counts, err=True)


def _counted(pieces: Iterable[Piece], on_lines: Callable[[int], None]) -> Iterator[Piece]:
    """`pieces`, telling `on_lines` how many lines went by so far."""
    done = 0
    on_lines(done)
    for piece in pieces:
        yield piece
        done += piece[2]
        on_lines(done)


def _ordered(counts: Counter[str]) -> dict[str, int]:
    return {kind: counts[kind] for kind in RESOURCE_TYPES if counts[kind]}


def _report(counts: Counter[str], *, err: bool) -> None:
    for kind, count in _ordered(counts).items():
        typer.echo(f"  {kind:<22}{count:>12,}", err=err)
