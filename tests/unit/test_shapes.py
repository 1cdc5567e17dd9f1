"""The shape functions on their own: derived fields, values, and what drops out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl
import pytest

from exportd.domain.projection import FieldTree
from exportd.domain.resources import RESOURCES
from exportd.exports import shapes, task_shapes
from exportd.exports.shapes import Obj
from exportd.exports.task_frames import BatchRows, Lookups, custom_field_values, shape_tasks


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
REFS = FakeLookup({("user", 1): ADA, ("user", 2): BOB})
KINDS = {30: "number", 33: "date", 34: "text", 35: "enum", 36: "multi_enum", 37: "people"}


def lookups() -> Lookups:
    """Users 1 and 2, and a custom field of each type (30: a percentage, precision 1)."""
    named = {"gid": pl.Int64, "name": pl.String}
    options = pl.DataFrame(
        [(field, int(str(o["gid"])), o["name"], o["enabled"], o["color"])
         for field in (35, 36) for o in OPTIONS],
        schema={"custom_field_gid": pl.Int64, "gid": pl.Int64, "name": pl.String,
                "enabled": pl.Boolean, "color": pl.String}, orient="row",
    )  # fmt: skip
    fields = pl.DataFrame(
        [(gid, kind.title(), kind, True, 1 if gid == 30 else None,
          "percentage" if gid == 30 else "none") for gid, kind in KINDS.items()],
        schema={"gid": pl.Int64, "name": pl.String, "resource_subtype": pl.String,
                "enabled": pl.Boolean, "precision": pl.Int64, "format": pl.String},
        orient="row",
    )  # fmt: skip
    empty = pl.DataFrame(schema=named)
    return Lookups.of(
        organization=pl.DataFrame({"gid": [7], "name": ["Org"]}, schema=named),
        members=pl.DataFrame({"gid": [1, 2], "name": ["Ada", "Bob"]}, schema=named),
        projects=empty, sections=empty, tags=empty, fields=fields, options=options,
    )  # fmt: skip


VALUE_COLUMNS = {
    "owner": pl.Int64, "custom_field_gid": pl.Int64, "text_value": pl.String,
    "number_value": pl.Float64, "date_value": pl.String, "enum_option_gid": pl.Int64,
    "multi_enum_option_gids": pl.String, "people_gids": pl.String,
}  # fmt: skip


def values(**given: Any) -> list[Obj]:
    """The custom field values of one task, one per field gid given, as exported."""
    schema = VALUE_COLUMNS
    rows = [{"owner": 100, "custom_field_gid": int(gid), **value} for gid, value in given.items()]
    frame = pl.DataFrame(rows, schema=schema)
    shown = custom_field_values(frame, lookups()).to_dicts()
    return list(shown[0]["custom_fields"]) if shown else []


def test_a_value_fills_its_own_field_and_the_display_value() -> None:
    number, day, empty = values(
        **{"30": {"number_value": 0.256}, "33": {"date_value": "2024-05-01"}, "34": {}}
    )
    assert (number["number_value"], number["display_value"]) == (0.256, "25.6%")
    assert number["text_value"] is None
    assert list(number) == [*RESOURCES["custom_field"].compact, "people_value"]
    assert day["date_value"] == {"date": "2024-05-01", "date_time": None}
    assert day["display_value"] == "2024-05-01"
    assert (empty["text_value"], empty["display_value"], empty["people_value"]) == (None, None, [])


def test_enum_values_show_only_options_the_field_still_has() -> None:
    (chosen,) = values(**{"35": {"enum_option_gid": 32}})
    assert chosen["enum_value"] == OPTIONS[1]
    assert chosen["display_value"] == "Blue"
    (gone,) = values(**{"35": {"enum_option_gid": 99}})
    assert (gone["enum_value"], gone["display_value"]) == (None, None)
    (many,) = values(**{"36": {"multi_enum_option_gids": "[32, 99, 31]"}})
    assert [o["name"] for o in many["multi_enum_values"]] == ["Blue", "Red"]
    assert many["display_value"] == "Blue, Red"
    (strings,) = values(**{"36": {"multi_enum_option_gids": '["31"]'}})
    assert strings["display_value"] == "Red"


def test_people_values_skip_users_who_are_not_exported() -> None:
    (people,) = values(**{"37": {"people_gids": "[2, 7, 1]"}})
    assert people["people_value"] == [BOB, ADA]
    assert people["display_value"] == "Bob, Ada"
    (nobody,) = values(**{"37": {"people_gids": "[7]"}})
    assert (nobody["people_value"], nobody["display_value"]) == ([], None)


def test_a_value_of_a_field_that_is_not_exported_drops_out() -> None:
    assert values(**{"99": {"text_value": "x"}}) == []


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


TASK_ROW = {
    "gid": 100, "name": "Ship", "resource_subtype": "default_task", "created_by_gid": 9,
    "approval_status": None, "assignee_status": None, "assigned_by_gid": None,
    "completed": False, "completed_at": None, "completed_by_gid": None,
    "created_at": "2024-01-02T03:04:05.000Z", "due_at": None, "due_on": None,
    "html_notes": "<body></body>", "modified_at": "2024-01-03T00:00:00.000Z", "notes": "",
    "start_at": None, "start_on": None, "assignee_gid": 1, "parent_gid": None,
    "workspace_gid": 7,
}  # fmt: skip


def test_a_task_computes_what_it_derives() -> None:
    gid_pairs = {"owner": pl.Int64, "other": pl.Int64}
    relations = {
        "likes": pl.DataFrame({"owner": [100, 100], "gid": [50, 51], "user_gid": [2, 8]}),
        "followers": pl.DataFrame({"owner": [100, 100], "other": [1, 8]}, schema=gid_pairs),
        "num_subtasks": pl.DataFrame({"owner": [100], "count": [3]}),
        "memberships": pl.DataFrame(
            schema={"owner": pl.Int64, "project_gid": pl.Int64, "section_gid": pl.Int64}
        ),
        "values": pl.DataFrame(schema=VALUE_COLUMNS),
        **{name: pl.DataFrame(schema=gid_pairs) for name in ("tags", "dependencies", "dependents")},
    }
    tasks = pl.DataFrame([TASK_ROW], infer_schema_length=None).with_columns(
        pl.col(name).cast(pl.String) for name in ("approval_status", "assignee_status",
        "completed_at", "due_at", "due_on", "start_at", "start_on")
    ).with_columns(pl.col(name).cast(pl.Int64) for name in ("assigned_by_gid",
                   "completed_by_gid", "parent_gid"))  # fmt: skip
    tree: FieldTree = {name: {} for name in RESOURCES["task"].full}
    compacts = pl.DataFrame(schema={"key": pl.Int64, "value": pl.Struct({"gid": pl.String})})
    shaped = shape_tasks(BatchRows(tasks, relations, compacts), lookups(), tree,
                         "https://app.example")  # fmt: skip
    (task,) = shaped.to_dicts()
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
    assert task["workspace"] == {"gid": "7", "resource_type": "workspace", "name": "Org"}
    assert task["memberships"] == task["custom_fields"] == task["dependencies"] == []
