"""Credentials kept out of logs: download links and secrets in query strings.

A `/downloads/<token>` link is a bearer credential for an hour, and clients put tokens in
query strings (`?access_token=…`), so the access log and exportd's error lines show request
targets with those parts replaced. Query parameters are shown by name; only the values of
parameters known to be harmless are kept, so a secret under any name stays out.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote_plus

REDACTED = "[redacted]"
SHOWN_PARAMETERS = frozenset(
    {
        "limit", "offset", "opt_fields", "opt_pretty", "workspace",
        "client_id", "redirect_uri", "response_type", "scope", "code_challenge_method",
    }
)  # fmt: skip
"""Query parameters whose values are worth logging and reveal nothing."""

_SECRET_PATHS = ("/downloads/",)


def redact_target(target: str) -> str:
    """A request's path and query as they may be logged."""
    path, separator, query = target.partition("?")
    for prefix in _SECRET_PATHS:
        if path.startswith(prefix) and len(path) > len(prefix):
            path = prefix + REDACTED
    if not query:
        return path + separator
    return f"{path}?{'&'.join(_redact_pair(pair) for pair in query.split('&'))}"


def _redact_pair(pair: str) -> str:
    name, equals, value = pair.partition("=")
    if not equals or unquote_plus(name) in SHOWN_PARAMETERS:
        return pair
    return f"{name}={REDACTED}" if value else pair


class RedactedAccessLog(logging.Filter):
    """For uvicorn's access logger, whose arguments are (client, method, target, version,
    status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_target(args[2]), *args[3:])
        return True
