"""Reading one line of an import: typed fields, checked references, errors that name the line.

`Fields` hands out an object's values with the type the store needs, or refuses the whole
import with `line N: field: reason`. `References` remembers every gid the file defines and
every gid it points at, so a reference to a gid that exists neither in the file nor in the
store is reported with the line and field that made it, not as a commit-time foreign key
error that names neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NoReturn

from exportd.errors import InvalidRequest
from exportd.numbers import MAX_GID


class ImportRefused(InvalidRequest):
    """The file cannot be imported; the message names the line and the reason."""


def refuse(line: int, reason: str) -> NoReturn:
    raise ImportRefused(f"line {line}: {reason}")


KIND_OF = {"status_update": "message"}
"""Resource types stored in another type's table: a reference may name either."""


def kind(resource_type: str) -> str:
    """The stored kind of a resource type (status updates are messages)."""
    return KIND_OF.get(resource_type, resource_type)


@dataclass
class Pending:
    """The first reference to a gid the file has not defined (yet)."""

    kind: str
    line: int
    field: str


class References:
    """Gids the file defines, and the references it makes to gids not yet seen."""

    def __init__(self) -> None:
        self.defined: dict[int, str] = {}
        self.pending: dict[int, Pending] = {}

    def define(self, gid: int, resource_type: str, line: int) -> None:
        stored = kind(resource_type)
        if gid in self.defined:
            refuse(line, f"gid: {gid} appears twice in the file")
        self.defined[gid] = stored
        wanted = self.pending.pop(gid, None)
        if wanted is not None and wanted.kind != stored:
            refuse(wanted.line, f"{wanted.field}: {gid} is a {resource_type}, not a {wanted.kind}")

    def expect(self, gid: int, wanted: str, line: int, field: str) -> None:
        stored = kind(wanted)
        found = self.defined.get(gid)
        if found is None:
            self.pending.setdefault(gid, Pending(stored, line, field))
        elif found != stored:
            refuse(line, f"{field}: {gid} is a {found}, not a {stored}")


_MISSING: Any = object()


