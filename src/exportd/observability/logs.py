"""exportd's logging, set up once per process for every command.

Every line — exportd's own, uvicorn's (access and error), alembic's, procrastinate's — goes
through one handler on the root logger, formatted as readable text (the default) or, with
`EXPORTD_LOG_FORMAT=json`, as one JSON object per line for a log shipper: `time`, `level`,
`logger`, `message`, then the line's context (`request_id`, `export_gid`, …) and
`exception` (a traceback) when there is one.

Context is bound with `bound(**fields)`: the request-id middleware binds `request_id` for
a request, an export attempt its gid, kind and attempt number, and every line logged in
that block (threads started with a copy of the context included) carries them. Fields
given to one call with `extra=` are part of that line's context too.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType, TracebackType
from typing import Any, Literal

import orjson

from exportd.api.redaction import RedactedAccessLog

LogFormat = Literal["text", "json"]

_context: ContextVar[Mapping[str, Any]] = ContextVar(
    "exportd_log_context", default=MappingProxyType({})
)

_STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}
"""A record's own attributes; anything else on it came from `extra=` and is context."""

QUIET_LOGGERS = ("procrastinate",)
"""Libraries that log every task they run: warnings only, unless the level is `debug`."""


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Add `fields` to the context of every line logged in this block (None values are
    left out)."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> Mapping[str, Any]:
    """The fields bound here (the request id of the request being served, …)."""
    return _context.get()


def context_of(record: logging.LogRecord) -> dict[str, Any]:
    """A line's context: the fields bound where it was logged, then its own `extra=`."""
    fields = dict(_context.get())  # formatting runs in the thread that logged
    fields.update(
        (key, value) for key, value in record.__dict__.items() if key not in _STANDARD_ATTRIBUTES
    )
    return fields


class JsonLines(logging.Formatter):
    """One JSON object per line; values JSON cannot hold are written as their text."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_access_fields(record))
        for key, value in context_of(record).items():
            line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["exception"] = record.stack_info
        return orjson.dumps(line, default=str).decode()


def _access_fields(record: logging.LogRecord) -> dict[str, Any]:
    """uvicorn's access line as fields (its target already redacted: `RedactedAccessLog`)."""
    args = record.args
    if record.name != "uvicorn.access" or not isinstance(args, tuple) or len(args) != 5:
        return {}
    client, method, target, _version, status = args
    return {"client": client, "method": method, "path": target, "status": status}


class Text(logging.Formatter):
    """`time level logger message`, then the context as `key=value` pairs."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        fields = context_of(record)
        pairs = " ".join(f"{key}={value}" for key, value in fields.items())
        return (
            f"{super().formatMessage(record)} {pairs}" if pairs else super().formatMessage(record)
        )


class _Handler(logging.StreamHandler[Any]):
    """The one handler exportd installs on the root logger (told apart when replaced). It
    writes to whatever `sys.stderr` is when a line is logged, so a command run in-process
    (tests, embedding) whose stderr was swapped and closed leaves no dead stream behind."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _stream: Any) -> None:
        pass


class _AlembicPreamble(logging.Filter):
    """Drops the two lines alembic logs whenever it looks at the schema ("Context impl …",
    "Will assume … DDL"): every readiness probe would log them, and they say nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Context impl ", "Will assume "))


def configure(log_format: LogFormat, level: str, *, floor: int = logging.NOTSET) -> None:
    """Route every logger to one handler on stderr in `log_format`, at `level` (but never
    below `floor`: one-shot commands log warnings only). Safe to call again."""
    numeric = max(logging.getLevelNamesMapping().get(level.upper(), logging.INFO), floor)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(handler)
    handler = _Handler()
    handler.setFormatter(JsonLines() if log_format == "json" else Text())
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        library = logging.getLogger(name)  # to the root handler, whatever configured it before
        library.handlers.clear()
        library.propagate = True
        library.setLevel(logging.NOTSET)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactedAccessLog) for f in access.filters):
        access.addFilter(RedactedAccessLog())
    alembic = logging.getLogger("alembic.runtime.migration")
    if not any(isinstance(f, _AlembicPreamble) for f in alembic.filters):
        alembic.addFilter(_AlembicPreamble())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(
            logging.DEBUG if numeric <= logging.DEBUG else logging.WARNING
        )
    if log_format == "json":  # nothing else may write a line of its own
        logging.captureWarnings(True)
        sys.excepthook = _log_uncaught
        threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(
    kind: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> None:
    logging.getLogger("exportd").critical("uncaught exception", exc_info=(kind, error, traceback))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    logging.getLogger("exportd").error(
        "uncaught exception in thread %s",
        args.thread.name if args.thread else "?",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
