"""A small hand-built world for API tests: two organizations, their people and tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, insert

from exportd.runtime import Runtime
from exportd.store import tokens
from exportd.store.schema import users, workspace_memberships, workspaces


@dataclass(frozen=True)
class World:
    acme: int  # Enterprise organization
    globex: int  # another organization
    admin: int  # admin member of acme
    member: int  # ordinary member of acme and of globex
    outsider: int  # member of globex only
    gone: int  # deleted user of acme
    admin_token: str
    member_token: str
    outsider_token: str
    gone_token: str
    revoked_token: str
    expired_token: str


def build_world(runtime: Runtime) -> World:
    gid, now = runtime.gids.next_int, runtime.clock()
    stamp = {"created_at": now, "modified_at": now}

    def workspace(connection: Connection, name: str, plan: str) -> int:
        new = gid()
        connection.execute(
            insert(workspaces).values(
                gid=new,
                name=name,
                is_organization=True,
                plan=plan,
                email_domains=[f"{name.lower()}.example"],
                **stamp,
            )
        )
        return new

    def person(connection: Connection, name: str, *memberships: tuple[int, bool]) -> int:
        new = gid()
        connection.execute(
            insert(users).values(gid=new, name=name, email=f"{name.lower()}@x.example", **stamp)
        )
        for workspace_gid, is_admin in memberships:
            connection.execute(
                insert(workspace_memberships).values(
                    gid=gid(),
                    workspace_gid=workspace_gid,
                    user_gid=new,
                    is_admin=is_admin,
                    is_active=True,
                    **stamp,
                )
            )
        return new

    def token(connection: Connection, user: int, **extra: object) -> str:
        return tokens.issue_token(connection, user_gid=user, token_gid=gid(), now=now, **extra)  # type: ignore[arg-type]

    with runtime.database.write() as c:
        acme, globex = workspace(c, "Acme", "enterprise"), workspace(c, "Globex", "business")
        admin = person(c, "Ada", (acme, True))
        member = person(c, "Mel", (acme, False), (globex, False))
        outsider = person(c, "Otto", (globex, False))
        gone = person(c, "Gus", (acme, False))
        c.execute(users.update().where(users.c.gid == gone).values(deleted_at=now))
        revoked = token(c, member)
        tokens.revoke_token(c, int(revoked.split("/")[2].split(":")[0]), now)
        return World(
            acme=acme,
            globex=globex,
            admin=admin,
            member=member,
            outsider=outsider,
            gone=gone,
            admin_token=token(c, admin),
            member_token=token(c, member),
            outsider_token=token(c, outsider),
            gone_token=token(c, gone),
            revoked_token=revoked,
            expired_token=token(c, member, expires_at=now - timedelta(seconds=1)),
        )