class Fields:
    """Typed access to the fields of one object of the file (or one embedded in it)."""

    def __init__(
        self,
        obj: dict[str, Any],
        line: int,
        references: References,
        *,
        prefix: str = "",
        organization_gid: int | None = None,
    ) -> None:
        self.obj = obj
        self.line = line
        self.references = references
        self.prefix = prefix
        self.organization_gid = organization_gid
        """When set, every reference to a workspace means this organization (--organization)."""

    def fail(self, name: str, reason: str) -> NoReturn:
        refuse(self.line, f"{self.prefix}{name}: {reason}")

    def nested(self, obj: Any, name: str) -> Fields:
        """The fields of an object embedded in this one (an enum option, a story…)."""
        if not isinstance(obj, dict):
            self.fail(name, f"expected an object, got {_kind_of(obj)}")
        return Fields(
            obj,
            self.line,
            self.references,
            prefix=f"{self.prefix}{name}.",
            organization_gid=self.organization_gid,
        )

    def has(self, name: str) -> bool:
        return self.obj.get(name) is not None

    def _get(self, name: str, default: Any) -> Any:
        value = self.obj.get(name)
        if value is None:
            if default is _MISSING:
                self.fail(name, "Missing input")
            return default
        return value

    def text(self, name: str, default: str = _MISSING) -> str:
        value = self._get(name, default)
        if not isinstance(value, str):
            self.fail(name, f"expected a string, got {_kind_of(value)}")
        return value

    def optional_text(self, name: str) -> str | None:
        return None if self.obj.get(name) is None else self.text(name)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._get(name, default)
        if not isinstance(value, bool):
            self.fail(name, f"expected true or false, got {_kind_of(value)}")
        return value

    def integer(self, name: str) -> int | None:
        value = self.obj.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            self.fail(name, f"expected an integer, got {_kind_of(value)}")
        return value

    def number(self, name: str) -> float | None:
        value = self.obj.get(name)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            self.fail(name, f"expected a number, got {_kind_of(value)}")
        return None if value is None else float(value)

    def enum(self, name: str, values: Sequence[str], default: str = _MISSING) -> str:
        value = self._get(name, default)
        if value not in values:
            shown = value if isinstance(value, str) else _kind_of(value)
            self.fail(name, f"unknown value '{shown}' (one of: {', '.join(values)})")
        return str(value)

    def optional_enum(self, name: str, values: Sequence[str]) -> str | None:
        return None if self.obj.get(name) is None else self.enum(name, values)

    def moment(self, name: str, default: datetime = _MISSING) -> datetime:
        value = self._get(name, default)
        if isinstance(value, datetime):  # the default
            return value
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.fail(name, f"expected an ISO 8601 time with a zone, got {_shown(value)}")
        return parsed.astimezone(UTC)

    def optional_moment(self, name: str) -> datetime | None:
        return None if self.obj.get(name) is None else self.moment(name)

    def day(self, name: str) -> date | None:
        value = self.obj.get(name)
        if value is None:
            return None
        try:
            if isinstance(value, str) and len(value) == 10:
                return date.fromisoformat(value)
        except ValueError:
            pass
        return self.fail(name, f"expected a date (YYYY-MM-DD), got {_shown(value)}")

    def strings(self, name: str) -> list[str]:
        value = self._get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(name, "expected a list of strings")
        return value

    def mapping(self, name: str) -> dict[str, Any] | None:
        value = self.obj.get(name)
        if value is not None and not isinstance(value, dict):
            self.fail(name, f"expected an object, got {_kind_of(value)}")
        return value

    def items(self, name: str) -> list[Any]:
        """A list field; absent or null is an empty list."""
        value = self._get(name, [])
        if not isinstance(value, list):
            self.fail(name, f"expected a list, got {_kind_of(value)}")
        return value

    def gid(self, name: str = "gid", value: Any = _MISSING) -> int:
        """A gid: a numeric string (or a number), positive and within 63 bits."""
        if value is _MISSING:
            value = self._get(name, _MISSING)
        if isinstance(value, str) and value.isascii() and value.isdigit():
            number = int(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            self.fail(name, f"expected a numeric string, got {_shown(value)}")
        if not 0 < number <= MAX_GID:
            self.fail(name, f"{number} is out of the range of gids")
        return number

    def ref(self, name: str, kinds: Sequence[str], *, required: bool = False) -> int | None:
        """A reference (a compact object or a bare gid) to an object of one of `kinds`."""
        value = self.obj.get(name)
        if value is None:
            if required:
                self.fail(name, "Missing input")
            return None
        gid, _ = self.target(value, name, kinds)
        return gid

    def target(self, value: Any, name: str, kinds: Sequence[str]) -> tuple[int, str]:
        """Check one reference; return its gid and the resource type it names."""
        if isinstance(value, dict):
            gid = self.gid(f"{name}.gid", value.get("gid"))
            resource_type = value.get("resource_type", kinds[0])
            if resource_type not in kinds:
                self.fail(f"{name}.resource_type", f"expected {' or '.join(kinds)}, got "
                          f"{_shown(resource_type)}")  # fmt: skip
        else:
            gid, resource_type = self.gid(name, value), kinds[0]
        if resource_type == "workspace" and self.organization_gid is not None:
            return self.organization_gid, resource_type
        self.references.expect(gid, resource_type, self.line, f"{self.prefix}{name}")
        return gid, resource_type

    def refs(self, name: str, kinds: Sequence[str]) -> list[int]:
        """A list of references, without repeats, in order."""
        found: dict[int, None] = {}
        for index, value in enumerate(self.items(name)):
            if value is None:
                self.fail(f"{name}[{index}]", "Missing input")
            found[self.target(value, f"{name}[{index}]", kinds)[0]] = None
        return list(found)


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)  # fmt: skip


def _shown(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else _kind_of(value)
