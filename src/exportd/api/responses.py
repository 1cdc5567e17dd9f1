"""JSON responses: orjson, optionally indented (`opt_pretty`), and Asana's error body (C1)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from exportd.errors import HELP

MEDIA_TYPE = "application/json; charset=utf-8"
_PHRASE_WORDS = (
    "amber", "brave", "calm", "daring", "eager", "fuzzy", "gentle", "happy", "jolly", "lucky",
    "otter", "panda", "quokka", "raven", "squid", "tapir", "walrus", "yak", "zebra", "heron",
    "dance", "hum", "leap", "nap", "paint", "roam", "sing", "swim", "wander", "whistle",
)  # fmt: skip


def json_response(
    body: Any,
    *,
    status: int = 200,
    pretty: bool = False,
    headers: Mapping[str, str] | None = None,
) -> Response:
    option = orjson.OPT_INDENT_2 if pretty else 0
    return Response(orjson.dumps(body, option=option), status, headers, MEDIA_TYPE)


def error_body(message: str, *, phrase: str | None = None) -> dict[str, Any]:
    error: dict[str, str] = {"message": message, "help": HELP}
    if phrase:
        error["phrase"] = phrase
    return {"errors": [error]}


def new_phrase() -> str:
    """A short memorable phrase that ties a 500 response to its log line."""
    words = [secrets.choice(_PHRASE_WORDS) for _ in range(4)]
    return f"{secrets.randbelow(90) + 10} {' '.join(words)}"
