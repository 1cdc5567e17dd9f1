"""What every API endpoint shares, built once: authentication, `opt_fields`/`opt_pretty`,
path gids, request bodies, pagination, and the `{"data": …}` envelope (C1 to C3).

A handler is a plain synchronous function `Call -> Reply`; it runs in a worker thread so
database work never blocks the event loop, and it never sees HTTP details it has no use for.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from exportd.api.auth import authenticate
from exportd.api.responses import json_response
from exportd.domain.projection import FieldTree, compact_tree, full_tree, parse_fields, project
from exportd.domain.resources import RESOURCES, Resource
from exportd.errors import InvalidRequest, clip
from exportd.numbers import parse_gid as gid_of
from exportd.numbers import parse_integer
from exportd.runtime import Runtime

Model = TypeVar("Model", bound=BaseModel)
MAX_LIMIT = 100
_TRUE, _FALSE = ("", "true", "1"), ("false", "0")
_NUL = "\x00"


def parse_gid(value: str, name: str) -> int:
    """A gid from user input: a numeric string that fits the store, or a 400 naming it."""
    gid = gid_of(value)
    if gid is None:
        raise InvalidRequest(f"{name}: '{clip(value)}' is not a valid gid")
    return gid


def parse_offset(offset: str) -> int:
    """The gid an `offset` token (made by `_next_page`) continues after, or a 400."""
    try:
        return parse_gid(base64.urlsafe_b64decode(offset.encode("ascii")).decode(), "offset")
    except (ValueError, binascii.Error, InvalidRequest):  # UnicodeError is a ValueError
        raise InvalidRequest("offset: your pagination token is invalid") from None


def check_no_nul(value: Any, place: str) -> None:
    """Refuse NUL characters anywhere in decoded input (PostgreSQL cannot store them).

    Walks with a stack, not recursion: JSON may nest deeper than Python's recursion limit.
    """
    pending: list[tuple[Any, str]] = [(value, place)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            if _NUL in item:
                raise InvalidRequest(f"{where or 'data'}: must not contain NUL characters")
        elif isinstance(item, dict):
            for key, child in item.items():
                pending.append((key, where or "data"))
                pending.append((child, f"{where}.{clip(key)}" if where else clip(key)))
        elif isinstance(item, list):
            pending.extend((child, f"{where}[{index}]") for index, child in enumerate(item))


@dataclass(frozen=True)
class Page:
    """Keyset pagination: `limit` objects with a gid above `after`."""

    limit: int | None
    after: int = 0

    @property
    def fetch(self) -> int | None:
        """How many rows to read: one more than shown tells whether another page follows."""
        return None if self.limit is None else self.limit + 1

    def reply(self, rows: Sequence[Any], shape: Callable[[Any], Mapping[str, Any]]) -> Reply:
        """The page of `rows` (read with `fetch`) as a reply with its `next_page`."""
        if self.limit is None:
            return Reply([shape(row) for row in rows])
        shown = rows[: self.limit]
        more = len(rows) > self.limit
        return Reply(
            [shape(row) for row in shown],
            paginated=True,
            next_after=shown[-1].gid if more else None,
        )


@dataclass(frozen=True)
class Call:
    """One authenticated API call, as a handler sees it."""

    runtime: Runtime
    caller_gid: int
    path_params: Mapping[str, str]
    query: QueryParams
    content_type: str
    body: bytes

    def path_gid(self, name: str) -> int:
        return parse_gid(self.path_params[name], name)

    def page(self) -> Page:
        """`limit` (1 to 100) and the opaque `offset` token of Asana's pagination."""
        raw_limit, offset = self.query.get("limit"), self.query.get("offset")
        limit = None
        if raw_limit is not None:
            limit = parse_integer(raw_limit, MAX_LIMIT)
            if not limit:
                raise InvalidRequest(f"limit: must be an integer from 1 to {MAX_LIMIT}")
        if offset is None:
            return Page(limit)
        if limit is None:
            raise InvalidRequest("offset: only valid together with limit")
        return Page(limit, parse_offset(offset))

    def data(self, model: type[Model]) -> Model:
        """The `data` object of a JSON body, validated by `model` (unknown fields refused)."""
        media_type = self.content_type.split(";")[0].strip().lower()
        if media_type != "application/json":
            # 400, not 415: Asana's spec documents 400 for every malformed request.
            raise InvalidRequest(
                f"Content-Type must be application/json, got '{clip(media_type) or 'none'}'"
            )
        try:
            envelope = orjson.loads(self.body)
        except orjson.JSONDecodeError as error:
            raise InvalidRequest(f"Malformed JSON in the request body: {error}") from None
        if not isinstance(envelope, dict) or "data" not in envelope:
            raise InvalidRequest('data: Missing input (the body must be {"data": {…}})')
        unknown = sorted(set(envelope) - {"data", "options"})
        if unknown:
            raise InvalidRequest(f"{clip(unknown[0])}: unknown field in the request body")
        if not isinstance(envelope["data"], dict):
            raise InvalidRequest("data: must be an object")
        if b"\\u0000" in self.body:  # JSON writes NUL only escaped, so only then look
            check_no_nul(envelope["data"], "")
        try:
            return model.model_validate(envelope["data"], strict=True)
        except ValidationError as error:
            raise InvalidRequest(describe(error)) from None


