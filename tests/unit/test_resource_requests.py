"""Parsing a resource export's `export_request_parameters` (R1, R3 to R7)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from exportd.domain.resource_exports import (
    DEFAULT_FIELDS,
    MAX_USERS_PER_FILTER,
    ExportPart,
    Filters,
    ResourceExportRequest,
    parse_export_request,
)
from exportd.domain.resources import RESOURCES
from exportd.errors import InvalidRequest

P = "export_request_parameters"


def test_a_full_request_parses_into_parts_filters_and_fields() -> None:
    request = parse_export_request(
        [
            {
                "resource_type": "task",
                "filters": {
                    "assignee.any": ["12", "13", "12"],
                    "assigned_by.any": ["14"],
                    "commented_on_by.any": ["15"],
                    "created_by.any": ["16"],
                    "followers.any": ["17"],
                    "liked_by.any": ["18"],
                    "created_at.after": "2024-01-01T00:00:00Z",
                    "created_at.before": "2024-02-01T02:00:00+02:00",
                    "modified_at.after": "2024-01-01T00:00:00.250Z",
                    "modified_at.before": "2024-03-01T00:00:00-05:30",
                },
                "fields": ["name", " assignee.name ", "name", "stories.created_by.name"],
            },
            {"resource_type": "team"},
            {"resource_type": "message", "filters": {}, "fields": None},
        ]
    )
    task, team, message = request.parts
    assert task == ExportPart(
        "task",
        Filters(
            assigned_by=(14,),
            assignee=(12, 13),
            commented_on_by=(15,),
            created_by=(16,),
            followers=(17,),
            liked_by=(18,),
            created_after=datetime(2024, 1, 1, tzinfo=UTC),
            created_before=datetime(2024, 2, 1, tzinfo=UTC),
            modified_after=datetime(2024, 1, 1, 0, 0, 0, 250_000, tzinfo=UTC),
            modified_before=datetime(2024, 3, 1, 5, 30, tzinfo=UTC),
        ),
        ("name", "assignee.name", "stories.created_by.name"),
    )
    assert team == ExportPart("team")
    assert message == ExportPart("message")
    assert request.user_gids() == {12, 13, 14, 15, 16, 17, 18}


def test_parameters_round_trip_through_their_normalized_json() -> None:
    request = parse_export_request(
        [
            {
                "resource_type": "message",
                "filters": {"liked_by.any": ["007"], "created_at.after": "2024-01-01T01:00+01:00"},
            },
            {"resource_type": "task", "fields": ["gid", "attachments.name"]},
        ]
    )
    stored = request.to_parameters()
    assert stored == {
        P: [
            {
                "resource_type": "message",
                "filters": {"liked_by.any": ["7"], "created_at.after": "2024-01-01T00:00:00.000Z"},
            },
            {"resource_type": "task", "fields": ["gid", "attachments.name"]},
        ]
    }
    assert ResourceExportRequest.from_parameters(stored) == request


def test_times_keep_the_stores_millisecond_precision_without_changing_what_they_select() -> None:
    """`.after` rounds down and `.before` up: a stored time (whole milliseconds) is after or
    before the rounded instant exactly when it is after or before the one asked for."""
    (part,) = parse_export_request(
        [
            {
                "resource_type": "task",
                "filters": {
                    "created_at.after": "2024-01-01T00:00:00.0005Z",
                    "created_at.before": "2024-01-01T00:00:00.0005Z",
                    "modified_at.before": "2024-01-01T00:00:00.002Z",
                },
            }
        ]
    ).parts
    assert part.filters.created_after == datetime(2024, 1, 1, tzinfo=UTC)
    assert part.filters.created_before == datetime(2024, 1, 1, 0, 0, 0, 1000, tzinfo=UTC)
    assert part.filters.modified_before == datetime(2024, 1, 1, 0, 0, 0, 2000, tzinfo=UTC)


def test_places_name_each_user_gid_for_membership_errors() -> None:
    request = parse_export_request(
        [
            {"resource_type": "team"},
            {"resource_type": "task", "filters": {"followers.any": ["3", "4"]}},
        ]
    )
    assert list(request.user_filters()) == [
        (f"{P}[1].filters.followers.any", 3),
        (f"{P}[1].filters.followers.any", 4),
    ]


def test_default_fields_follow_the_resource_table() -> None:
    assert DEFAULT_FIELDS["task"] == (*RESOURCES["task"].full, "attachments", "stories")
    assert "members" in DEFAULT_FIELDS["team"]
    assert DEFAULT_FIELDS["team"] == RESOURCES["team"].full
    assert "html_notes" not in DEFAULT_FIELDS["message"]
    assert set(RESOURCES["message"].full) - set(DEFAULT_FIELDS["message"]) == {"html_notes"}


def test_the_field_tree_always_shows_gid_and_resource_type() -> None:
    part = ExportPart("task", fields=("name", "assignee.name"))
    assert part.field_tree() == {"resource_type": {}, "name": {}, "assignee": {"name": {}}}
    default = ExportPart("message").field_tree()
    assert list(default) == list(DEFAULT_FIELDS["message"])  # which starts with gid


def _task(**part: Any) -> list[dict[str, Any]]:
    return [{"resource_type": "task", **part}]


def _filters(resource_type: str, **filters: Any) -> list[dict[str, Any]]:
    return [{"resource_type": resource_type, "filters": filters}]


BAD_REQUESTS: list[tuple[Any, str]] = [
    (None, f"{P}: Missing input"),
    ([], f"{P}: must list at least one resource type to export"),
    ({"resource_type": "task"}, f"{P}: must be a list of objects"),
    ("task", f"{P}: must be a list of objects"),
    (["task"], f"{P}[0]: must be an object"),
    ([{}], f"{P}[0].resource_type: Missing input"),
    (
        [{"resource_type": "task"}, {"resource_type": "project"}],
        f"{P}[1].resource_type: must be one of task, team, message",
    ),
    ([{"resource_type": 1}], f"{P}[0].resource_type: must be one of task, team, message"),
    (
        _task(filter={}),
        f"{P}[0].filter: unknown parameter (the parameters are resource_type, filters, fields)",
    ),
    (_task(filters=[]), f"{P}[0].filters: must be an object"),
    (_filters("team", **{"created_by.any": ["1"]}), f"{P}[0].filters: teams cannot be filtered"),
    (
        _filters("message", **{"assignee.any": ["1"]}),
        f"{P}[0].filters.assignee.any: not a filter of messages",
    ),
    (
        _filters("message", **{"assigned_by.any": ["1"]}),
        f"{P}[0].filters.assigned_by.any: not a filter of messages",
    ),
    (
        _filters("task", assignee=["1"]),
        f"{P}[0].filters.assignee: unknown filter (the filters are assigned_by.any, "
        "assignee.any, commented_on_by.any, created_by.any, followers.any, liked_by.any, "
        "created_at.after, created_at.before, modified_at.after, modified_at.before)",
    ),
    (
        _filters("task", **{"followers.any": "1"}),
        f"{P}[0].filters.followers.any: must be a list of user gids",
    ),
    (
        _filters("task", **{"followers.any": []}),
        f"{P}[0].filters.followers.any: must list at least one user gid",
    ),
    (
        _filters("task", **{"liked_by.any": [1]}),
        f"{P}[0].filters.liked_by.any: 1 is not a user gid (a string of digits)",
    ),
    (
        _filters("message", **{"created_by.any": ["12a"]}),
        f"{P}[0].filters.created_by.any: '12a' is not a user gid (a string of digits)",
    ),
    (
        _filters("task", **{"created_by.any": ["-1"]}),
        f"{P}[0].filters.created_by.any: '-1' is not a user gid (a string of digits)",
    ),
    (
        _filters("task", **{"created_by.any": ["0"]}),
        f"{P}[0].filters.created_by.any: '0' is not a user gid (a string of digits)",
    ),
    (
        _filters("task", **{"created_by.any": [str(2**63)]}),
        f"{P}[0].filters.created_by.any: '{2**63}' is not a user gid (a string of digits)",
    ),
    (
        _filters("task", **{"created_by.any": ["١٢"]}),  # digits, but not ASCII ones
        f"{P}[0].filters.created_by.any: '١٢' is not a user gid (a string of digits)",
    ),
    (
        _filters("task", **{"commented_on_by.any": [str(n + 1) for n in range(1001)]}),
        f"{P}[0].filters.commented_on_by.any: lists more than {MAX_USERS_PER_FILTER:,} user gids",
    ),
    (
        _filters("task", **{"created_at.after": "2024-13-01"}),
        f"{P}[0].filters.created_at.after: '2024-13-01' is not an ISO-8601 date-time",
    ),
    (
        _filters("task", **{"created_at.before": "2024-13-01T00:00:00Z"}),
        f"{P}[0].filters.created_at.before: '2024-13-01T00:00:00Z' is not an ISO-8601 date-time",
    ),
    (
        _filters("message", **{"modified_at.after": "2024-01-01"}),
        f"{P}[0].filters.modified_at.after: '2024-01-01' is not an ISO-8601 date-time",
    ),
    (
        _filters("task", **{"modified_at.before": "yesterday"}),
        f"{P}[0].filters.modified_at.before: 'yesterday' is not an ISO-8601 date-time",
    ),
    (
        _filters("task", **{"modified_at.before": 1704067200}),
        f"{P}[0].filters.modified_at.before: 1704067200 is not an ISO-8601 date-time",
    ),
    (
        _filters("task", **{"created_at.after": "0001-01-01T00:00:00+01:00"}),
        f"{P}[0].filters.created_at.after: '0001-01-01T00:00:00+01:00' "
        "is not an ISO-8601 date-time",
    ),
    (
        _filters("task", **{"created_at.after": "2024-01-01T00:00:00"}),
        f"{P}[0].filters.created_at.after: '2024-01-01T00:00:00' has no time zone "
        "(end it with Z or an offset such as +02:00)",
    ),
    (_task(fields="name"), f"{P}[0].fields: must be a list of field names"),
    (_task(fields=["name", 3]), f"{P}[0].fields: must be a list of field names"),
    (
        _task(fields=[" "]),
        f"{P}[0].fields: must name at least one field (leave it out for the default fields)",
    ),
    (
        _task(fields=["nmae"]),
        f"{P}[0].fields: unknown field 'nmae' (task has no field 'nmae')",
    ),
    (
        _task(fields=["attachments.download_url"]),
        f"{P}[0].fields: unknown field 'attachments.download_url' "
        "(attachment has no field 'download_url')",
    ),
    (
        [{"resource_type": "team", "fields": ["stories"]}],
        f"{P}[0].fields: unknown field 'stories' (team has no field 'stories')",
    ),
    (
        [{"resource_type": "message", "fields": ["title.text"]}],
        f"{P}[0].fields: 'title.text' selects inside 'title', which is a plain value",
    ),
]


@pytest.mark.parametrize(("value", "message"), BAD_REQUESTS)
def test_bad_requests_are_refused_naming_the_place(value: Any, message: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        parse_export_request(value)
    assert raised.value.message == message
    assert raised.value.status == 400


def test_stored_parameters_without_parts_are_refused() -> None:
    with pytest.raises(InvalidRequest, match=r"^export_request_parameters: Missing input$"):
        ResourceExportRequest.from_parameters({})


@pytest.mark.parametrize(
    "moment",
    [
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00z",
        "2024-01-01t00:00:00Z",
        "2024-01-01 00:00:00Z",
        "2024-01-01T00:00Z",
        "2024-01-01T01:00:00+01:00",
        "2024-01-01T01:00:00+0100",
        "2024-01-01T01:00:00+01",
        "2023-12-31T19:00:00.000-05:00",
    ],
)
def test_date_times_in_the_forms_the_spec_allows(moment: str) -> None:
    (part,) = parse_export_request(_filters("task", **{"created_at.after": moment})).parts
    assert part.filters.created_after == datetime(2024, 1, 1, tzinfo=UTC)
