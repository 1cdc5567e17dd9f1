"""Numbers written by clients (paths, queries, bodies, forms, filters), parsed in one place.

Only ASCII digits make a number, and the digit count is bounded before anything is
converted: `str.isdigit()` accepts Unicode digits such as `²` or `٣` and `int()` refuses
strings of more than 4,300 digits, so neither is used on input directly.
"""

from __future__ import annotations

import re

MAX_GID = (1 << 63) - 1
"""The largest gid: gids are 63-bit integers (a signed BIGINT)."""

_DIGITS = re.compile(r"[0-9]+")


def parse_integer(text: str, maximum: int) -> int | None:
    """The number `text` writes, from 0 to `maximum`, or None when it writes no such number."""
    if len(text) > len(str(maximum)) or not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if number <= maximum else None


def parse_gid(text: str) -> int | None:
    """The gid `text` writes (1 to 2⁶³-1 in ASCII digits), or None when it is not a gid."""
    number = parse_integer(text, MAX_GID)
    return number or None
