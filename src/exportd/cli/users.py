"""`exportd user`: let people sign in on the OAuth pages."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from exportd.cli.common import fail, open_runtime
from exportd.store import passwords

app = typer.Typer(help="Users who sign in to allow OAuth apps.", no_args_is_help=True)


@app.command("set-password")
def set_password(
    ctx: typer.Context,
    user_gid: Annotated[int, typer.Argument(min=1, help="The user's gid.", show_default=False)],
) -> None:
    """Set the password a user signs in with. Read from standard input when it is not a
    terminal (one line), else asked for twice. Service accounts cannot sign in."""
    if _from_terminal():
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        if not password:
            fail("password: Missing input (nothing on standard input)")
    with open_runtime(ctx) as runtime, runtime.database.write() as connection:
        passwords.set_password(connection, user_gid, password, runtime.clock())
    typer.echo(f"password of user {user_gid} set")


def _from_terminal() -> bool:
    return sys.stdin.isatty()