def describe(error: ValidationError) -> str:
    """The first validation problem as `field: message`, in Asana's words where it has some."""
    problem = error.errors(include_url=False)[0]
    where = clip(".".join(str(part) for part in problem["loc"])) or "data"
    messages = {"missing": "Missing input", "extra_forbidden": "unknown field"}
    return f"{where}: {messages.get(problem['type'], problem['msg'])}"


@dataclass(frozen=True)
class Reply:
    """What a handler returns: objects (full shapes) to project and wrap in the envelope."""

    data: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    status: int = 200
    next_after: int | None = None  # gid to continue from, when a page was cut short
    paginated: bool = False


@dataclass(frozen=True)
class Options:
    """`opt_fields` and `opt_pretty` (C2)."""

    fields: FieldTree | None = None
    pretty: bool = False

    @classmethod
    def parse(cls, query: QueryParams, resource: Resource) -> Options:
        pretty = query.get("opt_pretty")
        if pretty is not None and pretty.lower() not in _TRUE + _FALSE:
            raise InvalidRequest(f"opt_pretty: must be true or false, got '{clip(pretty)}'")
        raw = query.get("opt_fields")
        fields = parse_fields(raw.split(","), resource, parameter="opt_fields") if raw else None
        return cls(fields, pretty is not None and pretty.lower() in _TRUE)


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Endpoint:
    """An API route: its handler, the resource it returns, and its default representation."""

    handler: Handler
    resource: Resource
    compact: bool = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An ASGI app, so Starlette hands it the raw request (errors go to the handlers)."""
        response = await self.respond(Request(scope, receive))
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        authorization = request.headers.get("authorization")
        caller = await run_in_threadpool(authenticate, runtime, authorization)
        for name, value in request.query_params.multi_items():
            check_no_nul(value, clip(name))
        options = Options.parse(request.query_params, self.resource)
        call = Call(
            runtime=runtime,
            caller_gid=caller,
            path_params=request.path_params,
            query=request.query_params,
            content_type=request.headers.get("content-type", ""),
            body=await request.body(),
        )
        reply = await run_in_threadpool(self.handler, call)
        return self._render(request, reply, options)

    def _render(self, request: Request, reply: Reply, options: Options) -> Response:
        default = compact_tree if self.compact else full_tree
        tree = options.fields or default(self.resource)
        if isinstance(reply.data, Mapping):
            body: dict[str, Any] = {"data": project(reply.data, tree)}
        else:
            body = {"data": [project(item, tree) for item in reply.data]}
        if reply.paginated:
            body["next_page"] = _next_page(request, reply.next_after)
        return json_response(body, status=reply.status, pretty=options.pretty)


def _next_page(request: Request, after: int | None) -> dict[str, str] | None:
    """Asana's `next_page`: the offset token, and the path and URI of the next page."""
    if after is None:
        return None
    offset = base64.urlsafe_b64encode(str(after).encode()).decode()
    url = request.url.include_query_params(offset=offset)
    path = url.path.split("/api/1.0", 1)[-1] + "?" + url.query
    base = request.app.state.runtime.settings.public_url.rstrip("/")
    return {"offset": offset, "path": path, "uri": f"{base}/api/1.0{path}"}


def route(
    path: str, handler: Handler, resource: str, *, method: str = "GET", compact: bool = False
) -> Route:
    """A route whose handler returns objects of `resource` (compact by default for lists)."""
    return Route(path, Endpoint(handler, RESOURCES[resource], compact), methods=[method])
