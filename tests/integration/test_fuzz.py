"""Fuzzing every endpoint over real HTTP: whatever a client sends (paths, queries, headers,
JSON and form bodies, in shapes close to valid and far from it), exportd answers within
seconds and never with a 5xx.

Hypothesis draws the requests; the values lean towards what has broken servers before:
huge and non-ASCII numbers, NUL characters, long strings, wrong types, deep nesting, and
the real gids and tokens of a small world, so that requests get past the first checks.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exportd.runtime import Runtime
from exportd.store import tokens
from tests.conftest import LiveServer
from tests.integration.oauth_support import OAuthWorld, build_oauth_world

EXAMPLES = 1_000  # per test and backend: under half a minute each on two shared cores

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written to the checkout; a failure prints its example
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ODD_TEXT = [
    "", " ", "0", "-1", "1e9", "²", "٣", "١٢٣", str(1 << 63), str((1 << 63) - 1),
    "\x00", "a\x00b", "null", "true", "[]", "{}", "%00", "../../etc/passwd",
    "😀", "\ud7ff", "me", "-",
]  # fmt: skip
HUGE_NUMBER = st.integers(4_301, 6_000).map(lambda digits: "9" * digits)
LONG_TEXT = st.sampled_from([("9", 5_000), ("x", 5_000), ("é", 1_500), ("٣", 1_500),
                             (".name", 1_000)]).map(lambda pair: pair[0] * pair[1])  # fmt: skip


@pytest.fixture
def o(runtime: Runtime) -> OAuthWorld:
    return build_oauth_world(runtime)


@pytest.fixture
def robot_token(runtime: Runtime, o: OAuthWorld) -> str:
    """A token of Acme's service account, which may export: requests get that far too."""
    with runtime.database.write() as connection:
        return tokens.issue_token(
            connection, user_gid=o.service_account, token_gid=runtime.gids.next_int(),
            now=runtime.clock(),
        )  # fmt: skip


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=15) as client:
        yield client


def texts(o: OAuthWorld) -> st.SearchStrategy[str]:
    """Strings a client might send where exportd expects a gid, a name, a token."""
    world = o.world
    real = [str(world.acme), str(world.globex), str(world.admin), str(world.member),
            o.client_id, o.redirect_uri, world.admin_token, o.email]  # fmt: skip
    return st.one_of(
        st.sampled_from(real),
        st.sampled_from(ODD_TEXT),
        LONG_TEXT,
        HUGE_NUMBER,
        st.text(max_size=40),
        st.from_regex(r"[0-9]{1,25}", fullmatch=True),
        st.binary(max_size=30).map(lambda raw: base64.urlsafe_b64encode(raw).decode()),
    )


def json_values(o: OAuthWorld) -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False), texts(o),
    )  # fmt: skip
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.one_of(texts(o), st.sampled_from(KEYS)), children, max_size=4),
        ),
        max_leaves=20,
    )


KEYS = [
    "data", "options", "name", "organization", "workspace", "export_request_parameters",
    "resource_type", "filters", "fields", "assignee.any", "created_by.any", "followers.any",
    "created_at.after", "modified_at.before", "task", "team", "message",
]  # fmt: skip

FORM_KEYS = [
    "client_id", "client_secret", "grant_type", "code", "redirect_uri", "refresh_token",
    "code_verifier", "token", "token_type_hint", "scope", "state", "response_type",
    "code_challenge", "code_challenge_method", "csrf_token", "action", "email", "password",
]  # fmt: skip

QUERY_KEYS = ["limit", "offset", "opt_fields", "opt_pretty", "workspace", *FORM_KEYS]


def export_part(o: OAuthWorld) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {"resource_type": st.sampled_from(["task", "team", "message", "user", ""])},
        optional={
            "filters": st.dictionaries(st.sampled_from(KEYS), json_values(o), max_size=3),
            "fields": st.lists(
                st.one_of(
                    texts(o),
                    st.sampled_from(["name", "assignee.name", "stories", "notes", "members.name"]),
                ),
                max_size=4,
            ),
        },
    )


