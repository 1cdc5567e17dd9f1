"""What one process shares, made once by the composition root (`compose.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from exportd.clock import Clock, system_clock
from exportd.gids import GidGenerator
from exportd.notices import JobNotices
from exportd.settings import Settings
from exportd.storage import Storage
from exportd.store import migrate
from exportd.store.database import Database


@dataclass
class Runtime:
    """Settings, the database, export storage, the clock, the gid source and the queue
    notice of one process. `compose.open_runtime()` builds it; it builds nothing itself."""

    settings: Settings
    database: Database
    storage: Storage
    clock: Clock = system_clock
    gids: GidGenerator = field(default_factory=GidGenerator)
    notices: JobNotices = field(default_factory=JobNotices)

    def migrate(self) -> None:
        """Apply pending migrations (done on start by `serve`, and by `exportd db upgrade`)."""
        migrate.upgrade(self.database)

    def close(self) -> None:
        self.database.dispose()
