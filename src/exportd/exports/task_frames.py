"""Tasks in their documented shape, a batch at a time, as polars columns.

`TASK_FIELDS` defines every field a task shows (`domain/resources.py`'s full and optional
task fields, in that order) as one polars expression over the batch's columns; a test
checks the two lists agree. A batch reads only the relations its part's fields show: a
narrow export of names and assignees reads neither stories nor custom field values.

The rules are those of the object-by-object shapes they replace: a reference to an object
that is not exported (deleted, or outside the organization) shows as null, or drops out of
its list; likes show twice (`likes`, and the deprecated `hearts`); `liked`/`hearted` are
false, as an export is read by no user in particular; a task's own stories and
attachments come oldest first, each pointing back at the task's compact form.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

import polars as pl

from exportd.domain.projection import FieldTree
from exportd.exports.frames import (
    KEY,
    VALUE,
    attach,
    gather,
    gid_text,
    keep_found,
    named_lookup,
    ndjson,
    project_frame,
    read_ahead,
    refer,
)
from exportd.exports.task_shapes import number_display, relations_for
from exportd.store import export_reads as reads
from exportd.store.export_reads import ArrowSnapshot, Condition

TASK_BATCH_SIZE = 2_500
"""Tasks read and shaped at a time by default (EXPORTD_EXPORT_BATCH_SIZE): memory grows
with it, per-query overhead shrinks (docs/benchmarks.md)."""

LINES_PER_WRITE = 500
"""Rows written to JSON at a time: a batch's JSON (~7 KB a task) is never held whole."""

USER_REFERENCES = {
    "created_by": "created_by_gid",
    "assigned_by": "assigned_by_gid",
    "completed_by": "completed_by_gid",
    "assignee": "assignee_gid",
}
"""Task fields that show one user, and the column that names them."""


@dataclass(frozen=True)
class Lookups:
    """The compact forms of one export's organization, read once (`load`)."""

    workspaces: pl.DataFrame
    users: pl.DataFrame
    projects: pl.DataFrame
    sections: pl.DataFrame
    tags: pl.DataFrame
    fields: (
        pl.DataFrame
    )  # custom_field_gid, f_name, f_type, f_enabled, f_precision, f_format, f_options
    options: pl.DataFrame  # custom_field_gid, enum_option_gid, enum_value

    @classmethod
    def load(cls, snap: ArrowSnapshot, organization_gid: int) -> Lookups:
        return cls.of(
            organization=reads.organization(snap, organization_gid),
            members=reads.members(snap, organization_gid),
            projects=reads.project_names(snap, organization_gid),
            sections=reads.section_names(snap, organization_gid),
            tags=reads.tag_names(snap, organization_gid),
            fields=reads.field_definitions(snap, organization_gid),
            options=reads.enum_options(snap, organization_gid),
        )

    @classmethod
    def of(
        cls,
        *,
        organization: pl.DataFrame,
        members: pl.DataFrame,
        projects: pl.DataFrame,
        sections: pl.DataFrame,
        tags: pl.DataFrame,
        fields: pl.DataFrame,
        options: pl.DataFrame,
    ) -> Lookups:
        """The lookups of rows as `store.export_reads` reads them."""
        shown_options = options.select(
            "custom_field_gid",
            pl.col("gid").alias("enum_option_gid"),
            pl.struct(
                gid_text(), pl.lit("enum_option").alias("resource_type"), "name", "enabled",
                "color",
            ).alias("enum_value"),
        )  # fmt: skip
        per_field = shown_options.group_by("custom_field_gid", maintain_order=True).agg(
            pl.col("enum_value").alias("f_options")
        )
        definitions = fields.select(
            pl.col("gid").alias("custom_field_gid"),
            pl.col("name").alias("f_name"),
            pl.col("resource_subtype").alias("f_type"),
            pl.col("enabled").alias("f_enabled"),
            pl.col("precision").alias("f_precision"),
            pl.col("format").alias("f_format"),
        )
        definitions = attach(definitions, per_field.rename({"custom_field_gid": "owner"}),
                             "f_options", on="custom_field_gid")  # fmt: skip
        return cls(
            workspaces=named_lookup(organization, "workspace"),
            users=named_lookup(members, "user"),
            projects=named_lookup(projects, "project"),
            sections=named_lookup(sections, "section"),
            tags=named_lookup(tags, "tag"),
            fields=definitions,
            options=shown_options,
        )


