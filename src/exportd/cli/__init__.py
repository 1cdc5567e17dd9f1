"""The `exportd` command line: one module per group of commands, wired here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from exportd import __version__
from exportd.cli import accounts, apps, data, db, export, load, seed, serve, users, worker
from exportd.cli.common import Overrides
from exportd.errors import ExportdError

app = typer.Typer(
    name="exportd",
    help="Bulk-export service for work-management data, speaking the Asana Exports API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("worker")(worker.worker)
app.command("seed")(seed.seed)
app.command("import")(data.import_file)
app.command("dump")(data.dump)
app.command("load")(load.load)
app.add_typer(export.app, name="export")
app.add_typer(db.app, name="db")
app.add_typer(accounts.token_app, name="token")
app.add_typer(accounts.service_account_app, name="service-account")
app.add_typer(apps.app, name="app")
app.add_typer(users.app, name="user")


def _print_version(asked: bool) -> None:
    """`exportd --version`: the version to pin, before any setting is read."""
    if asked:
        typer.echo(f"exportd {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    home: Annotated[
        Path | None, typer.Option(help="Data folder (env EXPORTD_HOME).", show_default=False)
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="Database URL (env EXPORTD_DATABASE_URL).", show_default=False),
    ] = None,
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print exportd's version and exit.",
            is_eager=True,
            callback=_print_version,
        ),
    ] = False,
) -> None:
    ctx.obj = Overrides(home=home, database_url=database_url)


def main() -> None:
    """The command line; errors it expects (settings, database, files) are one line."""
    try:
        app()
    except ExportdError as error:
        _exit(error.message)
    except OSError as error:  # a file or folder given, or one in the home
        if error.filename is None:
            _exit(" ".join(str(error).split()))
        _exit(f"{error.filename}: {error.strerror or error}")


def _exit(message: str) -> NoReturn:
    """`common.fail` for outside a command, where typer.Exit would not be caught."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    sys.exit(1)
