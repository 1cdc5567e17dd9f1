"""Gids: unique, increasing, numeric strings that fit a signed BIGINT."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from exportd.clock import FrozenClock
from exportd.gids import MAX_NODE, GidGenerator, created_at_of


def test_gids_are_numeric_strings_that_fit_a_bigint() -> None:
    gid = GidGenerator()()
    assert gid.isdigit()
    assert 0 < int(gid) < 2**63


def test_a_burst_within_one_millisecond_stays_unique_and_increasing() -> None:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    generator = GidGenerator(node=7, clock=clock)
    gids = generator.take(10_000)  # ten times the per-millisecond sequence
    assert gids == sorted(set(gids))


def test_gids_never_go_back_when_the_clock_does() -> None:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    generator = GidGenerator(node=1, clock=clock)
    first = generator.next_int()
    clock.advance(timedelta(seconds=-5))
    assert generator.next_int() > first


def test_threads_share_one_generator_safely() -> None:
    generator = GidGenerator(node=3)
    results: list[list[int]] = [[] for _ in range(4)]

    def draw(into: list[int]) -> None:
        into.extend(generator.next_int() for _ in range(5_000))

    threads = [threading.Thread(target=draw, args=(r,)) for r in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [gid for r in results for gid in r]
    assert len(set(every)) == len(every)


def test_different_nodes_never_collide_at_the_same_instant() -> None:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    a = GidGenerator(node=1, clock=clock).take(3000)
    b = GidGenerator(node=2, clock=clock).take(3000)
    assert not set(a) & set(b)


def test_the_same_node_and_clock_give_the_same_gids() -> None:
    start = datetime(2021, 1, 1, tzinfo=UTC)
    assert GidGenerator(0, FrozenClock(start)).take(5) == GidGenerator(0, FrozenClock(start)).take(
        5
    )


def test_a_gid_tells_when_it_was_made() -> None:
    moment = datetime(2026, 11, 25, 12, 0, 0, 123000, tzinfo=UTC)
    assert created_at_of(GidGenerator(clock=FrozenClock(moment)).next_int()) == moment


@pytest.mark.parametrize("node", [-1, MAX_NODE + 1])
def test_node_numbers_out_of_range_are_refused(node: int) -> None:
    with pytest.raises(ValueError, match="node must be between 0 and 4095"):
        GidGenerator(node=node)
