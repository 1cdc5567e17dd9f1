"""An export file into DuckDB, one table per `resource_type`, by DuckDB's own JSON reader.

Every line is read once by `read_json_objects` (gzip, several gzip members one after another
too), and the stories and attachments embedded in a resource export's tasks and messages
join the ones an organization export writes as lines of their own (an object that is both
embedded and a line is loaded once). Per type, DuckDB infers
the objects' structure (`json_group_structure`) and `json_transform` types it: times
(`…_at`) become TIMESTAMP, dates (`…_on`) DATE. The shape of the tables then follows from
the structure, not from rows looked at in Python:

- a scalar field is a typed column; a list of scalars a LIST column;
- a compact reference (`{"gid", "resource_type", "name"}`) is `<field>_gid` and `<field>_name`;
- a list of objects (followers, memberships, tags, likes, custom fields…) is a table of its
  own, `<type>_<field>`, keyed by `<type>_gid` and the `position` in the list;
- stories and attachments get `parent_gid`: the task or message they belong to.

Everything happens in one transaction that first drops what the previous load made, so
loading twice replaces, and a failed load leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson

from exportd.errors import ExportdError

EMBEDDED = {"stories": "story", "attachments": "attachment"}
"""Lists of full objects embedded in tasks and messages, loaded into their type's table."""
EMBEDDING_TYPES = ("task", "message")
PARENT_OF = {"story": "target", "attachment": "parent"}
"""The reference naming what a story or attachment belongs to, when the file has it."""
REGISTRY = "exportd_loaded_tables"
STRUCTURE_SLICE = 20_000  # objects whose structure is inferred in one query
NUMBERS = frozenset({"UBIGINT", "BIGINT", "DOUBLE", "HUGEINT", "UHUGEINT"})
MAX_OBJECT = 64 << 20  # bytes in one line, far above any export's largest object


class LoadError(ExportdError):
    """The file cannot be loaded; one line."""


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Loaded:
    tables: dict[str, int]  # table name → rows
    objects: dict[str, int]  # resource type → objects (lines and embedded)


def column_type(name: str, structure: Any) -> Any:
    """The structure with times and dates typed, and unknown (all-null) values as VARCHAR."""
    if isinstance(structure, dict):
        return {key: column_type(key, value) for key, value in structure.items()}
    if isinstance(structure, list):
        return [column_type(name, structure[0]) if structure else "VARCHAR"]
    if structure in ("VARCHAR", "NULL"):
        if name.endswith("_at"):
            return "TIMESTAMP"
        if name.endswith("_on"):
            return "DATE"
        return "VARCHAR"
    return structure


def is_compact(structure: Any) -> bool:
    return isinstance(structure, dict) and "gid" in structure


def flattened(source: str, structure: dict[str, Any]) -> list[str]:
    """Select items for one level of a struct: compacts as `_gid` and `_name`, the rest as
    they are. Lists of objects are left to `child_lists`."""
    items: list[str] = []
    for key, value in structure.items():
        field = f"{source}.{quoted(key)}"
        if is_compact(value):
            items.append(f"{field}.gid AS {quoted(key + '_gid')}")
            if "name" in value:
                items.append(f"{field}.name AS {quoted(key + '_name')}")
        elif isinstance(value, list) and isinstance(value[0], dict) and source == "s":
            continue  # a table of its own
        else:
            items.append(f"{field} AS {quoted(key)}")
    return items


def child_lists(structure: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        key: value[0]
        for key, value in structure.items()
        if isinstance(value, list) and isinstance(value[0], dict)
    }


