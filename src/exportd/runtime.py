"""The composition root: what every entry point (server, worker, CLI) wires once and shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from exportd.clock import Clock, system_clock
from exportd.gids import GidGenerator
from exportd.settings import Settings
from exportd.store import migrate
from exportd.store.database import Database


@dataclass
class Runtime:
    """Settings, the database, the clock and the gid source of one process."""

    settings: Settings
    database: Database
    clock: Clock = system_clock
    gids: GidGenerator = field(default_factory=GidGenerator)

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock = system_clock) -> Runtime:
        """Connect (lazily: the pool opens connections on first use) and build the gid source."""
        return cls(
            settings=settings,
            database=Database(settings.database_url),
            clock=clock,
            gids=GidGenerator(node=settings.node_id, clock=clock),
        )

    def migrate(self) -> None:
        """Apply pending migrations (done on start by `serve`, and by `exportd db upgrade`)."""
        migrate.upgrade(self.database)

    def close(self) -> None:
        self.database.dispose()
