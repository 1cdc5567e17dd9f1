"""The generator without a database: sizes, deletions, gid ranges, text, chunking."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest

from exportd.datagen.context import Batch, Context, seed_gids
from exportd.datagen.directory import build_directory
from exportd.datagen.messages import message_batches
from exportd.datagen.prose import Prose, html, mention_html
from exportd.datagen.spec import DEMO, GIDS_PER_SEED, SEED_MAX, SeedSpec
from exportd.datagen.tasks import task_batches
from exportd.errors import InvalidRequest
from exportd.gids import created_at_of
from exportd.store.schema import messages, stories, tasks

SMALL = SeedSpec(seed=9, users=5, teams=2, projects=3, tasks=40, messages=10)


def _context(seed: int = 9) -> Context:
    return Context(random.Random(seed), seed_gids(seed))


def _rows(spec: SeedSpec, chunk: int | None = None) -> list[Batch]:
    ctx = _context(spec.seed)
    prose = Prose(ctx.rng)
    batch = Batch()
    directory = build_directory(
        ctx, prose, spec, batch, company=("Acme Inc.", "acme"), plan="enterprise", add_ons=[]
    )
    return [
        batch,
        *task_batches(ctx, prose, directory, spec, chunk),
        *message_batches(ctx, prose, directory, spec),
    ]


@pytest.mark.parametrize("live", [0, 1, 2, 29, 30, 31, 100])
def test_plan_keeps_exactly_the_live_count_and_deletes_a_few(live: int) -> None:
    flags = list(_context().plan("things", live))
    assert flags.count(False) == live
    deleted = flags.count(True)
    assert deleted == (0 if live == 0 else -(-live // 29))  # at least one, about 1 in 30


def test_every_seed_owns_its_own_gid_range_older_than_mid_2024() -> None:
    first = seed_gids(41).next_int()
    last_of_previous = seed_gids(40).next_int() + GIDS_PER_SEED - 1
    assert last_of_previous < first
    newest_possible = seed_gids(SEED_MAX).next_int() + GIDS_PER_SEED
    assert created_at_of(newest_possible) < datetime(2024, 8, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (SeedSpec(seed=-1), "seed: must be between 0 and 40000"),
        (SeedSpec(seed=SEED_MAX + 1), "seed: must be between 0 and 40000"),
        (SeedSpec(tasks=-5), "tasks: must be zero or more, got -5"),
        (SeedSpec(stories_per_task=-1), "stories_per_task: must be zero or more"),
        (SeedSpec(users=0), "users: an organization needs at least one"),
        (SeedSpec(tasks=10**9), "gids; one seed's range holds"),
    ],
)
def test_bad_specs_are_refused_with_the_reason(spec: SeedSpec, message: str) -> None:
    with pytest.raises(InvalidRequest, match=re.escape(message)):
        spec.validate()


def test_sizes_override_only_what_is_given() -> None:
    spec = DEMO.with_sizes(seed=3, tasks=7, users=None)
    assert (spec.seed, spec.tasks, spec.users) == (3, 7, DEMO.users)
    assert SeedSpec(seed=SEED_MAX, tasks=0).validate().seed == SEED_MAX


def test_html_is_the_escaped_text_in_a_body() -> None:
    assert html("a < b & c") == "<body>a &lt; b &amp; c</body>"
    linked = mention_html(7, "Ana <Kim>", "see this")
    assert linked.startswith('<body><a data-asana-gid="7" data-asana-type="user">')
    assert re.sub(r"<[^>]+>", "", linked) == "@Ana &lt;Kim&gt; see this"


def test_the_same_seed_makes_the_same_rows_and_another_seed_does_not() -> None:
    first, again = _rows(SMALL), _rows(SMALL)
    assert [dict(b.rows) for b in first] == [dict(b.rows) for b in again]
    other = _rows(SeedSpec(seed=10, users=5, teams=2, projects=3, tasks=40, messages=10))
    names = {row["name"] for row in first[1].rows[tasks]}
    assert names != {row["name"] for row in other[1].rows[tasks]}


def test_tasks_come_in_bounded_chunks_with_exactly_the_live_count() -> None:
    batches = _rows(SMALL, chunk=7)
    task_rows = [b.rows[tasks] for b in batches if tasks in b.rows]
    assert all(len(rows) <= 7 for rows in task_rows)
    assert len(task_rows) >= 6
    everything = [row for rows in task_rows for row in rows]
    assert sum(row["deleted_at"] is None for row in everything) == SMALL.tasks
    # A subtask's parent is an earlier task of the same chunk.
    for rows in task_rows:
        earlier: set[int] = set()
        for row in rows:
            assert row["parent_gid"] is None or row["parent_gid"] in earlier
            earlier.add(row["gid"])


def test_stories_tell_the_task_s_life() -> None:
    batches = _rows(SeedSpec(seed=4, users=6, tasks=300, stories_per_task=6))
    by_gid = {row["gid"]: row for b in batches for row in b.rows.get(tasks, ())}
    story_rows = [row for b in batches for row in b.rows.get(stories, ())]
    subtypes = {row["resource_subtype"] for row in story_rows}
    assert {"comment_added", "added_to_project", "assigned", "marked_complete"} <= subtypes
    assert "name_changed" in subtypes
    for story in story_rows:
        assert story["html_text"] is not None
        plain = re.sub(r"<[^>]+>", "", story["html_text"])
        assert plain == html(story["text"])[6:-7]
        task = by_gid.get(story["task_gid"])
        if task is None:
            continue
        assert story["created_at"] >= task["created_at"]
        if story["resource_subtype"] == "name_changed":
            assert story["details"]["new_name"] == task["name"]
            assert story["text"] == f'changed the name to "{task["name"]}"'
        if story["resource_subtype"] == "marked_complete":
            assert task["completed"]
            assert story["created_at"] == task["completed_at"]
    for task in by_gid.values():
        assert task["html_notes"] == html(task["notes"])
        assert task["created_at"] <= task["modified_at"]
        assert task["deleted_at"] is None or task["deleted_at"] > task["modified_at"]


def test_status_updates_have_one_parent_and_a_status_type() -> None:
    batches = _rows(SeedSpec(seed=2, messages=80))
    message_rows = [row for b in batches for row in b.rows.get(messages, ())]
    subtypes = {row["resource_subtype"] for row in message_rows}
    assert subtypes == {"default", "status_update"}
    for row in message_rows:
        assert (row["resource_subtype"] == "status_update") == (row["status_type"] is not None)
        assert row["html_text"] == html(row["text"])
