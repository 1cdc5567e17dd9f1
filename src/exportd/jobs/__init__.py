"""Running export jobs: what handlers see (`context`) and the embedded runner (`runner`).

The lifecycle itself (claim, lease, heartbeat, finish, fail, release) lives in
`store.jobs`, and its rules in `domain.jobs`; this package only drives them.
"""

from exportd.domain.jobs import PermanentExportError
from exportd.jobs.context import Handler, JobCancelled, JobContext, JobOutcome
from exportd.jobs.runner import WorkerPool

__all__ = [
    "Handler",
    "JobCancelled",
    "JobContext",
    "JobOutcome",
    "PermanentExportError",
    "WorkerPool",
]
