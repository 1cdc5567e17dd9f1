"""What a resource export asks for (seed 002, R1 and R3 to R7), as values and rules, no I/O.

The request's `export_request_parameters` is a list of parts; each part names a resource
type, optional filters and optional fields. Parsing checks everything that can be checked
without the store and names the place of the first problem (`export_request_parameters[0]
.filters.assignee.any: …`); whether the users named in filters belong to the workspace is
the store's to say (`store.resource_exports.check_filter_users`).

The parsed request is stored with its job as normalized JSON (`to_parameters`) and read
back by the worker (`from_parameters`), so the API and the engine agree on one form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from exportd.clock import isoformat
from exportd.domain.projection import FieldTree, parse_fields
from exportd.domain.resources import RESOURCES
from exportd.errors import InvalidRequest, clip
from exportd.numbers import parse_gid

PARAMETER = "export_request_parameters"

RESOURCE_TYPES = ("task", "team", "message")
"""What a resource export can export (seed 002)."""

EMBEDDED = ("attachments", "stories")
"""Fields holding a task's or message's own children: in full form by default (R3)."""

DEFAULT_FIELDS: Mapping[str, tuple[str, ...]] = {
    # R3: the documented task, plus its attachments and stories.
    "task": RESOURCES["task"].full + EMBEDDED,
    # R4: the documented team, whose full form already holds its members.
    "team": RESOURCES["team"].full,
    # R5: seed 002's message; html_notes only when `fields` asks for it.
    "message": tuple(name for name in RESOURCES["message"].full if name != "html_notes"),
}
"""The top-level fields of each exported object when its part names no `fields`."""

USER_FILTERS: Mapping[str, str] = {
    "assigned_by.any": "assigned_by",
    "assignee.any": "assignee",
    "commented_on_by.any": "commented_on_by",
    "created_by.any": "created_by",
    "followers.any": "followers",
    "liked_by.any": "liked_by",
}
"""Filters holding a list of user gids (spec name → attribute of `Filters`)."""

TIME_FILTERS: Mapping[str, str] = {
    "created_at.after": "created_after",
    "created_at.before": "created_before",
    "modified_at.after": "modified_after",
    "modified_at.before": "modified_before",
}
"""Filters holding a date-time (spec name → attribute of `Filters`)."""

FILTERS_OF: Mapping[str, frozenset[str]] = {
    "task": frozenset(USER_FILTERS) | frozenset(TIME_FILTERS),
    # The spec: assignee.any and assigned_by.any apply to tasks only.
    "message": (frozenset(USER_FILTERS) - {"assignee.any", "assigned_by.any"})
    | frozenset(TIME_FILTERS),
    # Seed 002: filtering is not supported for teams.
    "team": frozenset(),
}
"""Which filters each resource type takes."""

PART_KEYS = ("resource_type", "filters", "fields")

MAX_USERS_PER_FILTER = 1_000
"""Most gids one user filter may list: keeps the SQL's bound parameters within every
backend's limit, far above any list a person writes."""

_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(?P<zone>[Zz]|[+-]\d{2}(:?\d{2})?)?"
)
_MILLISECOND = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Filters:
    """The filters of one part, ANDed (R7). User lists hold gids; times are aware UTC.

    Times are kept at the store's millisecond precision: `.after` rounded down and
    `.before` rounded up, which selects exactly the stored times strictly after / before
    the instant asked for.
    """

    assigned_by: tuple[int, ...] = ()
    assignee: tuple[int, ...] = ()
    commented_on_by: tuple[int, ...] = ()
    created_by: tuple[int, ...] = ()
    followers: tuple[int, ...] = ()
    liked_by: tuple[int, ...] = ()
    created_after: datetime | None = None
    created_before: datetime | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None

    def users(self) -> Iterator[tuple[str, tuple[int, ...]]]:
        """`(spec name, gids)` of each user filter that is set, in the spec's order."""
        for name, attribute in USER_FILTERS.items():
            gids = getattr(self, attribute)
            if gids:
                yield name, gids

    def times(self) -> Iterator[tuple[str, datetime]]:
        """`(spec name, moment)` of each time filter that is set, in the spec's order."""
        for name, attribute in TIME_FILTERS.items():
            moment = getattr(self, attribute)
            if moment is not None:
                yield name, moment

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) in ((), None) for f in fields(self))

    def to_json(self) -> dict[str, Any]:
        """The filters as the request spells them, gids as strings, times as `…Z`."""
        shown: dict[str, Any] = {name: [str(gid) for gid in gids] for name, gids in self.users()}
        shown.update((name, isoformat(moment)) for name, moment in self.times())
        return shown