def load_file(
    path: Path, database: Path, on_step: Callable[[str, int, int | None, str], None] | None = None
) -> Loaded:
    """Load the export at `path` into the DuckDB file `database`; see the module doc.
    `on_step(label, done, total, detail)` is told how far it is."""
    step = on_step or (lambda _label, _done, _total, _detail: None)
    try:
        connection = duckdb.connect(str(database), config={"preserve_insertion_order": False})
    except duckdb.Error as error:
        raise LoadError(f"{database}: {_one_line(error)}") from None
    try:
        connection.execute("BEGIN")
        step("reading", 0, None, "")
        _read(connection, path)
        types = [
            row[0]
            for row in connection.execute(
                "SELECT _type, count(*) FROM _objects GROUP BY _type ORDER BY min(_line), _type"
            ).fetchall()
        ]
        objects = dict(
            connection.execute("SELECT _type, count(*) FROM _objects GROUP BY _type").fetchall()
        )
        _drop_previous(connection)
        tables: dict[str, int] = {}
        for done, resource_type in enumerate(types):
            step("loading", done, len(types), resource_type)
            tables.update(_load_type(connection, resource_type))
        connection.execute(f"CREATE TABLE {REGISTRY} (name VARCHAR PRIMARY KEY, rows BIGINT)")
        connection.executemany(f"INSERT INTO {REGISTRY} VALUES (?, ?)", list(tables.items()))
        connection.execute("DROP TABLE _objects")
        connection.execute("COMMIT")
        step("loading", len(types), len(types), "")
        return Loaded(tables=tables, objects=objects)
    except duckdb.Error as error:
        connection.execute("ROLLBACK")
        raise LoadError(f"{path}: {_one_line(error)}") from None
    finally:
        connection.close()


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def _read(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Every object of the file, embedded stories and attachments included, with its type
    and (for embedded ones) the gid of the object it was embedded in."""
    source = (
        f"read_json_objects({literal(str(path))}, format='newline_delimited', "
        f"maximum_object_size={MAX_OBJECT})"
    )
    connection.execute(
        "CREATE TEMP TABLE _objects AS SELECT row_number() OVER () AS _line, json AS j, "
        f"NULL::VARCHAR AS _parent, json->>'resource_type' AS _type FROM {source}"
    )
    untyped = connection.execute("SELECT count(*) FROM _objects WHERE _type IS NULL").fetchone()
    if untyped and untyped[0]:
        raise LoadError(f"{path}: {untyped[0]:,} lines have no resource_type: not an export")
    embedding = ", ".join(literal(t) for t in EMBEDDING_TYPES)
    for key in EMBEDDED:
        connection.execute(
            f"INSERT INTO _objects SELECT _line, e, _parent, coalesce(e->>'resource_type', "
            f"{literal(EMBEDDED[key])}) FROM (SELECT _line, unnest(CAST(j->{literal(key)} AS "
            f"JSON[])) AS e, j->>'gid' AS _parent FROM _objects WHERE _parent IS NULL AND "
            f"_type IN ({embedding}) AND json_type(j->{literal(key)}) = 'ARRAY')"
        )
    # An organization export writes a message's stories as lines of their own too.
    connection.execute(
        "DELETE FROM _objects AS o WHERE _parent IS NOT NULL AND EXISTS (SELECT 1 FROM "
        "_objects AS t WHERE t._parent IS NULL AND t._type = o._type AND t.j->>'gid' = "
        "o.j->>'gid')"
    )


def _drop_previous(connection: duckdb.DuckDBPyConnection) -> None:
    exists = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [REGISTRY]
    ).fetchone()
    if exists and exists[0]:
        for (name,) in connection.execute(f"SELECT name FROM {REGISTRY}").fetchall():
            connection.execute(f"DROP TABLE IF EXISTS {quoted(name)}")
        connection.execute(f"DROP TABLE {REGISTRY}")


def _load_type(connection: duckdb.DuckDBPyConnection, resource_type: str) -> dict[str, int]:
    """The table of one type and the tables of its lists; rows of each."""
    structure = _structure(connection, resource_type)
    if resource_type in EMBEDDING_TYPES:
        structure = {k: v for k, v in structure.items() if k not in EMBEDDED}
    typed = column_type("", structure)
    staged = f"_typed_{resource_type}"
    connection.execute(
        f"CREATE TEMP TABLE {quoted(staged)} AS SELECT json_transform(j, "
        f"{literal(orjson.dumps(typed).decode())}) AS s, _parent FROM _objects "
        f"WHERE _type = {literal(resource_type)} ORDER BY _line"
    )
    items = flattened("s", typed)
    parent = PARENT_OF.get(resource_type)
    if parent is not None:
        owner = f"s.{quoted(parent)}.gid" if is_compact(typed.get(parent)) else "NULL"
        items = [item for item in items if not item.endswith(' AS "parent_gid"')]
        items.append(f"coalesce(_parent, {owner}) AS parent_gid")
    rows = {resource_type: _create(connection, resource_type, items, quoted(staged))}
    key = quoted(f"{resource_type}_gid")
    for field, element in child_lists(typed).items():
        table = f"{resource_type}_{field}"
        inner = (
            f"SELECT s.gid AS {key}, unnest(s.{quoted(field)}) AS e, "
            f"generate_subscripts(s.{quoted(field)}, 1) AS position FROM {quoted(staged)}"
        )
        columns = [key, "position", *flattened("e", element)]
        rows[table] = _create(connection, table, columns, f"({inner})")
    connection.execute(f"DROP TABLE {quoted(staged)}")
    return rows


def _structure(connection: duckdb.DuckDBPyConnection, resource_type: str) -> dict[str, Any]:
    """The merged structure of every object of a type, inferred by DuckDB a slice at a
    time: `json_group_structure` builds one JSON array of its whole input, which for the
    tasks of a large export would be gigabytes."""
    found = connection.execute(
        "SELECT min(_line), max(_line), count(*) FROM _objects WHERE _type = ?", [resource_type]
    ).fetchone()
    assert found is not None
    first, last, count = found
    slices = max(1, -(-count // STRUCTURE_SLICE))
    width = (last - first) // slices + 1
    merged: Any = "NULL"
    for start in range(first, last + 1, width):
        part = connection.execute(
            "SELECT json_group_structure(j) FROM _objects WHERE _type = ? AND _line >= ? "
            "AND _line < ?",
            [resource_type, start, start + width],
        ).fetchone()
        if part is not None and part[0] is not None:
            merged = merge_structures(merged, orjson.loads(part[0]))
    return merged if isinstance(merged, dict) else {}


def merge_structures(a: Any, b: Any) -> Any:
    """Two structures as one that holds both, the way DuckDB merges them within a query."""
    if a == b or b == "NULL":
        return a
    if a == "NULL":
        return b
    if isinstance(a, dict) and isinstance(b, dict):
        return {key: merge_structures(a.get(key, "NULL"), b.get(key, "NULL")) for key in a | b}
    if isinstance(a, list) and isinstance(b, list):
        return [merge_structures(a[0] if a else "NULL", b[0] if b else "NULL")]
    if {a, b} <= NUMBERS if isinstance(a, str) and isinstance(b, str) else False:
        return "DOUBLE"
    return "JSON"


def _create(
    connection: duckdb.DuckDBPyConnection, table: str, items: list[str], source: str
) -> int:
    connection.execute(
        f"CREATE OR REPLACE TABLE {quoted(table)} AS SELECT {', '.join(items)} FROM {source}"
    )
    counted = connection.execute(f"SELECT count(*) FROM {quoted(table)}").fetchone()
    return int(counted[0]) if counted else 0