def _likes(rows: pl.DataFrame, users: pl.DataFrame) -> pl.DataFrame:
    """`owner, likes` from `owner, gid, user_gid` rows: likes of users not exported drop."""
    found = keep_found(rows, "user_gid", users, "user")
    return gather(found, pl.struct(gid_text(), "user"), "likes")


def _task_compacts(frame: pl.DataFrame, users: pl.DataFrame) -> pl.DataFrame:
    """`key, value`: compact forms of `gid, name, resource_subtype, created_by_gid` rows."""
    frame = refer(frame, "created_by_gid", users, "created_by")
    return frame.select(
        pl.col("gid").alias(KEY),
        pl.struct(
            gid_text(),
            pl.lit("task").alias("resource_type"),
            "name",
            "resource_subtype",
            "created_by",
        ).alias(VALUE),
    )


def _referenced_tasks(
    snap: ArrowSnapshot, organization_gid: int, gids: Sequence[int], users: pl.DataFrame
) -> pl.DataFrame:
    return _task_compacts(reads.task_compacts(snap, organization_gid, gids), users)


def _empty_list(name: str, inner: pl.DataType) -> pl.Expr:
    return pl.lit([], dtype=pl.List(inner)).alias(name)


def custom_field_values(rows: pl.DataFrame, lookups: Lookups) -> pl.DataFrame:
    """`owner, custom_fields`: each task's values, each its field's compact form with the
    value filled in, and the `people_value` the spec's CustomFieldResponse has."""
    found = rows.join(lookups.fields, on="custom_field_gid", how="inner", maintain_order="left")
    found = found.with_row_index("row").join(
        lookups.options, on=["custom_field_gid", "enum_option_gid"], how="left",
        maintain_order="left",
    )  # fmt: skip
    kind = pl.col("f_type")
    multi = _chosen(found, "multi_enum_option_gids", "custom_field_gid", lookups.options,
                    "enum_option_gid", "enum_value", "multi")  # fmt: skip
    people = _chosen(found, "people_gids", None, lookups.users, KEY, VALUE, "people")
    found = found.join(multi, on="row", how="left", maintain_order="left").join(
        people, on="row", how="left", maintain_order="left"
    )
    option = lookups.options.schema["enum_value"]
    user = lookups.users.schema[VALUE]
    multi_values = pl.col("multi").fill_null(pl.lit([], dtype=pl.List(option)))
    people_values = pl.col("people").fill_null(pl.lit([], dtype=pl.List(user)))
    numeric = found.filter((kind == "number") & pl.col("number_value").is_not_null())
    shown_numbers = pl.DataFrame(
        {
            "row": numeric["row"],
            "number_display": [
                number_display(value, precision, shown)
                for value, precision, shown in numeric.select(
                    "number_value", "f_precision", "f_format"
                ).iter_rows()
            ],
        },
        schema={"row": numeric.schema["row"], "number_display": pl.String},
    )
    found = found.join(shown_numbers, on="row", how="left", maintain_order="left")
    display = (
        pl.when(kind == "text").then(pl.col("text_value"))
        .when(kind == "number").then(pl.col("number_display"))
        .when(kind == "date").then(pl.col("date_value"))
        .when(kind == "enum").then(pl.col("enum_value").struct.field("name"))
        .when(kind == "multi_enum").then(_names(multi_values))
        .when(kind == "people").then(_names(people_values))
        .otherwise(None)
    )  # fmt: skip
    date = pl.struct(pl.col("date_value").alias("date"), pl.lit(None, pl.String).alias("date_time"))
    value = pl.struct(
        gid_text("custom_field_gid").alias("gid"),
        pl.lit("custom_field").alias("resource_type"),
        pl.col("f_name").alias("name"),
        kind.alias("type"),
        pl.col("f_options").alias("enum_options"),
        pl.col("f_enabled").alias("enabled"),
        kind.alias("representation_type"),
        pl.lit(False).alias("is_formula_field"),
        pl.when((kind == "date") & pl.col("date_value").is_not_null()).then(date).otherwise(None)
        .alias("date_value"),
        pl.when(kind == "enum").then(pl.col("enum_value")).otherwise(None).alias("enum_value"),
        pl.when(kind == "multi_enum").then(multi_values)
        .otherwise(pl.lit([], dtype=pl.List(option))).alias("multi_enum_values"),
        pl.when(kind == "number").then(pl.col("number_value")).otherwise(None)
        .alias("number_value"),
        pl.when(kind == "text").then(pl.col("text_value")).otherwise(None).alias("text_value"),
        display.alias("display_value"),
        pl.when(kind == "people").then(people_values)
        .otherwise(pl.lit([], dtype=pl.List(user))).alias("people_value"),
    )  # fmt: skip
    return gather(found, value, "custom_fields")


