"""Export jobs on procrastinate, a job queue kept in the same PostgreSQL.

`delivery` is the API's half: one message per new export, deferred in the transaction
that creates the job. `worker` is the `exportd worker` half: procrastinate's worker runs
the messages as tasks, each one claiming its job in the `exports` table and running it as
an `Attempt`. The `exports` row stays the job; procrastinate only carries the news that it
is ready, and carries it again when a worker died or gave it back.
"""

from exportd.jobs.queue.delivery import QUEUE, RUN_EXPORT, Delivery, libpq_url

__all__ = ["QUEUE", "RUN_EXPORT", "Delivery", "libpq_url"]
