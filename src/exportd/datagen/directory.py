"""An organization's people and structure: users, teams, projects, portfolios, goals, tags,
custom fields and their memberships — everything tasks and messages then point at.

Relations point at live objects only; deleted objects keep the relations they were made with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from exportd.datagen import words
from exportd.datagen.context import BASE, DAY_MS, Batch, Context
from exportd.datagen.prose import Prose, html
from exportd.datagen.spec import SeedSpec
from exportd.domain import vocabulary as v
from exportd.store.schema import (
    custom_field_enum_options,
    custom_fields,
    goal_followers,
    goal_likes,
    goals,
    portfolio_items,
    portfolio_memberships,
    portfolios,
    project_custom_field_settings,
    project_followers,
    project_memberships,
    projects,
    sections,
    tags,
    team_memberships,
    teams,
    users,
    workspace_memberships,
    workspaces,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Person:
    gid: int
    name: str


@dataclass(frozen=True, slots=True)
class Field:
    """A live custom field, with its live enum options."""

    gid: int
    subtype: str
    format: str
    precision: int | None
    options: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Parent:
    """Something a message can be posted to."""

    gid: int
    name: str
    kind: str  # one of vocabulary.MESSAGE_PARENT_TYPES


@dataclass(slots=True)
class Project:
    gid: int
    name: str
    members: list[Person]
    sections: list[int]
    fields: list[Field]


@dataclass
class Directory:
    """The live objects of an organization that tasks and messages are made around."""

    workspace_gid: int
    name: str
    domain: str
    member: Person  # an ordinary member who is never deleted (the seed issues it a token)
    people: list[Person]  # live users, the member included, the service account not
    teams: list[Parent] = field(default_factory=list)
    team_members: dict[int, list[Person]] = field(default_factory=dict)
    fields: list[Field] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    portfolios: list[Parent] = field(default_factory=list)
    goals: list[Parent] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)


def build_directory(
    ctx: Context,
    prose: Prose,
    spec: SeedSpec,
    batch: Batch,
    *,
    company: tuple[str, str],
    plan: str,
    add_ons: list[str],
) -> Directory:
    """Add an organization's structure to `batch`; return its live objects."""
    name, domain_name = company
    domain = f"{domain_name}-{spec.seed}.example"
    gid = ctx.gid()
    batch.add(
        workspaces, gid=gid, name=name, is_organization=True, plan=plan, add_ons=add_ons,
        email_domains=[domain], created_at=BASE, modified_at=BASE, deleted_at=None,
    )  # fmt: skip
    builder = _Builder(ctx, prose, batch, gid, domain)
    member = builder.user(deleted=False, admin=False, guest=False)
    people = [member]
    for deleted in ctx.plan("users", spec.users - 1):
        rng = ctx.rng
        person = builder.user(deleted=deleted, admin=rng.random() < 0.05, guest=rng.random() < 0.04)
        if not deleted:
            people.append(person)
    directory = Directory(gid, name, domain, member, people)
    builder.teams(directory, spec.teams)
    builder.custom_fields(directory)
    builder.projects(directory, spec.projects)
    builder.portfolios(directory, max(1, spec.projects // 4))
    builder.goals(directory, max(2, spec.teams + spec.projects // 10))
    builder.tags(directory, max(5, min(4 * len(words.TAGS), spec.tasks // 200)))
    return directory


class _Builder:
    """Makes the rows of one organization's structure."""

    def __init__(self, ctx: Context, prose: Prose, batch: Batch, workspace: int, domain: str):
        self.ctx, self.rng, self.prose, self.batch = ctx, ctx.rng, prose, batch
        self.workspace = workspace
        self.domain = domain
        self.emails: set[str] = set()
        self.guests: set[int] = set()

    def _created(self, within_days: int) -> datetime:
        return self.ctx.later(BASE, within_days * DAY_MS)

    def _day(self, moment: datetime, low: int, high: int) -> date:
        return (moment + timedelta(days=self.rng.randint(low, high))).date()

    def _email(self, first: str, last: str, domain: str) -> str:
        local = f"{first}.{last}".lower().replace(" ", "")
        email, number = f"{local}@{domain}", 1
        while email in self.emails:
            number += 1
            email = f"{local}{number}@{domain}"
        self.emails.add(email)
        return email

    def user(self, *, deleted: bool, admin: bool, guest: bool) -> Person:
        rng, gid = self.rng, self.ctx.gid()
        first, last = self.prose.person()
        # Guests come from outside the organization's domain.
        domain = f"partners.{self.domain}" if guest else self.domain
        created = self._created(200)
        deleted_at = self.ctx.later(created, 90 * DAY_MS) if deleted else None
        photo = None
        if rng.random() < 0.7:
            photo = {
                f"image_{n}x{n}": f"https://profile-photos.example/{gid}/{n}x{n}.png"
                for n in (21, 27, 36, 60, 128)
            }
        self.batch.add(
            users, gid=gid, name=f"{first} {last}", email=self._email(first, last, domain),
            photo=photo, is_service_account=False, created_at=created, modified_at=created,
            deleted_at=deleted_at,
        )  # fmt: skip
        # A deleted user's membership goes with it.
        self.batch.add(
            workspace_memberships, gid=self.ctx.gid(), workspace_gid=self.workspace,
            user_gid=gid, is_admin=admin, is_guest=guest, is_active=not deleted,
            created_at=created, modified_at=deleted_at or created, deleted_at=deleted_at,
        )  # fmt: skip
        if guest:
            self.guests.add(gid)
        return Person(gid, f"{first} {last}")

    def _membership(
        self, table_kind: str, created: datetime, *, keep: bool = False
    ) -> tuple[datetime | None, datetime]:
        """A membership's deleted_at and modified_at; `keep` exempts it from deletion."""
        deleted_at = None if keep else self.ctx.deleted_at(table_kind, created)
        return deleted_at, deleted_at or created

    def teams(self, directory: Directory, count: int) -> None:
        rng = self.rng
        for index, deleted in enumerate(self.ctx.plan("teams", count)):
            gid, created = self.ctx.gid(), self._created(30)
            name = self.prose.team(index)
            description = self.prose.sentences(0, 2)
            deleted_at = self.ctx.later(created, 300 * DAY_MS) if deleted else None
            self.batch.add(
                teams, gid=gid, workspace_gid=self.workspace, name=name,
                description=description, html_description=html(description),
                visibility=rng.choice(v.TEAM_VISIBILITIES), created_at=created,
                modified_at=deleted_at or created, deleted_at=deleted_at,
            )  # fmt: skip
            if not deleted:
                directory.teams.append(Parent(gid, name, "team"))
                directory.team_members[gid] = []
        # Everyone joins one or two teams; the member always joins the first.
        for person in directory.people:
            chosen = rng.sample(directory.teams, min(len(directory.teams), rng.randint(1, 2)))
            if person is directory.member and directory.teams[0] not in chosen:
                chosen[0] = directory.teams[0]
            for team in chosen:
                created = self._created(200)
                keep = person is directory.member
                deleted_at, modified = self._membership("team_memberships", created, keep=keep)
                self.batch.add(
                    team_memberships, gid=self.ctx.gid(), team_gid=team.gid,
                    user_gid=person.gid, is_admin=rng.random() < 0.1,
                    is_guest=person.gid in self.guests, is_limited_access=rng.random() < 0.03,
                    created_at=created, modified_at=modified, deleted_at=deleted_at,
                )  # fmt: skip
                if deleted_at is None:
                    directory.team_members[team.gid].append(person)

    def custom_fields(self, directory: Directory) -> None:
        rng = self.rng
        for name, subtype, format_, precision, options in words.CUSTOM_FIELDS:
            gid, created = self.ctx.gid(), self._created(30)
            deleted_at = self.ctx.deleted_at("custom_fields", created)
            self.batch.add(
                custom_fields, gid=gid, workspace_gid=self.workspace,
                created_by_gid=rng.choice(directory.people).gid, name=name,
                resource_subtype=subtype, description=self.prose.sentences(0, 1),
                precision=precision, format=format_, enabled=True, created_at=created,
                modified_at=deleted_at or created, deleted_at=deleted_at,
            )  # fmt: skip
            live_options = []
            for position, option in enumerate(options):
                option_gid = self.ctx.gid()
                option_deleted = self.ctx.deleted_at("custom_field_enum_options", created)
                self.batch.add(
                    custom_field_enum_options, gid=option_gid, custom_field_gid=gid,
                    name=option, color=rng.choice(v.COLORS), enabled=True, position=position,
                    created_at=created, modified_at=option_deleted or created,
                    deleted_at=option_deleted,
                )  # fmt: skip
                if option_deleted is None:
                    live_options.append(option_gid)
            if deleted_at is None:
                directory.fields.append(Field(gid, subtype, format_, precision, (*live_options,)))

    def projects(self, directory: Directory, count: int) -> None:
        rng = self.rng
        for deleted in self.ctx.plan("projects", count):
            gid, created = self.ctx.gid(), self._created(120)
            team = rng.choice(directory.teams)
            candidates = directory.team_members[team.gid] or directory.people
            owner = rng.choice(candidates)
            name, notes = self.prose.project(), self.prose.sentences(0, 3)
            completed = rng.random() < 0.1
            completed_at = self.ctx.later(created, 200 * DAY_MS) if completed else None
            modified = completed_at or self.ctx.later(created, 100 * DAY_MS)
            deleted_at = self.ctx.later(modified, 60 * DAY_MS) if deleted else None
            due_on = self._day(created, 30, 240) if rng.random() < 0.6 else None
            self.batch.add(
                projects, gid=gid, workspace_gid=self.workspace, team_gid=team.gid,
                owner_gid=owner.gid, name=name, notes=notes, html_notes=html(notes),
                color=rng.choice(v.COLORS), archived=rng.random() < 0.05,
                privacy_setting=rng.choice(v.PROJECT_PRIVACY_SETTINGS),
                default_view=rng.choice(v.PROJECT_DEFAULT_VIEWS),
                default_access_level=rng.choice(v.PROJECT_ACCESS_LEVELS),
                start_on=created.date() if due_on else None, due_on=due_on,
                completed=completed, completed_at=completed_at,
                completed_by_gid=owner.gid if completed else None,
                created_at=created, modified_at=modified, deleted_at=deleted_at,
            )  # fmt: skip
            if deleted:
                continue
            project = Project(gid, name, [], [], [])
            self._project_members(project, owner, candidates, created)
            self._sections(project, created)
            for field_ in rng.sample(directory.fields, min(len(directory.fields), 3)):
                self.batch.add(
                    project_custom_field_settings, project_gid=gid,
                    custom_field_gid=field_.gid, is_important=rng.random() < 0.5,
                )  # fmt: skip
                project.fields.append(field_)
            directory.projects.append(project)

    def _project_members(
        self, project: Project, owner: Person, candidates: list[Person], created: datetime
    ) -> None:
        rng = self.rng
        others = [p for p in rng.sample(candidates, min(len(candidates), 8)) if p is not owner]
        for person in [owner, *others]:
            is_owner = person is owner
            deleted_at, modified = self._membership("project_memberships", created, keep=is_owner)
            level = "admin" if is_owner else rng.choice(("editor", "editor", "commenter", "viewer"))
            self.batch.add(
                project_memberships, gid=self.ctx.gid(), project_gid=project.gid,
                user_gid=person.gid, access_level=level, created_at=created,
                modified_at=modified, deleted_at=deleted_at,
            )  # fmt: skip
            if deleted_at is None:
                project.members.append(person)
        for person in rng.sample(project.members, min(len(project.members), 3)):
            self.batch.add(project_followers, project_gid=project.gid, user_gid=person.gid)

    def _sections(self, project: Project, created: datetime) -> None:
        for position, name in enumerate(self.rng.choice(words.SECTION_SETS)):
            gid = self.ctx.gid()
            deleted_at = self.ctx.deleted_at("sections", created)
            self.batch.add(
                sections, gid=gid, project_gid=project.gid, name=name, position=position,
                created_at=created, modified_at=deleted_at or created, deleted_at=deleted_at,
            )  # fmt: skip
            if deleted_at is None:
                project.sections.append(gid)

    def portfolios(self, directory: Directory, count: int) -> None:
        rng = self.rng
        for index, deleted in enumerate(self.ctx.plan("portfolios", count)):
            gid, created = self.ctx.gid(), self._created(60)
            owner = rng.choice(directory.people)
            name = self.prose.numbered(words.PORTFOLIOS, index)
            modified = self.ctx.later(created, 200 * DAY_MS)
            deleted_at = self.ctx.later(modified, 60 * DAY_MS) if deleted else None
            self.batch.add(
                portfolios, gid=gid, workspace_gid=self.workspace, owner_gid=owner.gid,
                created_by_gid=owner.gid, name=name, color=rng.choice(v.COLORS),
                archived=rng.random() < 0.05,
                privacy_setting=rng.choice(v.PORTFOLIO_PRIVACY_SETTINGS),
                default_access_level=rng.choice(v.PORTFOLIO_ACCESS_LEVELS),
                start_on=created.date(), due_on=self._day(created, 90, 365),
                created_at=created, modified_at=modified, deleted_at=deleted_at,
            )  # fmt: skip
            items: list[tuple[int | None, int | None]] = [
                (p.gid, None) for p in self._some(directory.projects, 1, 6)
            ]
            if directory.portfolios and rng.random() < 0.5:  # a portfolio of portfolios
                items.append((None, rng.choice(directory.portfolios).gid))
            for position, (project_gid, portfolio_gid) in enumerate(items):
                self.batch.add(
                    portfolio_items, portfolio_gid=gid, position=position,
                    project_gid=project_gid, item_portfolio_gid=portfolio_gid,
                )  # fmt: skip
            others = [p for p in self._some(directory.people, 1, 4) if p is not owner]
            for person in [owner, *others]:
                keep = person is owner
                deleted_m, modified_m = self._membership(
                    "portfolio_memberships", created, keep=keep
                )
                self.batch.add(
                    portfolio_memberships, gid=self.ctx.gid(), portfolio_gid=gid,
                    user_gid=person.gid, access_level="admin" if keep else "editor",
                    created_at=created, modified_at=modified_m, deleted_at=deleted_m,
                )  # fmt: skip
            if not deleted:
                directory.portfolios.append(Parent(gid, name, "portfolio"))

    def goals(self, directory: Directory, count: int) -> None:
        rng = self.rng
        for index, deleted in enumerate(self.ctx.plan("goals", count)):
            gid, created = self.ctx.gid(), self._created(60)
            workspace_level = index % 4 == 1  # a quarter of goals are the company's own
            team = None if workspace_level else rng.choice(directory.teams)
            owner = rng.choice(directory.people)
            name, notes = self.prose.numbered(words.GOALS, index), self.prose.sentences(0, 2)
            modified = self.ctx.later(created, 200 * DAY_MS)
            deleted_at = self.ctx.later(modified, 60 * DAY_MS) if deleted else None
            self.batch.add(
                goals, gid=gid, workspace_gid=self.workspace,
                team_gid=team.gid if team else None, owner_gid=owner.gid, name=name,
                notes=notes, html_notes=html(notes), start_on=created.date(),
                due_on=self._day(created, 90, 365),
                status=rng.choice((None, *v.GOAL_STATUSES)),
                is_workspace_level=workspace_level,
                privacy_setting=rng.choice(v.GOAL_PRIVACY_SETTINGS),
                created_at=created, modified_at=modified, deleted_at=deleted_at,
            )  # fmt: skip
            for person in self._some(directory.people, 1, 3):
                self.batch.add(goal_followers, goal_gid=gid, user_gid=person.gid)
            for person in self._some(directory.people, 0, 2):
                self.batch.add(
                    goal_likes, gid=self.ctx.gid(), goal_gid=gid, user_gid=person.gid,
                    created_at=self.ctx.later(created, 30 * DAY_MS),
                )  # fmt: skip
            if not deleted:
                directory.goals.append(Parent(gid, name, "goal"))

    def tags(self, directory: Directory, count: int) -> None:
        for index, deleted in enumerate(self.ctx.plan("tags", count)):
            gid, created = self.ctx.gid(), self._created(300)
            deleted_at = self.ctx.later(created, 60 * DAY_MS) if deleted else None
            self.batch.add(
                tags, gid=gid, workspace_gid=self.workspace,
                name=self.prose.numbered(words.TAGS, index), color=self.rng.choice(v.COLORS),
                notes="", created_at=created, modified_at=deleted_at or created,
                deleted_at=deleted_at,
            )  # fmt: skip
            if not deleted:
                directory.tags.append(gid)

    def _some(self, items: list[T], low: int, high: int) -> list[T]:
        """Between `low` and `high` distinct items (fewer when there are fewer)."""
        return self.rng.sample(items, min(len(items), self.rng.randint(low, high)))
