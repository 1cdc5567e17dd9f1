"""`exportd app`: register the OAuth apps that users may allow to act for them."""

from __future__ import annotations

from typing import Annotated

import typer

from exportd.cli.common import open_runtime, print_json
from exportd.clock import isoformat
from exportd.store import oauth

app = typer.Typer(help="OAuth apps (client_id and client_secret).", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command("create")
def create_app(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="The name users see on the consent page.")],
    redirect_uri: Annotated[
        list[str],
        typer.Option(
            "--redirect-uri",
            help="Where users are sent back with the code; exactly as the app will send it. "
            "Repeat for several.",
            show_default=False,
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Register an app; its client secret is printed once and stored only as a hash."""
    with open_runtime(ctx) as runtime, runtime.database.write() as connection:
        client_id = runtime.gids.next_int()
        secret = oauth.create_app(
            connection, gid=client_id, name=name, redirect_uris=redirect_uri, now=runtime.clock()
        )
    if as_json:
        print_json({"client_id": str(client_id), "client_secret": secret})
        return
    typer.echo(f"app {name.strip()!r} registered")
    typer.echo(f"client_id:     {client_id}")
    typer.echo(f"client_secret: {secret}  (shown once)")


@app.command("list")
def list_apps(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The registered apps, oldest first."""
    with open_runtime(ctx) as runtime, runtime.database.read() as connection:
        found = oauth.list_apps(connection)
        rows = [(each, oauth.live_refresh_tokens(connection, each.client_id)) for each in found]
    if as_json:
        print_json([_describe(each, grants) for each, grants in rows])
        return
    if not rows:
        typer.echo("no apps registered; add one with: exportd app create --name … --redirect-uri …")
    for each, grants in rows:
        typer.echo(f"{each.client_id}  {each.name}  ({grants} live refresh tokens)")
        for uri in each.redirect_uris:
            typer.echo(f"    {uri}")


def _describe(found: oauth.App, grants: int) -> dict[str, object]:
    return {
        "client_id": str(found.client_id),
        "name": found.name,
        "redirect_uris": list(found.redirect_uris),
        "created_at": isoformat(found.created_at),
        "live_refresh_tokens": grants,
    }


@app.command("delete")
def delete_app(
    ctx: typer.Context,
    client_id: Annotated[int, typer.Argument(min=1, help="The app's client_id.")],
) -> None:
    """Delete an app: its codes, refresh tokens and access tokens stop working at once."""
    with open_runtime(ctx) as runtime, runtime.database.write() as connection:
        revoked = oauth.delete_app(connection, client_id, runtime.clock())
    typer.echo(f"app {client_id} deleted; {revoked} access tokens revoked")
