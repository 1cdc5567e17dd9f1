"""The columnar shapes follow the resource table, and `fields` cut columns as they cut objects."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import orjson
import polars as pl
import pytest

from exportd.domain.projection import FieldTree, parse_fields, project
from exportd.domain.resources import RESOURCES
from exportd.exports.frames import ndjson, project_frame, read_ahead
from exportd.exports.task_frames import task_fields


def test_a_task_has_exactly_the_fields_of_the_resource_table_in_its_order() -> None:
    assert tuple(task_fields("https://example.test")) == RESOURCES["task"].selectable


OBJECTS: list[dict[str, Any]] = [
    {
        "gid": "1",
        "resource_type": "task",
        "name": "One",
        "assignee": {"gid": "7", "resource_type": "user", "name": "Ann"},
        "parent": None,
        "stories": [
            {"gid": "3", "resource_type": "story", "text": "hi", "created_by": None},
            {"gid": "4", "resource_type": "story", "text": "ho",
             "created_by": {"gid": "7", "resource_type": "user", "name": "Ann"}},
        ],
    },
    {"gid": "2", "resource_type": "task", "name": "Two", "assignee": None,
     "parent": {"gid": "1", "resource_type": "task", "name": "One", "created_by": None},
     "stories": []},
]  # fmt: skip


@pytest.mark.parametrize(
    "fields",
    [
        ["name"],
        ["assignee.name", "name"],
        ["stories.text", "stories.created_by.name"],
        ["parent.created_by", "assignee.email", "stories"],
        ["gid", "resource_type"],
    ],
)
def test_fields_cut_a_column_exactly_as_they_cut_each_object(fields: list[str]) -> None:
    """Same bytes as `project` then orjson: order, gid first, nulls and absent fields."""
    tree: FieldTree = {"resource_type": {}}
    tree.update(parse_fields(fields, RESOURCES["task"], parameter="fields"))
    frame = pl.DataFrame(OBJECTS)
    expected = b"".join(orjson.dumps(project(obj, tree)) + b"\n" for obj in OBJECTS)
    assert ndjson(project_frame(frame, tree)) == expected


def test_reading_ahead_keeps_order_raises_errors_and_stops_with_its_reader() -> None:
    made: list[int] = []

    def numbers() -> Iterator[int]:
        for n in range(100):
            made.append(n)
            yield n

    assert list(read_ahead(numbers())) == list(range(100))

    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("the store went away")

    with pytest.raises(ValueError, match="the store went away"):
        list(read_ahead(failing()))

    made.clear()
    before = threading.active_count()
    for n in read_ahead(numbers()):
        if n == 3:
            break
    assert threading.active_count() == before  # the reading thread is gone
    assert len(made) <= 6  # it read at most a little ahead, not everything
