"""The root exception of exportd and the HTTP-facing errors users see.

Each error carries the status and the message shown to the user, written once where the
error is raised; one handler in the API turns them into Asana's error body.
"""

from __future__ import annotations

HELP = (
    "For more information on API status codes and how to handle them, read the docs on "
    "errors: https://developers.asana.com/docs/errors"
)


SHOWN_INPUT = 80
"""Most characters of a client's input an error message repeats (a 60 KB value is not
worth echoing back, and must not make the error 60 KB)."""

MAX_MESSAGE = 1_000
"""Longest message an error carries, whatever it quotes."""


def clip(text: str, limit: int = SHOWN_INPUT) -> str:
    """`text` as an error message may quote it: cut to `limit` characters, marked when cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


class ExportdError(Exception):
    """Root of every error exportd raises on purpose."""

    status: int = 500

    def __init__(self, message: str) -> None:
        message = clip(message, MAX_MESSAGE)
        super().__init__(message)
        self.message = message


class InvalidRequest(ExportdError):
    """Malformed or invalid input (400)."""

    status = 400


class NotAuthorized(ExportdError):
    """Missing, malformed, unknown, expired or revoked credentials (401)."""

    status = 401


class Forbidden(ExportdError):
    """The caller is known but lacks the capability (403)."""

    status = 403


class NotFound(ExportdError):
    """The object does not exist or the caller may not see it (404): existence is not leaked."""

    status = 404


class RequestTimeout(ExportdError):
    """The client took too long to send its request (408)."""

    status = 408


class Conflict(ExportdError):
    """The request conflicts with the current state of the store (409)."""

    status = 409


class TooManyRequests(ExportdError):
    """A limit on what one client may have going at once (429); `retry_after` in seconds."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigurationError(ExportdError):
    """Settings that cannot work, reported before anything starts."""