def to_json(value: Any) -> bytes:
    """JSON text of any value (the standard library writes integers of any size)."""
    return json.dumps(value).encode()


def json_bodies(o: OAuthWorld) -> st.SearchStrategy[bytes]:
    near_valid = st.fixed_dictionaries(
        {},
        optional={
            "name": texts(o),
            "organization": texts(o),
            "workspace": texts(o),
            "export_request_parameters": st.one_of(
                st.lists(export_part(o), max_size=3), json_values(o)
            ),
        },
    ).map(lambda data: {"data": data})
    return st.one_of(
        near_valid.map(to_json),
        json_values(o).map(to_json),
        st.binary(max_size=50),
        st.just(2_000).map(lambda depth: b'{"data":' * depth + b"1" + b"}" * depth),
        st.just(to_json({"data": {"name": [[[[[[[[[[["deep"]]]]]]]]]]]}})),
    )


def form_bodies(o: OAuthWorld) -> st.SearchStrategy[list[tuple[str, str]]]:
    return st.lists(st.tuples(st.sampled_from(FORM_KEYS), texts(o)), max_size=6)


def requests(
    o: OAuthWorld,
    *,
    paths: st.SearchStrategy[str],
    body: st.SearchStrategy[Any],
    authorization: st.SearchStrategy[str | None] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """One request to one of `paths`: method, query, headers and a body."""
    basic = base64.b64encode(f"{o.client_id}:{o.client_secret}".encode()).decode()
    if authorization is None:
        authorization = st.one_of(
            st.just(None),
            st.just(f"Bearer {o.world.admin_token}"),
            st.just(f"Basic {basic}"),
            texts(o).map(lambda text: f"Bearer {text}"),
            texts(o).map(lambda text: f"Basic {text}"),
        )
    content_type = st.sampled_from([
        None, "application/json", "application/json", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "text/plain", "application/json; charset=latin-1",
    ])  # fmt: skip
    return st.fixed_dictionaries(
        {
            "method": st.sampled_from(["GET", "GET", "POST", "POST", "PUT", "HEAD", "DELETE"]),
            "path": paths,
            "params": st.lists(st.tuples(st.sampled_from(QUERY_KEYS), texts(o)), max_size=4),
            "authorization": authorization,
            "content_type": content_type,
            "body": body,
        }
    )


def header_value(text: str) -> str:
    """`text` as a header may carry it (HTTP refuses control characters and edge spaces)."""
    return "".join(c if 0x20 <= ord(c) <= 0x7E else "_" for c in text).strip() or "_"


def send(client: httpx.Client, request: dict[str, Any]) -> httpx.Response:
    headers = {}
    if request["authorization"] is not None:
        headers["Authorization"] = header_value(request["authorization"])
    if request["content_type"] is not None:
        headers["Content-Type"] = request["content_type"]
    body = request["body"]
    if isinstance(body, list):
        body = str(httpx.QueryParams(body)).encode()
    return client.request(
        request["method"], request["path"], params=request["params"], headers=headers,
        content=body,
    )  # fmt: skip


API_PATHS = ["/api/1.0/users/me", "/api/1.0/users", "/api/1.0/workspaces",
             "/api/1.0/organization_exports", "/api/1.0/exports/resource"]  # fmt: skip
API_GID_PATHS = ["/api/1.0/users/", "/api/1.0/workspaces/", "/api/1.0/organization_exports/",
                 "/api/1.0/jobs/"]  # fmt: skip
OPEN_PATHS = ["/-/oauth_authorize", "/-/oauth_token", "/-/oauth_revoke", "/healthz", "/readyz",
              "/api/1.0/", "/"]  # fmt: skip


def check(client: httpx.Client, request: dict[str, Any]) -> None:
    response = send(client, request)
    assert response.status_code < 500, (request, response.status_code, response.text[:500])


def test_the_api_with_a_token_never_answers_5xx(
    client: httpx.Client, o: OAuthWorld, robot_token: str
) -> None:
    """Requests that get past authentication, to every API endpoint, with JSON bodies."""
    paths = st.one_of(
        st.sampled_from(API_PATHS),
        st.tuples(st.sampled_from(API_GID_PATHS), texts(o)).map(
            lambda parts: parts[0] + quote(parts[1], safe="")
        ),
    )
    token = st.sampled_from([o.world.admin_token, o.world.member_token, robot_token]).map(
        lambda token: f"Bearer {token}"
    )

    @FUZZ
    @given(request=requests(o, paths=paths, authorization=token, body=json_bodies(o)))
    def run(request: dict[str, Any]) -> None:
        check(client, request)

    run()


def test_the_open_endpoints_never_answer_5xx(client: httpx.Client, o: OAuthWorld) -> None:
    """The OAuth pages and token endpoints, downloads and health, with forms (or not)."""
    paths = st.one_of(
        st.sampled_from(OPEN_PATHS),
        texts(o).map(lambda text: "/downloads/" + quote(text, safe="")),
    )
    body = st.one_of(st.none(), form_bodies(o), json_bodies(o))

    @FUZZ
    @given(request=requests(o, paths=paths, body=body))
    def run(request: dict[str, Any]) -> None:
        check(client, request)

    run()


FILTERS = ["assignee.any", "assigned_by.any", "commented_on_by.any", "created_by.any",
           "followers.any", "liked_by.any", "created_at.after", "created_at.before",
           "modified_at.after", "modified_at.before", "completed"]  # fmt: skip


def test_writes_close_to_valid_never_answer_5xx(
    client: httpx.Client, o: OAuthWorld, robot_token: str
) -> None:
    """Renames and export requests that are valid but for a detail, from callers who may
    make them: what gets past every check is stored, and must be storable."""
    world = o.world
    users = st.sampled_from([str(world.admin), str(world.member), str(world.outsider)])
    moments = st.sampled_from(["2024-01-01T00:00:00Z", "2024-01-01T00:00:00", "2024-13-01Z"])
    filters = st.dictionaries(
        st.sampled_from(FILTERS),
        st.one_of(st.lists(st.one_of(users, texts(o)), max_size=3), moments, json_values(o)),
        max_size=3,
    )
    part = st.fixed_dictionaries(
        {"resource_type": st.sampled_from(["task", "team", "message"])},
        optional={
            "filters": filters,
            "fields": st.lists(st.one_of(st.sampled_from(["name", "assignee.name", "notes",
                                                           "stories", "members.name",
                                                           "html_notes"]), texts(o)),
                               max_size=3),
        },
    )  # fmt: skip
    workspace = st.one_of(st.just(str(world.acme)), texts(o))
    writes = st.one_of(
        st.fixed_dictionaries(
            {"method": st.just("PUT"), "path": st.just(f"/api/1.0/workspaces/{world.acme}"),
             "body": st.fixed_dictionaries({"name": texts(o)})}
        ),
        st.fixed_dictionaries(
            {"method": st.just("POST"), "path": st.just("/api/1.0/organization_exports"),
             "body": st.fixed_dictionaries({"organization": workspace})}
        ),
        st.fixed_dictionaries(
            {"method": st.just("POST"), "path": st.just("/api/1.0/exports/resource"),
             "body": st.fixed_dictionaries(
                 {"workspace": workspace,
                  "export_request_parameters": st.lists(part, min_size=1, max_size=3)})}
        ),
    )  # fmt: skip
    callers = st.sampled_from([world.admin_token, robot_token])

    @FUZZ
    @given(write=writes, caller=callers)
    def run(write: dict[str, Any], caller: str) -> None:
        check(client, {
            "method": write["method"], "path": write["path"], "params": [],
            "authorization": f"Bearer {caller}", "content_type": "application/json",
            "body": to_json({"data": write["body"]}),
        })  # fmt: skip

    run()
