"""Globally unique ids: numeric strings like Asana's, made without a shared counter.

A gid is a 63-bit integer laid out like a Snowflake id, so it fits a signed BIGINT and sorts
by creation time:

    | 41 bits: milliseconds since 2020-01-01 | 12 bits: node | 10 bits: sequence |

Each process draws a random node number at start (or takes `EXPORTD_NODE_ID`), so processes
on several machines create ids independently. Within a process ids strictly increase: when
1,024 ids are drawn in one millisecond the generator borrows the next millisecond, which
keeps bulk writers fast without ever repeating an id. Two processes collide only if they drew
the same node number *and* work in the same milliseconds; the database's primary keys turn
that unlikely case into a refused write, never a silent overwrite. Fleets that want a
guarantee give each process its own `EXPORTD_NODE_ID`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
NODE_BITS = 12
SEQUENCE_BITS = 10
MAX_NODE = (1 << NODE_BITS) - 1
_SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1


def _epoch_millis(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds() * 1000)


class GidGenerator:
    """Thread-safe, strictly increasing gid source for one process (or one seeded dataset)."""

    def __init__(self, node: int | None = None, clock: Callable[[], datetime] | None = None):
        if node is None:
            node = secrets.randbelow(MAX_NODE + 1)
        if not 0 <= node <= MAX_NODE:
            raise ValueError(f"node must be between 0 and {MAX_NODE}, got {node}")
        self._node_bits = node << SEQUENCE_BITS
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._last = 0  # last id handed out, without the node bits

    def next_int(self) -> int:
        """Return a new gid as an integer (what the database stores)."""
        with self._lock:
            candidate = _epoch_millis(self._clock()) << SEQUENCE_BITS
            # Strictly increasing: never go back, borrow the next millisecond on overflow.
            self._last = max(candidate, self._last + 1)
            millis, sequence = self._last >> SEQUENCE_BITS, self._last & _SEQUENCE_MASK
            return (millis << (NODE_BITS + SEQUENCE_BITS)) | self._node_bits | sequence

    def take(self, count: int) -> list[int]:
        """Return `count` new gids at once (for bulk writers)."""
        return [self.next_int() for _ in range(count)]

    def __call__(self) -> str:
        """Return a new gid as the numeric string the API shows."""
        return str(self.next_int())


def created_at_of(gid: int) -> datetime:
    """The moment a gid was made (useful when debugging data)."""
    millis = gid >> (NODE_BITS + SEQUENCE_BITS)
    return datetime.fromtimestamp(EPOCH.timestamp() + millis / 1000, UTC)
