"""`exportd token` and `exportd service-account` on a real store."""

from __future__ import annotations

import orjson
from sqlalchemy import select, update
from typer.testing import CliRunner

from exportd.cli import app
from exportd.runtime import Runtime
from exportd.settings import Settings
from exportd.store import tokens
from exportd.store.schema import access_tokens, users, workspaces
from tests.integration.world import build_world


def run(settings: Settings, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["--home", str(settings.home), "--database-url", settings.database_url, *args]
    )
    return result.exit_code, result.stdout, result.stderr


def test_service_account_is_created_with_a_working_token(
    settings: Settings, runtime: Runtime
) -> None:
    world = build_world(runtime)
    code, out, _ = run(
        settings, "service-account", "create", "--organization", str(world.acme),
        "--name", "Backups", "--json",
    )  # fmt: skip
    assert code == 0
    created = orjson.loads(out)
    with runtime.database.read() as connection:
        found = tokens.user_for_token(connection, created["token"], runtime.clock())
        user = connection.execute(select(users).where(users.c.gid == int(created["gid"]))).one()
        stored = connection.execute(select(access_tokens.c.token_hash)).scalars().all()
    assert found is not None
    assert str(found.gid) == created["gid"]
    assert user.is_service_account
    assert user.name == "Backups"
    assert created["token"] not in stored  # only its hash is kept
    assert tokens.hash_token(created["token"]) in stored


def test_service_accounts_need_an_organization(settings: Settings, runtime: Runtime) -> None:
    world = build_world(runtime)
    with runtime.database.write() as connection:
        connection.execute(
            update(workspaces).where(workspaces.c.gid == world.globex).values(is_organization=False)
        )
    code, _, err = run(
        settings, "service-account", "create", "--organization", str(world.globex), "--name", "B"
    )
    assert code == 1
    assert "is a personal workspace" in err
    code, _, err = run(settings, "service-account", "create", "--organization", "42", "--name", "B")
    assert code == 1
    assert "organization: no organization with gid 42" in err


def test_tokens_are_created_for_live_users_and_can_be_revoked(
    settings: Settings, runtime: Runtime
) -> None:
    world = build_world(runtime)
    code, out, _ = run(settings, "token", "create", "--user", str(world.admin))
    assert code == 0
    token = out.strip()
    with runtime.database.read() as connection:
        assert tokens.user_for_token(connection, token, runtime.clock()) is not None

    token_gid = token.split("/")[2].split(":")[0]
    assert run(settings, "token", "revoke", token_gid)[0] == 0
    with runtime.database.read() as connection:
        assert tokens.user_for_token(connection, token, runtime.clock()) is None
    code, _, err = run(settings, "token", "revoke", token_gid)
    assert code == 1
    assert f"no live token with gid {token_gid}" in err


def test_no_token_for_a_missing_or_deleted_user(settings: Settings, runtime: Runtime) -> None:
    world = build_world(runtime)
    for user in ("42", str(world.gone)):
        code, _, err = run(settings, "token", "create", "--user", user)
        assert code == 1
        assert f"user: no user with gid {user}" in err
