"""opt_fields parsing and projection (C2, R6)."""

from __future__ import annotations

import pytest

from exportd.domain.projection import compact_tree, full_tree, parse_fields, project
from exportd.domain.resources import RESOURCES
from exportd.errors import InvalidRequest

TASK = RESOURCES["task"]
ALICE = {"gid": "1", "resource_type": "user", "name": "Alice", "email": "a@x.example"}
A_TASK = {
    "gid": "10",
    "resource_type": "task",
    "name": "Ship it",
    "resource_subtype": "default_task",
    "created_by": ALICE,
    "assignee": ALICE,
    "followers": [ALICE, {**ALICE, "gid": "2", "name": "Bob"}],
    "completed": False,
}


def test_dotted_paths_select_inside_nested_objects_and_lists() -> None:
    tree = parse_fields(["name", "assignee.name", "followers.email"], TASK, parameter="opt_fields")
    assert project(A_TASK, tree) == {
        "gid": "10",
        "name": "Ship it",
        "assignee": {"gid": "1", "name": "Alice"},
        "followers": [{"gid": "1", "email": "a@x.example"}, {"gid": "2", "email": "a@x.example"}],
    }


def test_gid_is_always_included_even_when_not_asked() -> None:
    assert project(A_TASK, parse_fields(["completed"], TASK, parameter="opt_fields")) == {
        "gid": "10",
        "completed": False,
    }


def test_a_reference_alone_shows_its_compact_form() -> None:
    tree = parse_fields(["assignee"], TASK, parameter="opt_fields")
    assert project(A_TASK, tree)["assignee"] == {
        "gid": "1",
        "resource_type": "user",
        "name": "Alice",
    }


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("nmae", "opt_fields: unknown field 'nmae' (task has no field 'nmae')"),
        ("assignee.age", "opt_fields: unknown field 'assignee.age' (user has no field 'age')"),
        ("name.first", "opt_fields: 'name.first' selects inside 'name', which is a plain value"),
    ],
)
def test_unknown_or_impossible_paths_are_refused_by_name(path: str, message: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        parse_fields([path], TASK, parameter="opt_fields")
    assert raised.value.message == message


def test_default_trees_show_references_compactly() -> None:
    tree = full_tree(RESOURCES["user"])
    assert tree["workspaces"] == {"gid": {}, "resource_type": {}, "name": {}}
    assert list(compact_tree(RESOURCES["goal"])) == ["gid", "resource_type", "name", "owner"]


def test_every_reference_points_to_a_known_resource() -> None:
    for resource in RESOURCES.values():
        for field, target in resource.references.items():
            assert target in RESOURCES, f"{resource.resource_type}.{field} -> {target}"
