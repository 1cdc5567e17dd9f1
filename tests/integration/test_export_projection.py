"""A narrow `fields` list reads fewer relations, and must show exactly what the default does.

For every default field of a task, an export asking for that field alone equals the
default export cut to it: skipping the relations a field does not need changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.domain.projection import project
from exportd.domain.resource_exports import DEFAULT_FIELDS, parse_export_request
from exportd.exports import task_shapes
from exportd.exports.resource import resource_export_objects
from exportd.runtime import Runtime

SPEC = SeedSpec(
    seed=7, users=8, teams=2, projects=4, tasks=120, stories_per_task=2,
    attachments_per_task=1, messages=5,
)  # fmt: skip

Obj = dict[str, Any]


@pytest.fixture
def seeded(runtime: Runtime) -> SeedResult:
    return seed_organization(runtime.database, SPEC)


def export(runtime: Runtime, seeded: SeedResult, part: Obj) -> list[Obj]:
    request = parse_export_request([part])
    return list(resource_export_objects(runtime.database, seeded.organization_gid, request))


def test_each_field_alone_shows_what_the_default_export_shows(
    runtime: Runtime, seeded: SeedResult
) -> None:
    everything = export(runtime, seeded, {"resource_type": "task"})
    for field in DEFAULT_FIELDS["task"]:
        part = {"resource_type": "task", "fields": [field]}
        tree = parse_export_request([part]).parts[0].field_tree()
        expected = [project(obj, tree) for obj in everything]
        assert export(runtime, seeded, part) == expected, field


def test_every_relation_is_needed_by_some_field() -> None:
    needed = task_shapes.relations_for(DEFAULT_FIELDS["task"])
    assert needed == frozenset(task_shapes.RELATIONS)
    assert task_shapes.relations_for(["name", "assignee", "completed"]) == frozenset()