def _names(objects: pl.Expr) -> pl.Expr:
    """The names of a list of objects joined by ", "; null for none."""
    joined = objects.list.eval(pl.element().struct.field("name")).list.join(", ")
    return pl.when(joined == "").then(None).otherwise(joined)


def _chosen(
    found: pl.DataFrame,
    listed: str,
    field: str | None,
    lookup: pl.DataFrame,
    key: str,
    value: str,
    name: str,
) -> pl.DataFrame:
    """`row, name`: the objects a JSON list of gids names (multi-enum options, people), in
    the list's order, those not found left out. The gids are read as the digit runs of the
    JSON text, so lists of numbers and of strings read alike."""
    keys = [field, key] if field else [key]
    exploded = (
        found.select("row", *([field] if field else []),
                     pl.col(listed).str.extract_all(r"\d+").alias(key))
        .explode(key)
        .drop_nulls(key)
        .with_columns(pl.col(key).cast(pl.Int64))
    )  # fmt: skip
    chosen = exploded.join(lookup.select(*keys, value), on=keys, how="inner", maintain_order="left")
    return chosen.group_by("row", maintain_order=True).agg(pl.col(value).alias(name))


def story_columns(
    rows: pl.DataFrame, like_rows: pl.DataFrame, targets: pl.DataFrame, users: pl.DataFrame
) -> pl.DataFrame:
    """`owner` and the fields of each story (StoryResponse) of the rows whose task is among
    `targets` (the tasks' compact forms), in the rows' order."""
    liked = _likes(like_rows.rename({"story_gid": "owner"}), users)
    rows = keep_found(rows, "owner", targets, "target")
    rows = refer(rows, "created_by_gid", users, "created_by")
    rows = attach(rows, liked, "likes")
    likes = pl.col("likes")
    return rows.select(
        "owner",
        gid_text(),
        pl.lit("story").alias("resource_type"),
        "created_at",
        "created_by",
        "resource_subtype",
        "text",
        "html_text",
        "is_pinned",
        "sticker_name",
        "type",
        (pl.col("type") == "comment").alias("is_editable"),
        "is_edited",
        pl.lit(False).alias("hearted"),
        likes.alias("hearts"),
        likes.list.len().alias("num_hearts"),
        pl.lit(False).alias("liked"),
        likes,
        likes.list.len().alias("num_likes"),
        pl.col("details").str.json_path_match("$.old_name").alias("old_name"),
        pl.col("details").str.json_path_match("$.new_name").alias("new_name"),
        "source",
        "target",
    )


