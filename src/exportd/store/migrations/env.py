"""Alembic environment: runs on the connection exportd hands over (see store.migrate)."""

from alembic import context

from exportd.store.migrate import include_name
from exportd.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `exportd db upgrade`, which supplies a connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite alters tables by copying them; Alembic's batch mode does it
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
