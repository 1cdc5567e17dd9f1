"""`exportd token` and `exportd service-account`: who may call the API."""

from __future__ import annotations

from typing import Annotated

import typer

from exportd.cli.common import fail, open_runtime, print_json
from exportd.store import accounts, tokens

token_app = typer.Typer(help="Personal access tokens.", no_args_is_help=True)
service_account_app = typer.Typer(help="Service accounts of organizations.", no_args_is_help=True)

GidOption = Annotated[int, typer.Option(min=1, show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@token_app.command("create")
def create_token(
    ctx: typer.Context,
    user: Annotated[int, typer.Option("--user", min=1, help="Gid of the token's user.")],
    name: Annotated[str, typer.Option(help="A label to recognise the token by.")] = "cli token",
    as_json: JsonOption = False,
) -> None:
    """Create a personal access token; it is printed once and stored only as a hash."""
    with open_runtime(ctx) as runtime, runtime.database.write() as connection:
        accounts.require_user(connection, user)
        token = tokens.issue_token(
            connection,
            user_gid=user,
            token_gid=runtime.gids.next_int(),
            now=runtime.clock(),
            name=name,
        )
    print_json({"user": str(user), "token": token}) if as_json else typer.echo(token)


@token_app.command("revoke")
def revoke_token(
    ctx: typer.Context,
    token_gid: Annotated[int, typer.Argument(min=1, help="The token's gid (its middle part).")],
) -> None:
    """Revoke a token: requests with it get 401 from now on."""
    with open_runtime(ctx) as runtime, runtime.database.write() as connection:
        if not tokens.revoke_token(connection, token_gid, runtime.clock()):
            fail(f"no live token with gid {token_gid}")
    typer.echo(f"token {token_gid} revoked")


@service_account_app.command("create")
def create_service_account(
    ctx: typer.Context,
    organization: Annotated[int, typer.Option(min=1, help="Gid of the organization.")],
    name: Annotated[str, typer.Option(help="The service account's name.")],
    as_json: JsonOption = False,
) -> None:
    """Create a service account of an organization and print its token."""
    with open_runtime(ctx) as runtime, runtime.database.write() as connection:
        now = runtime.clock()
        user_gid = accounts.create_service_account(
            connection,
            organization_gid=organization,
            name=name,
            gids=runtime.gids.take(2),
            now=now,
        )
        token = tokens.issue_token(
            connection, user_gid=user_gid, token_gid=runtime.gids.next_int(), now=now, name=name
        )
    if as_json:
        print_json({"gid": str(user_gid), "token": token})
    else:
        typer.echo(f"service account {user_gid} created; its token (shown once):\n{token}")
