"""What every part of the generator shares: randomness, gids, time, deletions, rows.

Everything derives from the seed: the random stream, the gid range and the timeline. Nothing
reads the wall clock, so one seed always makes the same rows, to the millisecond.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table

from exportd.clock import FrozenClock
from exportd.datagen.spec import SEED_HOUR
from exportd.gids import EPOCH, GidGenerator

BASE = datetime(2023, 1, 2, 9, 0, tzinfo=UTC)
"""When every seeded organization begins; its activity spans the year after."""
YEAR_MS = 365 * 24 * 3600 * 1000
DAY_MS = 24 * 3600 * 1000
HOUR_MS = 3600 * 1000

DELETE_EVERY = 30
"""The first object of every kind, then every 30th, is soft-deleted: a few percent, and at
least one of each kind even in the smallest seed."""


def seed_gids(seed: int) -> GidGenerator:
    """The gid source of a seed: node 0, frozen at the start of the seed's own hour."""
    return GidGenerator(node=0, clock=FrozenClock(EPOCH + seed * SEED_HOUR))


class Batch:
    """Rows of several tables made together, written in foreign-key order."""

    def __init__(self) -> None:
        self.rows: defaultdict[Table, list[dict[str, Any]]] = defaultdict(list)

    def add(self, table: Table, **values: Any) -> None:
        self.rows[table].append(values)


class Context:
    """The random stream and gid source of a seeding, and one organization's deletions."""

    def __init__(self, rng: random.Random, gids: GidGenerator) -> None:
        self.rng = rng
        self.gids = gids
        self._made: defaultdict[str, int] = defaultdict(int)

    def gid(self) -> int:
        return self.gids.next_int()

    def deleted(self, kind: str) -> bool:
        """Whether the next object of `kind` is soft-deleted (see DELETE_EVERY)."""
        made = self._made[kind]
        self._made[kind] = made + 1
        return made % DELETE_EVERY == 0

    def plan(self, kind: str, live: int) -> Iterator[bool]:
        """Deletion flags of the objects to make so that exactly `live` of them stay live."""
        made = 0
        while made < live:
            deleted = self.deleted(kind)
            made += not deleted
            yield deleted

    def deleted_at(self, kind: str, after: datetime) -> datetime | None:
        """None for a live object; else when it was deleted, some time after `after`."""
        return self.later(after, 30 * DAY_MS) if self.deleted(kind) else None

    def moment(self) -> datetime:
        """A time within the organization's first year."""
        return BASE + timedelta(milliseconds=self.rng.randrange(YEAR_MS))

    def later(self, moment: datetime, within_ms: int) -> datetime:
        """A time after `moment`, by at least a second and at most `within_ms`."""
        return moment + timedelta(milliseconds=self.rng.randrange(1000, max(1001, within_ms)))