@dataclass(frozen=True)
class ExportPart:
    """One entry of `export_request_parameters`: a type, its filters, its fields (or None
    for the default fields)."""

    resource_type: str
    filters: Filters = Filters()
    fields: tuple[str, ...] | None = None

    def field_tree(self) -> FieldTree:
        """What each exported object shows: `gid` and `resource_type` always (R6, R8), then
        the fields asked for, or the default fields as the engine builds them."""
        if self.fields is None:
            return {name: {} for name in DEFAULT_FIELDS[self.resource_type]}
        tree: FieldTree = {"resource_type": {}}
        tree.update(parse_fields(self.fields, RESOURCES[self.resource_type], parameter="fields"))
        return tree

    def to_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"resource_type": self.resource_type}
        if not self.filters.is_empty():
            shown["filters"] = self.filters.to_json()
        if self.fields is not None:
            shown["fields"] = list(self.fields)
        return shown


@dataclass(frozen=True)
class ResourceExportRequest:
    """Every part of one resource export; parts of one type are ORed (R7), in turn."""

    parts: tuple[ExportPart, ...]

    def to_parameters(self) -> dict[str, Any]:
        """The normalized JSON stored with the export's job."""
        return {PARAMETER: [part.to_json() for part in self.parts]}

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> ResourceExportRequest:
        """The request a job stored (`to_parameters`); checked again, as stored data may be
        older than these rules."""
        return parse_export_request(parameters.get(PARAMETER), drop_repeats=True)

    def user_filters(self) -> Iterator[tuple[str, int]]:
        """`(place, gid)` of every user gid named in filters, in request order, the place
        as error messages name it."""
        for index, part in enumerate(self.parts):
            for name, gids in part.filters.users():
                for gid in gids:
                    yield f"{PARAMETER}[{index}].filters.{name}", gid

    def user_gids(self) -> set[int]:
        """Every user gid named in filters (to check they are users of the workspace)."""
        return {gid for _, gid in self.user_filters()}


def parse_export_request(
    value: Any, *, max_parts: int | None = None, drop_repeats: bool = False
) -> ResourceExportRequest:
    """Parse the request body's `export_request_parameters`; InvalidRequest names the place
    of the first problem.

    `max_parts` bounds the work one request can ask for (requests are checked against it;
    stored parameters are not). A part that repeats an earlier one exactly is refused, as
    it would only write the same objects again; `drop_repeats` leaves it out instead (for
    parameters stored before that rule).
    """
    if value is None:
        raise InvalidRequest(f"{PARAMETER}: Missing input")
    if not isinstance(value, list):
        raise InvalidRequest(f"{PARAMETER}: must be a list of objects")
    if not value:
        raise InvalidRequest(f"{PARAMETER}: must list at least one resource type to export")
    if max_parts is not None and len(value) > max_parts:
        raise InvalidRequest(
            f"{PARAMETER}: lists {len(value):,} parts; one export may list at most {max_parts}"
        )
    parts: dict[ExportPart, int] = {}
    for index, item in enumerate(value):
        part = _part(item, f"{PARAMETER}[{index}]")
        if part in parts and not drop_repeats:
            raise InvalidRequest(
                f"{PARAMETER}[{index}]: repeats {PARAMETER}[{parts[part]}] exactly; "
                "list each part once"
            )
        parts.setdefault(part, index)
    return ResourceExportRequest(tuple(parts))


