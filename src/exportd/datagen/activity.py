"""What happens on a task or a message: stories (comments and system changes), likes and
attachments. Each table gets its rows from one place here, so every row has the same columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table

from exportd.datagen import words
from exportd.datagen.context import DAY_MS, HOUR_MS, Batch, Context
from exportd.datagen.directory import Person
from exportd.datagen.prose import Prose, html, mention_html
from exportd.domain import vocabulary as v
from exportd.store.schema import attachments, stories, story_likes

# Weighted draws: repeating a value in the tuple makes it that much more likely.
SOURCES = ("web",) * 16 + ("mobile", "mobile", "email", "api")
HOSTS = ("asana",) * 13 + ("gdrive", "gdrive", "dropbox", "box", "onedrive", "external", "vimeo")
_EXTERNAL_URLS = {
    "gdrive": "https://drive.google.com/file/d/{gid}/view",
    "dropbox": "https://www.dropbox.com/s/{gid}/{name}",
    "box": "https://app.box.com/file/{gid}",
    "onedrive": "https://onedrive.live.com/?id={gid}",
    "external": "https://files.partner.example/{gid}/{name}",
    "vimeo": "https://vimeo.com/{gid}",
}


class Activity:
    """Adds stories, likes and attachments to a batch, for any parent (task or message)."""

    def __init__(self, ctx: Context, prose: Prose) -> None:
        self.ctx, self.rng, self.prose = ctx, ctx.rng, prose

    def likes(
        self,
        batch: Batch,
        table: Table,
        parent: dict[str, int],
        people: Sequence[Person],
        count: int,
        after: datetime,
    ) -> None:
        """`count` likes (fewer if fewer people) by different people, after `after`."""
        for person in self.rng.sample(people, min(count, len(people))):
            batch.add(
                table, gid=self.ctx.gid(), **parent, user_gid=person.gid,
                created_at=self.ctx.later(after, 10 * DAY_MS),
            )  # fmt: skip

    def system(
        self,
        batch: Batch,
        parent: dict[str, int | None],
        when: datetime,
        author: Person,
        subtype: str,
        text: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """A system story: a change someone made (`details` holds its values)."""
        self._add_story(
            batch, parent, when, author, "system", subtype, text, html(text), details=details
        )

    def comment(
        self, batch: Batch, parent: dict[str, int | None], when: datetime, people: Sequence[Person]
    ) -> None:
        """A comment by one of `people` (who may mention another), some of them liked."""
        rng = self.rng
        author = rng.choice(people)
        text = self.prose.comment()
        body = html(text)
        if len(people) > 1 and rng.random() < 0.15:
            mentioned = rng.choice(people)
            if mentioned is not author:
                body = mention_html(mentioned.gid, mentioned.name, text)
                text = f"@{mentioned.name} {text}"
        sticker = rng.choice(v.STICKER_NAMES) if rng.random() < 0.02 else None
        story_gid = self._add_story(
            batch, parent, when, author, "comment", "comment_added", text, body,
            pinned=rng.random() < 0.02, edited=rng.random() < 0.1, sticker=sticker,
        )  # fmt: skip
        if rng.random() < 0.1:
            self.likes(
                batch, story_likes, {"story_gid": story_gid}, people, rng.randint(1, 2), when
            )

    def _add_story(
        self,
        batch: Batch,
        parent: dict[str, int | None],
        when: datetime,
        author: Person,
        kind: str,
        subtype: str,
        text: str,
        html_text: str,
        *,
        details: dict[str, Any] | None = None,
        pinned: bool = False,
        edited: bool = False,
        sticker: str | None = None,
    ) -> int:
        gid = self.ctx.gid()
        modified = self.ctx.later(when, HOUR_MS) if edited else when
        batch.add(
            stories, gid=gid, **parent, created_by_gid=author.gid, type=kind,
            resource_subtype=subtype, text=text, html_text=html_text, is_pinned=pinned,
            is_edited=edited, sticker_name=sticker, source=self.rng.choice(SOURCES),
            details=details, created_at=when, modified_at=modified,
            deleted_at=self.ctx.deleted_at("stories", modified),
        )  # fmt: skip
        return gid

    def attachment(self, batch: Batch, parent: dict[str, int | None], when: datetime) -> None:
        """File metadata (the bytes are not stored)."""
        rng, gid = self.rng, self.ctx.gid()
        name, host = rng.choice(words.FILES), rng.choice(HOSTS)
        if host == "asana":
            size: int | None = rng.randint(2_000, 25_000_000)
            url = f"https://app.asana.com/app/asana/-/get_asset?asset_id={gid}"
        else:
            size, url = None, _EXTERNAL_URLS[host].format(gid=gid, name=name)
        batch.add(
            attachments, gid=gid, **parent, name=name, resource_subtype=host, host=host,
            size=size, permanent_url=url, connected_to_app=host == "external",
            created_at=when, modified_at=when,
            deleted_at=self.ctx.deleted_at("attachments", when),
        )  # fmt: skip
