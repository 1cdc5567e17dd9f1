"""`exportd serve --demo`: a demo organization to try, and a token to try it with."""

from __future__ import annotations

import shlex

import typer

from exportd.datagen.seed import SeedAlreadyLoaded, seed_organization
from exportd.datagen.spec import SeedSpec
from exportd.runtime import Runtime
from exportd.store import directory, tokens


def announce_demo(runtime: Runtime) -> None:
    """Seed the demo organization unless the store has it; print a fresh token and a curl line.

    Tokens are stored only as hashes, so on a later start the demo's service account gets a
    new token rather than its first one again.
    """
    try:
        result = seed_organization(runtime.database, SeedSpec())
        name, organization, token = (
            result.organization_name,
            result.organization_gid,
            result.service_account_token,
        )
        typer.echo(f"Seeded the demo organization {name!r} (gid {organization}).")
    except SeedAlreadyLoaded as loaded:
        organization = loaded.organization_gid
        with runtime.database.write() as connection:
            service_account = directory.service_accounts_of(connection, organization)[0]
            token = tokens.issue_token(
                connection,
                user_gid=service_account,
                token_gid=runtime.gids.next_int(),
                now=runtime.clock(),
                name="demo token",
            )
        typer.echo(f"The demo organization (gid {organization}) is already in this store.")
    api = f"{runtime.settings.public_url.rstrip('/')}/api/1.0"
    header = shlex.quote(f"Authorization: Bearer {token}")
    typer.echo(f"Service-account token (shown once): {token}")
    typer.echo(f"Try:  curl -H {header} {api}/users/me")
    typer.echo(f"      curl -H {header} {api}/workspaces")