def _part(value: Any, place: str) -> ExportPart:
    if not isinstance(value, dict):
        raise InvalidRequest(f"{place}: must be an object")
    for key in value:
        if key not in PART_KEYS:
            raise InvalidRequest(
                f"{place}.{key}: unknown parameter (the parameters are {', '.join(PART_KEYS)})"
            )
    resource_type = value.get("resource_type")
    if resource_type is None:
        raise InvalidRequest(f"{place}.resource_type: Missing input")
    if resource_type not in RESOURCE_TYPES:
        raise InvalidRequest(f"{place}.resource_type: must be one of {', '.join(RESOURCE_TYPES)}")
    return ExportPart(
        resource_type,
        _filters(value.get("filters"), resource_type, f"{place}.filters"),
        _fields(value.get("fields"), resource_type, f"{place}.fields"),
    )


def _filters(value: Any, resource_type: str, place: str) -> Filters:
    if value is None:
        return Filters()
    if not isinstance(value, dict):
        raise InvalidRequest(f"{place}: must be an object")
    if value and not FILTERS_OF[resource_type]:
        raise InvalidRequest(f"{place}: {resource_type}s cannot be filtered")
    found: dict[str, Any] = {}
    for name, given in value.items():
        where = f"{place}.{name}"
        if name in USER_FILTERS:
            parsed: Any = _user_gids(given, where)
            attribute = USER_FILTERS[name]
        elif name in TIME_FILTERS:
            parsed = _moment(given, where, round_up=name.endswith(".before"))
            attribute = TIME_FILTERS[name]
        else:
            known = ", ".join([*USER_FILTERS, *TIME_FILTERS])
            raise InvalidRequest(f"{where}: unknown filter (the filters are {known})")
        if name not in FILTERS_OF[resource_type]:
            raise InvalidRequest(f"{where}: not a filter of {resource_type}s")
        found[attribute] = parsed
    return Filters(**found)


def _user_gids(value: Any, place: str) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise InvalidRequest(f"{place}: must be a list of user gids")
    if not value:
        raise InvalidRequest(f"{place}: must list at least one user gid")
    if len(value) > MAX_USERS_PER_FILTER:
        raise InvalidRequest(f"{place}: lists more than {MAX_USERS_PER_FILTER:,} user gids")
    gids: dict[int, None] = {}  # ordered, without repeats
    for item in value:
        gid = parse_gid(item) if isinstance(item, str) else None
        if gid is None:
            raise InvalidRequest(
                f"{place}: {clip(repr(item))} is not a user gid (a string of digits)"
            )
        gids[gid] = None
    return tuple(gids)


def _moment(value: Any, place: str, *, round_up: bool) -> datetime:
    match = _DATE_TIME.fullmatch(value) if isinstance(value, str) else None
    try:
        moment = datetime.fromisoformat(value.upper()) if match else None
        if moment is not None and match is not None and match["zone"] is not None:
            return _to_millisecond(moment.astimezone(UTC), round_up=round_up)
    except (ValueError, OverflowError):
        moment = None
    if match is None or moment is None:
        raise InvalidRequest(f"{place}: {clip(repr(value))} is not an ISO-8601 date-time")
    raise InvalidRequest(
        f"{place}: {clip(repr(value))} has no time zone (end it with Z or an offset such as +02:00)"
    )


def _to_millisecond(moment: datetime, *, round_up: bool) -> datetime:
    floor = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return floor + _MILLISECOND if round_up and floor != moment else floor


def _fields(value: Any, resource_type: str, place: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidRequest(f"{place}: must be a list of field names")
    paths = tuple(dict.fromkeys(path.strip() for path in value if path.strip()))
    if not paths:
        raise InvalidRequest(
            f"{place}: must name at least one field (leave it out for the default fields)"
        )
    parse_fields(paths, RESOURCES[resource_type], parameter=place)
    return paths
