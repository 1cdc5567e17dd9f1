"""Two `exportd serve` processes on one PostgreSQL share each token's quota through Redis:
a client spreading its calls over both is held to one limit, not one per process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from exportd import compose
from exportd.settings import Settings
from tests.conftest import _postgres_schema
from tests.e2e.server import Server
from tests.integration.world import World, build_world

REDIS_URL = os.environ.get("EXPORTD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
QUOTA = 12

pytestmark = pytest.mark.postgres


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI and did not answer: {error}")
        pytest.skip(f"Redis not available: {error}")
    return REDIS_URL


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_schema()


@pytest.fixture
def world(tmp_path: Path, postgres_url: str) -> World:
    runtime = compose.open_runtime(Settings.load(home=tmp_path / "seed", database_url=postgres_url))
    try:
        runtime.migrate()
        return build_world(runtime)
    finally:
        runtime.close()


def test_two_api_processes_count_against_one_quota(
    tmp_path: Path, postgres_url: str, redis_url: str, world: World
) -> None:
    env = {
        "EXPORTD_DATABASE_URL": postgres_url,
        "EXPORTD_RATE_LIMIT_STORAGE": redis_url,
        "EXPORTD_RATE_LIMIT": str(QUOTA),
        "EXPORTD_WORKERS": "0",
    }
    apis = [Server(tmp_path / f"api-{n}", env=env) for n in (1, 2)]
    try:
        for api in apis:
            api.wait_until_ready()
        headers = {"Authorization": f"Bearer {world.member_token}"}
        statuses = [
            httpx.get(f"{apis[n % 2].url}/api/1.0/users/me", headers=headers).status_code
            for n in range(QUOTA)
        ]
        assert statuses == [200] * QUOTA  # each process served half of them
        for api in apis:  # the quota is spent for both processes at once
            refused = httpx.get(f"{api.url}/api/1.0/users/me", headers=headers)
            assert refused.status_code == 429, refused.text
            assert f"{QUOTA} requests per minute" in refused.json()["errors"][0]["message"]
            assert 1 <= int(refused.headers["Retry-After"]) <= 60
        other = {"Authorization": f"Bearer {world.admin_token}"}
        assert httpx.get(f"{apis[0].url}/api/1.0/users/me", headers=other).status_code == 200
    finally:
        for api in apis:
            api.stop()
