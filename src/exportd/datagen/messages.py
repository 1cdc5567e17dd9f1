"""Messages and status updates, with their parents, followers, likes, comments and files.

A default message goes to one to three projects, teams, portfolios or goals; a status update
goes to exactly one, and its status fits what it reports on (goals end `achieved` or
`missed`, projects `complete`).
"""

from __future__ import annotations

from collections.abc import Iterator

from exportd.datagen import words
from exportd.datagen.activity import Activity
from exportd.datagen.context import DAY_MS, Batch, Context
from exportd.datagen.directory import Directory, Parent
from exportd.datagen.prose import Prose, html, short_date
from exportd.datagen.spec import SeedSpec
from exportd.store.schema import message_followers, message_likes, message_parents, messages

CHUNK = 2_000

STATUS_TYPES = {
    "project": ("on_track", "at_risk", "off_track", "on_hold", "complete"),
    "portfolio": ("on_track", "at_risk", "off_track", "on_hold", "complete"),
    "team": ("on_track", "at_risk", "off_track", "on_hold"),
    "goal": ("on_track", "at_risk", "off_track", "achieved", "partial", "missed", "dropped"),
}


def message_batches(
    ctx: Context, prose: Prose, directory: Directory, spec: SeedSpec, chunk: int = CHUNK
) -> Iterator[Batch]:
    """Batches of about `chunk` messages each; `spec.messages` of them stay live."""
    activity = Activity(ctx, prose)
    rng = ctx.rng
    projects = [Parent(p.gid, p.name, "project") for p in directory.projects]
    by_kind = [
        kind for kind in (projects, directory.portfolios, directory.teams, directory.goals) if kind
    ]
    batch = Batch()
    for made, deleted in enumerate(ctx.plan("messages", spec.messages), start=1):
        gid, created = ctx.gid(), ctx.moment()
        author = rng.choice(directory.people)
        if rng.random() < 0.4:
            parents = [rng.choice(rng.choice(by_kind))]
            status = rng.choice(STATUS_TYPES[parents[0].kind])
            title = f"{parents[0].name}: status update for {short_date(created.date())}"
            text = f"{rng.choice(words.STATUS_HEADLINES)} {prose.sentences(1, 3)}"
        else:
            candidates = projects + directory.teams + directory.portfolios + directory.goals
            parents = rng.sample(candidates, min(len(candidates), rng.randint(1, 3)))
            status, title, text = None, rng.choice(words.MESSAGE_TITLES), prose.sentences(2, 4)
        for parent in parents:
            batch.add(
                message_parents, message_gid=gid, parent_gid=parent.gid, parent_type=parent.kind
            )
        # Everyone the message was sent to follows it.
        recipients = rng.sample(directory.people, min(len(directory.people), 3))
        followers = [author, *(p for p in recipients if p is not author)]
        for person in followers:
            batch.add(message_followers, message_gid=gid, user_gid=person.gid)
        activity.likes(
            batch, message_likes, {"message_gid": gid}, directory.people,
            rng.choice((0, 0, 1, 2, 3)), created,
        )  # fmt: skip
        on_message: dict[str, int | None] = {"task_gid": None, "message_gid": gid}
        latest = created
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            latest = ctx.later(latest, 3 * DAY_MS)
            activity.comment(batch, on_message, latest, followers)
        if rng.random() < 0.2:
            activity.attachment(batch, on_message, created)
        modified = ctx.later(latest, DAY_MS)
        batch.add(
            messages, gid=gid, workspace_gid=directory.workspace_gid,
            resource_subtype="status_update" if status else "default", status_type=status,
            title=title, text=text, html_text=html(text), created_by_gid=author.gid,
            created_at=created, modified_at=modified,
            deleted_at=ctx.later(modified, 30 * DAY_MS) if deleted else None,
        )  # fmt: skip
        if made % chunk == 0:
            yield batch
            batch = Batch()
    if batch.rows:
        yield batch
