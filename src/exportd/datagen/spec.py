"""What a seed is asked to make (`SeedSpec`) and what it made (`SeedResult`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from exportd.errors import InvalidRequest
from exportd.gids import SEQUENCE_BITS

SEED_MAX = 40_000
"""Each seed draws its gids from its own hour after the gid epoch (2020-01-01), so seeds never
share a gid. 40,000 hours end in July 2024: every seeded gid stays older than any gid a running
exportd draws from the wall clock, so seeded and live objects never collide either."""

SEED_HOUR = timedelta(hours=1)
GIDS_PER_SEED = 3_600_000 << SEQUENCE_BITS  # one hour of milliseconds, 1,024 gids each


@dataclass(frozen=True)
class SeedSpec:
    """Sizes of a seeded Enterprise organization: how many live objects of each kind.

    On top of these, a few percent more objects of every kind are made soft-deleted.
    """

    seed: int = 0
    users: int = 8
    teams: int = 3
    projects: int = 4
    tasks: int = 200
    stories_per_task: int = 3
    attachments_per_task: int = 1
    messages: int = 20

    def validate(self) -> SeedSpec:
        """Return self, or raise InvalidRequest naming the first bad size."""
        if not 0 <= self.seed <= SEED_MAX:
            raise InvalidRequest(
                f"seed: must be between 0 and {SEED_MAX} (each seed owns one hour of gids "
                "after 2020-01-01, and seeded gids must stay older than live ones), "
                f"got {self.seed}"
            )
        for field in dataclasses.fields(self):
            if getattr(self, field.name) < 0:
                raise InvalidRequest(
                    f"{field.name}: must be zero or more, got {getattr(self, field.name)}"
                )
        for name in ("users", "teams"):
            if getattr(self, name) < 1:
                raise InvalidRequest(f"{name}: an organization needs at least one")
        if self.gid_estimate() > GIDS_PER_SEED:
            raise InvalidRequest(
                f"these sizes need up to {self.gid_estimate():,} gids; "
                f"one seed's range holds {GIDS_PER_SEED:,}"
            )
        return self

    def with_sizes(self, **sizes: int | None) -> SeedSpec:
        """A copy with the sizes that are given (not None) replaced."""
        return dataclasses.replace(self, **{k: v for k, v in sizes.items() if v is not None})

    def gid_estimate(self) -> int:
        """An upper bound of the gids a seed of these sizes draws (both organizations)."""
        per_task = 4 + 6 * self.stories_per_task + 2 * self.attachments_per_task
        per_message = 20
        per_user, per_team, per_project = 12, 30, 80
        live = (
            self.tasks * per_task
            + self.messages * per_message
            + self.users * per_user
            + self.teams * per_team
            + self.projects * per_project
        )
        return live * 11 // 10 + 100_000  # deleted extras; the small second organization


DEMO = SeedSpec()
"""A small organization for trying the server: a handful of users, ~200 tasks."""

BENCH = SeedSpec(
    users=500,
    teams=25,
    projects=200,
    tasks=100_000,
    stories_per_task=5,
    attachments_per_task=1,
    messages=2_000,
)
"""The seeding benchmark's organization (docs/benchmarks.md): 100,000 tasks, 5 stories each."""

PRESETS: Mapping[str, SeedSpec] = {"demo": DEMO, "bench": BENCH}


@dataclass(frozen=True)
class SeedResult:
    """What a seeding made: both organizations, their tokens (shown once) and live counts.

    `counts` are the enterprise organization's undeleted objects of each kind.
    """

    seed: int
    organization_gid: int
    organization_name: str
    service_account_gid: int
    service_account_token: str
    member_gid: int
    member_token: str
    other_organization_gid: int
    other_organization_name: str
    other_service_account_gid: int
    other_service_account_token: str
    counts: Mapping[str, int]

    def to_json(self) -> dict[str, Any]:
        """The `exportd seed --json` object (gids as strings, as the API shows them)."""
        return {
            "seed": self.seed,
            "organization": {"gid": str(self.organization_gid), "name": self.organization_name},
            "service_account": {
                "gid": str(self.service_account_gid),
                "token": self.service_account_token,
            },
            "member": {"gid": str(self.member_gid), "token": self.member_token},
            "other_organization": {
                "gid": str(self.other_organization_gid),
                "name": self.other_organization_name,
                "service_account_gid": str(self.other_service_account_gid),
                "service_account_token": self.other_service_account_token,
            },
            "counts": dict(self.counts),
        }
