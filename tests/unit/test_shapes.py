"""The shape functions on their own: derived fields, values, and what drops out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from exportd.domain.resources import RESOURCES
from exportd.exports import shapes, task_shapes
from exportd.exports.shapes import Obj


class FakeLookup:
    """Compact forms held in a dict, as `Compacts` holds them after a page's `load()`."""

    def __init__(self, known: dict[tuple[str, int], Obj]) -> None:
        self.known = known

    def get(self, kind: str, gid: int | None) -> Obj | None:
        return None if gid is None else self.known.get((kind, gid))

    def many(self, kind: str, gids: Iterable[int]) -> list[Obj]:
        return [obj for gid in gids if (obj := self.get(kind, gid)) is not None]


ADA = shapes.named("user", 1, "Ada")
BOB = shapes.named("user", 2, "Bob")
OPTIONS = [
    {"gid": "31", "resource_type": "enum_option", "name": "Red", "enabled": True, "color": None},
    {"gid": "32", "resource_type": "enum_option", "name": "Blue", "enabled": False, "color": None},
]


def field(kind: str, gid: int = 30) -> Obj:
    row = SimpleNamespace(gid=gid, name=kind.title(), resource_subtype=kind, enabled=True)
    return shapes.custom_field_compact(row, OPTIONS if "enum" in kind else [])


def value(**given: Any) -> Any:
    names = ("text_value", "number_value", "date_value", "enum_option_gid",
             "multi_enum_option_gids", "people_gids")  # fmt: skip
    return SimpleNamespace(**{name: given.get(name) for name in names})


REFS = FakeLookup(
    {
        ("user", 1): ADA,
        ("user", 2): BOB,
        (task_shapes.NUMBER_FORMAT, 30): {"precision": 1, "format": "percentage"},
    }
)


def test_a_value_fills_its_own_field_and_the_display_value() -> None:
    number = task_shapes.custom_field_value(field("number"), value(number_value=0.256), REFS)
    assert (number["number_value"], number["display_value"]) == (0.256, "25.6%")
    assert number["text_value"] is None
    assert list(number) == [*RESOURCES["custom_field"].compact, "people_value"]
    day = task_shapes.custom_field_value(field("date"), value(date_value=date(2024, 5, 1)), REFS)
    assert day["date_value"] == {"date": "2024-05-01", "date_time": None}
    assert day["display_value"] == "2024-05-01"
    empty = task_shapes.custom_field_value(field("text"), value(), REFS)
    assert (empty["text_value"], empty["display_value"], empty["people_value"]) == (None, None, [])


def test_enum_values_show_only_options_the_field_still_has() -> None:
    chosen = task_shapes.custom_field_value(field("enum"), value(enum_option_gid=32), REFS)
    assert chosen["enum_value"] == OPTIONS[1]
    assert chosen["display_value"] == "Blue"
    gone = task_shapes.custom_field_value(field("enum"), value(enum_option_gid=99), REFS)
    assert (gone["enum_value"], gone["display_value"]) == (None, None)
    many = task_shapes.custom_field_value(
        field("multi_enum"), value(multi_enum_option_gids=[32, 99, 31]), REFS
    )
    assert [o["name"] for o in many["multi_enum_values"]] == ["Blue", "Red"]
    assert many["display_value"] == "Blue, Red"


def test_people_values_skip_users_who_are_not_exported() -> None:
    people = task_shapes.custom_field_value(field("people"), value(people_gids=[2, 7, 1]), REFS)
    assert people["people_value"] == [BOB, ADA]
    assert people["display_value"] == "Bob, Ada"


def test_likes_of_users_who_are_not_exported_drop_out() -> None:
    assert shapes.likes([(10, 1), (11, 5), (12, 2)], REFS) == [
        {"gid": "10", "user": ADA},
        {"gid": "12", "user": BOB},
    ]


@pytest.mark.parametrize(
    ("parent_type", "resource_type", "subtype"),
    [
        ("project", "status_update", "project_status_update"),
        ("goal", "status_update", "goal_status_update"),
        ("team", "message", "status_update"),  # StatusUpdateResponse has no team parent
        (None, "message", "status_update"),
    ],
)
def test_a_status_update_is_a_status_update_unless_sent_to_a_team(
    parent_type: str | None, resource_type: str, subtype: str
) -> None:
    compact = task_shapes.message_compact(5, "status_update", "Weekly", parent_type)
    assert (compact["resource_type"], compact["resource_subtype"]) == (resource_type, subtype)
    assert list(compact) == list(RESOURCES[resource_type].compact)


def test_a_custom_field_setting_gid_is_stable_and_fits_a_gid() -> None:
    first = shapes.setting_gid(123, 456)
    assert first == shapes.setting_gid(123, 456)
    assert first != shapes.setting_gid(456, 123)
    assert 0 < int(first) < 2**62


TASK_ROW = SimpleNamespace(
    gid=100, name="Ship", resource_subtype="default_task", created_by_gid=9,
    approval_status=None, assignee_status=None, assigned_by_gid=None, completed=False,
    completed_at=None, completed_by_gid=None, created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    due_at=None, due_on=None, html_notes="<body></body>", modified_at=datetime(2024, 1, 3,
    tzinfo=UTC), notes="", start_at=None, start_on=None, assignee_gid=1, parent_gid=None,
    workspace_gid=7,
)  # fmt: skip


def test_a_task_computes_what_it_derives() -> None:
    links = task_shapes.TaskLinks(likes=[(50, 2), (51, 8)], followers=[8, 1], num_subtasks=3)
    task = task_shapes.task(TASK_ROW, links, REFS, "https://app.example")
    assert list(task) == list(RESOURCES["task"].full)
    assert task["likes"] == task["hearts"] == [{"gid": "50", "user": BOB}]
    assert (task["num_likes"], task["num_hearts"], task["liked"], task["hearted"]) == (
        1, 1, False, False,
    )  # fmt: skip
    assert task["followers"] == [ADA]
    assert task["created_by"] is None  # user 9 is not exported
    assert task["assignee"] == ADA
    assert task["num_subtasks"] == 3
    assert task["created_at"] == "2024-01-02T03:04:05.000Z"
    assert task["permalink_url"] == "https://app.example/1/7/task/100"
    assert task["workspace"] is None  # not in this lookup
