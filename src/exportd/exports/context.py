"""What every page builder of one export shares: the reader, the compact forms, the links."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, select

from exportd.errors import NotFound
from exportd.exports import shapes
from exportd.exports.compacts import Compacts
from exportd.exports.reader import BATCH_SIZE, AnyRow, AnySelect, Reader
from exportd.exports.shapes import Obj
from exportd.store.schema import workspaces

Pages = Iterator[list[Obj]]
"""What a page builder yields: the exported objects of one page, in gid order."""


@dataclass
class Export:
    """One export of one organization over one connection."""

    reader: Reader
    compacts: Compacts
    organization: Obj
    permalink_base: str = shapes.DEFAULT_PERMALINK_BASE
    batch_size: int = BATCH_SIZE

    @classmethod
    def open(
        cls,
        connection: Connection,
        organization_gid: int,
        *,
        permalink_base: str = shapes.DEFAULT_PERMALINK_BASE,
        batch_size: int = BATCH_SIZE,
    ) -> Export:
        """Start an export of an undeleted organization; NotFound if there is none."""
        row = connection.execute(
            select(workspaces).where(
                workspaces.c.gid == organization_gid, workspaces.c.deleted_at.is_(None)
            )
        ).first()
        if row is None:
            raise NotFound(f"organization: no organization with gid {organization_gid}")
        reader = Reader(connection, organization_gid)
        compacts = Compacts(reader)
        organization = shapes.named("workspace", row.gid, row.name)
        compacts.remember("workspace", row.gid, organization)
        return cls(reader, compacts, organization, permalink_base.rstrip("/"), batch_size)

    def pages(self, query: AnySelect, key: ColumnElement[int]) -> Iterator[Sequence[AnyRow]]:
        return self.reader.pages(query, key, self.batch_size)