def attachment_columns(rows: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """`owner` and the fields of each attachment (AttachmentResponse without download_url
    and view_url, R3) of the rows whose task is among `targets`."""
    return keep_found(rows, "owner", targets, "parent").select(
        "owner",
        gid_text(),
        pl.lit("attachment").alias("resource_type"),
        "name",
        "resource_subtype",
        "created_at",
        "permanent_url",
        "host",
        "parent",
        "size",
        "connected_to_app",
    )


def _nested(columns: pl.DataFrame, name: str) -> pl.DataFrame:
    """`owner, name`: the objects of `columns` as a list of structs per owner."""
    return gather(columns, pl.struct(pl.exclude("owner")), name)


def _links(rows: pl.DataFrame, relation: str, lookup: pl.DataFrame) -> pl.DataFrame:
    rows = keep_found(rows, "other", lookup, relation)
    return gather(rows, pl.col(relation), relation)


def _memberships(rows: pl.DataFrame, lookups: Lookups) -> pl.DataFrame:
    """`owner, memberships, projects`: memberships of exported projects, in project order."""
    rows = keep_found(rows, "project_gid", lookups.projects, "project")
    rows = refer(rows, "section_gid", lookups.sections, "section")
    return rows.group_by("owner", maintain_order=True).agg(
        pl.struct("project", "section").alias("memberships"), pl.col("project").alias("projects")
    )


def _permalink(base: str) -> pl.Expr:
    return pl.format(f"{base}/1/{{}}/task/{{}}", "workspace_gid", "gid")


def task_fields(base: str) -> dict[str, pl.Expr]:
    """Every field of a task, as an expression over a shaped batch (see `shape_tasks`)."""
    likes = pl.col("likes")
    return {
        "gid": gid_text(),
        "resource_type": pl.lit("task"),
        "name": pl.col("name"),
        "resource_subtype": pl.col("resource_subtype"),
        "created_by": pl.col("created_by"),
        "approval_status": pl.col("approval_status"),
        "assignee_status": pl.col("assignee_status"),
        "assigned_by": pl.col("assigned_by"),
        "completed": pl.col("completed"),
        "completed_at": pl.col("completed_at"),
        "completed_by": pl.col("completed_by"),
        "created_at": pl.col("created_at"),
        "dependencies": pl.col("dependencies"),
        "dependents": pl.col("dependents"),
        "due_at": pl.col("due_at"),
        "due_on": pl.col("due_on"),
        "html_notes": pl.col("html_notes"),
        "hearted": pl.lit(False),
        "hearts": likes,
        "liked": pl.lit(False),
        "likes": likes,
        "memberships": pl.col("memberships"),
        "modified_at": pl.col("modified_at"),
        "notes": pl.col("notes"),
        "num_hearts": likes.list.len(),
        "num_likes": likes.list.len(),
        "num_subtasks": pl.col("count"),
        "start_at": pl.col("start_at"),
        "start_on": pl.col("start_on"),
        "assignee": pl.col("assignee"),
        "assignee_section": pl.lit(None),
        "custom_fields": pl.col("custom_fields"),
        "followers": pl.col("followers"),
        "parent": pl.col("parent"),
        "projects": pl.col("projects"),
        "tags": pl.col("tags"),
        "workspace": pl.col("workspace"),
        "permalink_url": _permalink(base),
        "attachments": pl.col("attachments"),
        "stories": pl.col("stories"),
    }


@dataclass(frozen=True)
class BatchRows:
    """What the store holds for one batch of tasks: the rows every shown field needs."""

    tasks: pl.DataFrame
    relations: dict[str, pl.DataFrame]  # by the names of `read_batch`
    compacts: pl.DataFrame | None  # referenced tasks (parents, dependencies), compact


def read_batch(
    snap: ArrowSnapshot,
    organization_gid: int,
    where: Sequence[Condition],
    after: int | None,
    limit: int,
    shown: Collection[str],
    users: pl.DataFrame,
) -> BatchRows | None:
    """The next `limit` tasks after `after` and the relations `shown` fields need, read
    over `snap`; None when there are no more tasks."""
    batch = reads.task_rows(snap, organization_gid, where, after, limit)
    if batch.height == 0:
        return None
    first, last = int(batch["gid"][0]), int(batch["gid"][-1])
    relations = relations_for(shown)
    found: dict[str, pl.DataFrame] = {}
    for relation in ("dependencies", "dependents", "followers", "tags"):
        if relation in relations:
            found[relation] = reads.links(snap, relation, first, last)
    readers = {
        "likes": reads.task_likes_in, "memberships": reads.memberships_in,
        "values": reads.values_in, "num_subtasks": reads.subtask_counts_in,
    }  # fmt: skip
    for relation, read in readers.items():
        if relation in relations:
            found[relation] = read(snap, first, last)
    if "stories" in shown:
        found["stories"] = reads.stories_in(snap, first, last)
        found["story_likes"] = reads.story_likes_in(snap, first, last)
    if "attachments" in shown:
        found["attachments"] = reads.attachments_in(snap, first, last)
    compacts = None
    if "parent" in shown or {"dependencies", "dependents"} & relations:
        gids = set(batch["parent_gid"].drop_nulls().to_list())
        for relation in ("dependencies", "dependents"):
            if relation in found:
                gids.update(found[relation]["other"].to_list())
        compacts = _referenced_tasks(snap, organization_gid, sorted(gids), users)
    return BatchRows(batch, found, compacts)


def shape_tasks(rows: BatchRows, lookups: Lookups, tree: FieldTree, base: str) -> pl.DataFrame:
    """A batch of tasks (gid order) as exported objects cut to `tree`."""
    shown, found = set(tree), rows.relations
    frame = refer(rows.tasks, "workspace_gid", lookups.workspaces, "workspace")
    for name, column in USER_REFERENCES.items():
        if name in shown:
            frame = refer(frame, column, lookups.users, name)
    if rows.compacts is not None:
        frame = refer(frame, "parent_gid", rows.compacts, "parent")
    for relation in ("dependencies", "dependents"):
        if relation in found and rows.compacts is not None:
            frame = attach(frame, _links(found[relation], relation, rows.compacts), relation)
    if "followers" in found:
        frame = attach(frame, _links(found["followers"], "followers", lookups.users), "followers")
    if "tags" in found:
        frame = attach(frame, _links(found["tags"], "tags", lookups.tags), "tags")
    if "likes" in found:
        frame = attach(frame, _likes(found["likes"], lookups.users), "likes")
    if "memberships" in found:
        memberships = _memberships(found["memberships"], lookups)
        frame = attach(frame, memberships.drop("projects"), "memberships")
        frame = attach(frame, memberships.drop("memberships"), "projects")
    if "values" in found:
        frame = attach(frame, custom_field_values(found["values"], lookups), "custom_fields")
    if "num_subtasks" in found:
        counts = found["num_subtasks"].rename({"owner": "gid"})
        frame = frame.join(counts, on="gid", how="left", maintain_order="left").with_columns(
            pl.col("count").fill_null(0)
        )
    if shown & {"stories", "attachments"}:
        targets = _task_compacts(frame.select("gid", "name", "resource_subtype",
                                              "created_by_gid"), lookups.users)  # fmt: skip
        if "stories" in found:
            stories = story_columns(found["stories"], found["story_likes"], targets, lookups.users)
            frame = attach(frame, _nested(stories, "stories"), "stories")
        if "attachments" in found:
            attachments = attachment_columns(found["attachments"], targets)
            frame = attach(frame, _nested(attachments, "attachments"), "attachments")
    fields = task_fields(base)
    return project_frame(
        frame.select(
            expr.alias(name) for name, expr in fields.items() if name in shown or name == "gid"
        ),
        tree,
    )


def task_chunks(
    snap: ArrowSnapshot,
    organization_gid: int,
    where: Sequence[Condition],
    tree: FieldTree,
    *,
    lookups: Lookups,
    base: str,
    batch_size: int,
) -> Iterator[tuple[bytes, int]]:
    """The JSON Lines of every task `where` selects, in gid order: `(bytes, lines)` pieces.

    Reading, shaping and writing JSON overlap, each on a thread of its own, one batch
    ahead of the next at most (the drivers and polars release the GIL).
    """
    shown = set(tree)

    def batches() -> Iterator[BatchRows]:
        after: int | None = None
        while rows := read_batch(
            snap, organization_gid, where, after, batch_size, shown, lookups.users
        ):
            yield rows
            if rows.tasks.height < batch_size:
                return
            after = int(rows.tasks["gid"][-1])

    shaped = (shape_tasks(rows, lookups, tree, base) for rows in read_ahead(batches()))
    for frame in read_ahead(shaped):
        for offset in range(0, frame.height, LINES_PER_WRITE):
            piece = frame.slice(offset, LINES_PER_WRITE)
            yield ndjson(piece), piece.height


def task_children_chunks(
    snap: ArrowSnapshot, organization_gid: int, kind: str, *, lookups: Lookups, batch_size: int
) -> Iterator[tuple[bytes, int]]:
    """The stories (`kind` "story") or attachments of the organization's tasks as objects
    of their own, as an organization export writes them: by task, then by gid."""

    def batches() -> Iterator[pl.DataFrame]:
        after: int | None = None
        while (tasks := reads.task_compact_rows(snap, organization_gid, after, batch_size)).height:
            targets = _task_compacts(tasks, lookups.users)
            first, last = int(tasks["gid"][0]), int(tasks["gid"][-1])
            if kind == "story":
                rows = reads.stories_in(snap, first, last, by_creation=False)
                likes = reads.story_likes_in(snap, first, last)
                yield story_columns(rows, likes, targets, lookups.users).drop("owner")
            else:
                rows = reads.attachments_in(snap, first, last, by_creation=False)
                yield attachment_columns(rows, targets).drop("owner")
            if tasks.height < batch_size:
                return
            after = int(tasks["gid"][-1])

    for frame in read_ahead(batches()):
        for offset in range(0, frame.height, LINES_PER_WRITE):
            piece = frame.slice(offset, LINES_PER_WRITE)
            yield ndjson(piece), piece.height
