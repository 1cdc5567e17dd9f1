"""Columnar building blocks: compact forms as lookup frames, references, lists, `fields`.

The columnar engine shapes a whole batch of objects at once with polars expressions, in
native code on every core, instead of building a dict per object. A reference becomes a
left join on a lookup frame (`key`, `value`: the compact form as a struct), a list of
references a group-by in the relation's own order, and an object's `fields` a selection of
struct fields (`projected`), the same rules as `domain.projection.project`.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Iterator, Mapping
from contextlib import suppress
from typing import Any, TypeVar

import polars as pl
from polars.datatypes import DataTypeClass

from exportd.domain.projection import FieldTree

KEY, VALUE = "key", "value"
T = TypeVar("T")

NAMED = pl.Struct({"gid": pl.String, "resource_type": pl.String, "name": pl.String})
"""The compact form of most types: gid, resource_type, name."""

Kind = pl.DataType | DataTypeClass

ABSENT_USER = pl.struct(
    pl.lit("-").alias("gid"),
    pl.lit(None, pl.String).alias("resource_type"),
    pl.lit(None, pl.String).alias("name"),
)
"""A user reference that marks its field absent: for a column whose objects have the field
in some rows only (a goal's compact form shows its owner, a project's does not), which one
struct type cannot say. No real reference has that gid (gids are digits)."""

_ABSENT = (
    b',"owner":{"gid":"-","resource_type":null,"name":null}',
    # A message's compact form, where a status update's shows a title (never null):
    b'"resource_type":"message","title":null,',
)
_PRESENT = (b"", b'"resource_type":"message",')


def without_absent(data: bytes) -> bytes:
    """JSON Lines with the fields marked absent left out. The patterns are JSON structure
    (quotes inside strings are escaped), so they match nothing else."""
    for absent, present in zip(_ABSENT, _PRESENT, strict=True):
        if absent in data:
            data = data.replace(absent, present)
    return data


def gid_text(column: str = "gid") -> pl.Expr:
    return pl.col(column).cast(pl.String)


def named_lookup(rows: pl.DataFrame, resource_type: str) -> pl.DataFrame:
    """`key, value` compact forms of `gid, name` rows."""
    return rows.select(
        pl.col("gid").alias(KEY),
        pl.struct(gid_text(), pl.lit(resource_type).alias("resource_type"), pl.col("name")).alias(
            VALUE
        ),
    )


def refer(frame: pl.DataFrame, column: str, lookup: pl.DataFrame, name: str) -> pl.DataFrame:
    """`frame` with `name`: the compact form `column` refers to, null when not exported."""
    found = lookup.rename({KEY: column, VALUE: name})
    return frame.join(found, on=column, how="left", maintain_order="left")


def keep_found(rows: pl.DataFrame, column: str, lookup: pl.DataFrame, name: str) -> pl.DataFrame:
    """`rows` whose `column` refers to an exported object, with its compact form as `name`:
    a reference to an object that is not exported drops out of its list."""
    found = lookup.rename({KEY: column, VALUE: name})
    return rows.join(found, on=column, how="inner", maintain_order="left")


def gather(rows: pl.DataFrame, value: pl.Expr, name: str) -> pl.DataFrame:
    """`owner, name`: each owner's values as a list, in the rows' order."""
    return rows.group_by("owner", maintain_order=True).agg(value.alias(name))


def attach(frame: pl.DataFrame, lists: pl.DataFrame, name: str, on: str = "gid") -> pl.DataFrame:
    """`frame` with the list `name` of `lists` (from `gather`); empty for owners without."""
    joined = frame.join(lists.rename({"owner": on}), on=on, how="left", maintain_order="left")
    return joined.with_columns(pl.col(name).fill_null(pl.lit([], dtype=lists.schema[name])))


def projected(expr: pl.Expr, dtype: Kind, tree: Mapping[str, Any]) -> pl.Expr:
    """`expr` cut to the fields named by `tree`, recursively, `gid` kept first: what
    `domain.projection.project` does to one object, for a whole column of them. Fields the
    value does not have are left out, as there."""
    return _projected(expr, dtype, tree)[0]


def _projected(expr: pl.Expr, dtype: Kind, tree: Mapping[str, Any]) -> tuple[pl.Expr, bool]:
    """(expression, whether it changes anything): unchanged columns are not rebuilt."""
    if not tree:
        return expr, False
    if isinstance(dtype, pl.Struct):
        fields = {field.name: field.dtype for field in dtype.fields}
        names = (["gid"] if "gid" in fields else []) + [
            name for name in tree if name in fields and name != "gid"
        ]
        parts = [_projected(expr.struct.field(n), fields[n], tree.get(n, {})) for n in names]
        if names == list(fields) and not any(changed for _, changed in parts):
            return expr, False
        shaped = pl.struct([part.alias(n) for (part, _), n in zip(parts, names, strict=True)])
        return pl.when(expr.is_null()).then(None).otherwise(shaped), True
    if isinstance(dtype, pl.List):
        inner, changed = _projected(pl.element(), dtype.inner, tree)
        return (expr.list.eval(inner), True) if changed else (expr, False)
    return expr, False


def project_frame(frame: pl.DataFrame, tree: FieldTree) -> pl.DataFrame:
    """The columns of `frame` named by `tree`, `gid` first, each cut to its subtree."""
    names = (["gid"] if "gid" in frame.columns else []) + [
        name for name in tree if name in frame.columns and name != "gid"
    ]
    return frame.select(
        projected(pl.col(name), frame.schema[name], tree.get(name, {})).alias(name)
        for name in names
    )


def ndjson(frame: pl.DataFrame) -> bytes:
    """The rows as JSON Lines, written by polars (the same bytes as orjson writes for the
    same values: checked against the golden exports)."""
    sink = io.BytesIO()
    frame.write_ndjson(sink)
    return sink.getvalue()


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """`items`, each produced on a background thread while the caller works on the one
    before (at most one ahead). The thread stops when the caller stops iterating; its
    exceptions are raised in the caller."""
    ahead: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        ahead.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ahead.put((False, None))
        except BaseException as error:
            ahead.put((False, error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:  # a generator stops its own threads, if any
                close()

    worker = threading.Thread(target=produce, name="exportd-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            more, item = ahead.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting to put
            with suppress(queue.Empty):
                ahead.get(timeout=0.1)
        worker.join()
