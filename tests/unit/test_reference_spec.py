"""The resource table and the enums agree with the reference spec (asana_oas.yaml)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from exportd.domain import vocabulary
from exportd.domain.resources import RESOURCES

SPEC = Path(__file__).resolve().parents[3] / "shared" / "reference" / "asana_oas.yaml"

# Fields exportd adds on purpose: seed 002 (team members), O5 (portfolio items).
EXTENSIONS = {"team": {"members"}, "portfolio": {"items"}}
SCHEMAS = {
    "workspace": "Workspace",
    "user": "User",
    "workspace_membership": "WorkspaceMembership",
    "team": "Team",
    "team_membership": "TeamMembership",
    "project": "Project",
    "project_membership": "ProjectMembershipCompact",
    "custom_field_setting": "CustomFieldSetting",
    "section": "Section",
    "portfolio": "Portfolio",
    "portfolio_membership": "PortfolioMembership",
    "goal": "Goal",
    "tag": "Tag",
    "custom_field": "CustomField",
    "task": "Task",
    "story": "Story",
    "attachment": "Attachment",
    "status_update": "StatusUpdate",
    "organization_export": "OrganizationExport",
    "resource_export": "ResourceExportCompact",  # its Response schema is the job
    "job": "Job",
    "goal_relationship": "GoalRelationship",
    "graph_export": "GraphExportCompact",  # its Response schema is the job
}
# Schemas named unlike the others: (the full one, the compact one).
NAMED_APART = {
    "allocation": ("AllocationResponse", "AllocationBase"),
    "time_tracking_entry": ("TimeTrackingEntryBase", "TimeTrackingEntryCompact"),
    "time_tracking_category": ("TimeTrackingCategoryCompact", "TimeTrackingCategoryCompact"),
}
# Lines of graph export files that the spec names but does not describe (docs/export-format.md).
GRAPH_LINKS = {"portfolio_to_portfolio", "project_to_portfolio"}


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    if not SPEC.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"reference spec missing at {SPEC}")
        pytest.skip("reference spec not beside the checkout")
    with SPEC.open() as file:
        spec = yaml.load(file, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return dict(spec["components"]["schemas"])


def _properties(schemas: dict[str, Any], name: str) -> set[str]:
    schema, found = schemas[name], set()
    for part in [schema, *schema.get("allOf", [])]:
        if "$ref" in part:
            found |= _properties(schemas, part["$ref"].rsplit("/", 1)[-1])
        found |= set(part.get("properties", {}))
    return found


def test_every_resource_is_checked() -> None:
    assert set(RESOURCES) - set(SCHEMAS) - set(NAMED_APART) - GRAPH_LINKS <= {
        "enum_option",
        "like",
        "task_membership",
        "message",
    }


@pytest.mark.parametrize("resource_type", sorted(SCHEMAS) + sorted(NAMED_APART))
def test_fields_exist_in_the_spec(schemas: dict[str, Any], resource_type: str) -> None:
    resource = RESOURCES[resource_type]
    if resource_type in NAMED_APART:
        response, compact = NAMED_APART[resource_type]
    else:
        base = SCHEMAS[resource_type]
        response = base if base.endswith("Response") else f"{base}Response"
        if response not in schemas:
            response = base
        compact = f"{base}Compact" if f"{base}Compact" in schemas else base
    unknown = set(resource.full) - _properties(schemas, response)
    assert unknown <= EXTENSIONS.get(resource_type, set())
    assert set(resource.compact) <= _properties(schemas, compact)


@pytest.mark.parametrize(
    ("values", "schema", "field"),
    [
        (vocabulary.COLORS, "ProjectResponse", "color"),
        (vocabulary.TEAM_VISIBILITIES, "TeamResponse", "visibility"),
        (vocabulary.PROJECT_PRIVACY_SETTINGS, "ProjectResponse", "privacy_setting"),
        (vocabulary.PROJECT_DEFAULT_VIEWS, "ProjectResponse", "default_view"),
        (vocabulary.PROJECT_ACCESS_LEVELS, "ProjectResponse", "default_access_level"),
        (vocabulary.PORTFOLIO_PRIVACY_SETTINGS, "PortfolioResponse", "privacy_setting"),
        (vocabulary.PORTFOLIO_ACCESS_LEVELS, "PortfolioResponse", "default_access_level"),
        (vocabulary.GOAL_PRIVACY_SETTINGS, "GoalResponse", "privacy_setting"),
        (vocabulary.CUSTOM_FIELD_FORMATS, "CustomFieldResponse", "format"),
        (vocabulary.APPROVAL_STATUSES, "TaskResponse", "approval_status"),
        (vocabulary.ASSIGNEE_STATUSES, "TaskResponse", "assignee_status"),
        (vocabulary.STORY_TYPES, "StoryResponse", "type"),
        (vocabulary.STORY_SOURCES, "StoryResponse", "source"),
        (vocabulary.STICKER_NAMES, "StoryResponse", "sticker_name"),
        (vocabulary.STATUS_TYPES, "StatusUpdateResponse", "status_type"),
        (vocabulary.GOAL_RELATIONSHIP_SUBTYPES, "GoalRelationshipCompact", "resource_subtype"),
        (vocabulary.TIME_APPROVAL_STATUSES, "TimeTrackingEntryBase", "approval_status"),
        (vocabulary.BILLABLE_STATUSES, "TimeTrackingEntryBase", "billable_status"),
    ],
)
def test_enums_are_spelled_as_in_the_spec(
    schemas: dict[str, Any], values: tuple[str, ...], schema: str, field: str
) -> None:
    def find(name: str) -> dict[str, Any]:
        node = schemas[name]
        for part in [node, *node.get("allOf", [])]:
            if "$ref" in part:
                found = find(part["$ref"].rsplit("/", 1)[-1])
                if found:
                    return found
            if field in part.get("properties", {}):
                return dict(part["properties"][field])
        return {}

    allowed = set(find(schema).get("enum") or [])
    assert set(values) <= allowed
