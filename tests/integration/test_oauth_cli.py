"""`exportd app` and `exportd user set-password` on a real store."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from exportd.cli import app
from exportd.domain.oauth import AuthorizationRequest, ClientCredentials
from exportd.runtime import Runtime
from exportd.settings import Settings
from exportd.store import oauth, passwords, tokens
from exportd.store.schema import oauth_apps, users
from tests.integration.world import build_world


def run(settings: Settings, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app,
        ["--home", str(settings.home), "--database-url", settings.database_url, *args],
        input=stdin,
    )
    return result.exit_code, result.stdout, result.stderr


def test_an_app_is_created_with_a_secret_shown_once(settings: Settings, runtime: Runtime) -> None:
    code, out, _ = run(
        settings, "app", "create", "--name", "Backup Buddy",
        "--redirect-uri", "https://buddy.example/cb", "--redirect-uri", "http://localhost:8000/cb",
        "--json",
    )  # fmt: skip
    assert code == 0
    created = orjson.loads(out)
    assert set(created) == {"client_id", "client_secret"}
    with runtime.database.read() as connection:
        found = oauth.authenticate_app(
            connection, ClientCredentials(created["client_id"], created["client_secret"])
        )
        stored = connection.execute(select(oauth_apps.c.client_secret_hash)).scalar_one()
    assert found.name == "Backup Buddy"
    assert found.redirect_uris == ("https://buddy.example/cb", "http://localhost:8000/cb")
    assert created["client_secret"] not in stored
    assert stored == tokens.hash_token(created["client_secret"])

    code, out, _ = run(settings, "app", "list", "--json")
    assert code == 0
    [listed] = orjson.loads(out)
    assert listed["client_id"] == created["client_id"]
    assert listed["name"] == "Backup Buddy"
    assert listed["live_refresh_tokens"] == 0
    assert "client_secret" not in out

    code, out, _ = run(settings, "app", "list")
    assert f"{created['client_id']}  Backup Buddy" in out
    assert "https://buddy.example/cb" in out


def test_plain_output_names_the_client_id_and_secret(settings: Settings) -> None:
    code, out, _ = run(settings, "app", "create", "--name", "B", "--redirect-uri", "https://b.x/")
    assert code == 0
    assert "client_id:" in out
    assert "client_secret:" in out
    assert "(shown once)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "B"], "Missing option '--redirect-uri'"),
        (["--name", " ", "--redirect-uri", "https://b.x/"], "name: Missing input"),
        (["--name", "B", "--redirect-uri", "buddy.example/cb"], "must be an absolute http"),
        (["--name", "B", "--redirect-uri", "ftp://b.x/"], "must be an absolute http"),
        (["--name", "B", "--redirect-uri", "https://b.x/#frag"], "must not have a fragment"),
    ],
)
def test_a_bad_app_is_refused_and_nothing_is_registered(
    settings: Settings, runtime: Runtime, args: list[str], message: str
) -> None:
    code, out, err = run(settings, "app", "create", *args)
    assert code != 0
    assert message in err + out
    with runtime.database.read() as connection:
        assert oauth.list_apps(connection) == []


def test_deleting_an_app_revokes_its_tokens(settings: Settings, runtime: Runtime) -> None:
    world = build_world(runtime)
    code, out, _ = run(
        settings, "app", "create", "--name", "B", "--redirect-uri", "https://b.x/cb", "--json"
    )
    client_id = int(orjson.loads(out)["client_id"])
    now = runtime.clock()
    with runtime.database.write() as connection:
        request = AuthorizationRequest(client_id, "https://b.x/cb", None, "default", None)
        grant_code = oauth.create_grant(
            connection, gid=runtime.gids.next_int(), request=request, user_gid=world.member, now=now
        )
        found = oauth.find_app(connection, client_id)
        assert found is not None
        issued = oauth.redeem_code(
            connection, app=found, code=grant_code, redirect_uri="https://b.x/cb",
            code_verifier=None, now=now, gids=runtime.gids.next_int, access_ttl=3600,
        )  # fmt: skip
    code, out, _ = run(settings, "app", "delete", str(client_id))
    assert code == 0
    assert f"app {client_id} deleted; 1 access tokens revoked" in out
    with runtime.database.read() as connection:
        assert tokens.user_for_token(connection, issued.access_token, now) is None
        assert oauth.list_apps(connection) == []
    code, _, err = run(settings, "app", "delete", str(client_id))
    assert code == 1
    assert f"client_id: no app with client_id {client_id}" in err


def test_set_password_reads_standard_input_and_the_user_can_sign_in(
    settings: Settings, runtime: Runtime
) -> None:
    world = build_world(runtime)
    code, out, _ = run(settings, "user", "set-password", str(world.member), stdin="s3cret pass\n")
    assert code == 0
    assert f"password of user {world.member} set" in out
    with runtime.database.read() as connection:
        stored = connection.execute(
            select(users.c.password_hash).where(users.c.gid == world.member)
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert "s3cret" not in stored
    now = runtime.clock()
    signed_in = passwords.sign_in(runtime.database, "mel@x.example", "s3cret pass", "::1", now)
    assert signed_in == world.member
    wrong = passwords.sign_in(
        runtime.database, "mel@x.example", "s3cret pass\n", "::1", now + timedelta(seconds=1)
    )
    assert isinstance(wrong, passwords.Refused)


def test_set_password_asks_twice_on_a_terminal(
    settings: Settings, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(runtime)
    monkeypatch.setattr("exportd.cli.users._from_terminal", lambda: True)
    typed = "first try!\nfirst typo\nright one!\nright one!\n"
    code, out, _ = run(settings, "user", "set-password", str(world.member), stdin=typed)
    assert code == 0
    assert out.count("New password") == 2
    assert "do not match" in out
    now = runtime.clock()
    signed_in = passwords.sign_in(runtime.database, "mel@x.example", "right one!", "::1", now)
    assert signed_in == world.member


@pytest.mark.parametrize(
    ("who", "stdin", "message"),
    [
        ("member", "short\n", "password: must have at least 8 characters"),
        ("member", "", "password: Missing input"),
        ("gone", "long enough\n", "user: no user with gid"),
        ("service_account", "long enough\n", "is a service account; service accounts cannot"),
    ],
)
def test_set_password_refuses_what_cannot_sign_in(
    settings: Settings, runtime: Runtime, who: str, stdin: str, message: str
) -> None:
    world = build_world(runtime)
    if who == "service_account":
        _, out, _ = run(
            settings, "service-account", "create", "--organization", str(world.acme),
            "--name", "Robot", "--json",
        )  # fmt: skip
        gid = int(orjson.loads(out)["gid"])
    else:
        gid = getattr(world, who)
    code, _, err = run(settings, "user", "set-password", str(gid), stdin=stdin)
    assert code == 1
    assert message in err
    with runtime.database.read() as connection:
        stored = connection.execute(select(users.c.password_hash).where(users.c.gid == gid))
        assert stored.scalar_one() is None
