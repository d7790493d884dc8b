"""With COMPTOIR_REDIS_URL, every API process shares each key's rate limit; when Redis is down, requests
go through, limited per process, and the failure is counted (the real-Redis tests skip without it)."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid

import pytest

from comptoir.core.errors import RateLimited
from comptoir.core.ratelimit import RedisRateLimiter
from tests.conftest import make_key
from tests.support.processes import free_port

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_answers() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


needs_redis = pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")


def hits(limiter: RedisRateLimiter, key: str, per_minute: int, count: int) -> list[int]:
    """Statuses of ``count`` requests through ``limiter``, on one event loop: 200 or 429."""

    async def run() -> list[int]:
        statuses = []
        for _ in range(count):
            try:
                await limiter.hit(key, per_minute)
                statuses.append(200)
            except RateLimited:
                statuses.append(429)
        return statuses

    return asyncio.run(run())


@needs_redis
def test_two_processes_share_one_budget() -> None:
    key = f"key_{uuid.uuid4().hex[:12]}"
    first, second = RedisRateLimiter(REDIS_URL), RedisRateLimiter(REDIS_URL)  # as in two API processes

    async def run() -> None:
        for limiter in (first, second, first, second, first):
            await limiter.hit(key, 5)
        with pytest.raises(RateLimited) as exc:
            await second.hit(key, 5)
        assert 1 <= int(exc.value.headers["Retry-After"]) <= 12  # one request every 12 s at 5 per minute

    asyncio.run(run())


@needs_redis
def test_keys_do_not_share_budgets() -> None:
    limiter = RedisRateLimiter(REDIS_URL)
    a, b = f"key_{uuid.uuid4().hex[:12]}", f"key_{uuid.uuid4().hex[:12]}"
    assert hits(limiter, a, 1, 1) == [200]
    assert hits(limiter, b, 1, 1) == [200]
    assert hits(limiter, a, 1, 1) == [429]  # a later event loop (another test client) reuses the budget


@needs_redis
def test_the_api_shares_its_budget_in_redis(settings, db) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from comptoir.app import create_app

    # given an API with Redis and a key limited to 2 requests a minute
    app = create_app(settings.model_copy(update={"redis_url": REDIS_URL}), db=db)
    assert isinstance(app.state.comptoir.authenticator.limiter, RedisRateLimiter)
    headers = {"Authorization": f"Bearer {make_key(db, ['*'], rate_limit=2)}"}
    with TestClient(app) as client:
        statuses = [client.get("/v1/me", headers=headers).status_code for _ in range(3)]
    # then the third request is refused
    assert statuses == [200, 200, 429]


def test_redis_down_lets_requests_through_counts_and_logs_it(settings, db, caplog) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from comptoir.app import create_app

    # given an API whose Redis URL points at a closed port
    down = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(settings.model_copy(update={"redis_url": down}), db=db)
    headers = {"Authorization": f"Bearer {make_key(db, ['*'])}"}
    # when three requests arrive
    with caplog.at_level(logging.WARNING, logger="comptoir.ratelimit"), TestClient(app) as client:
        statuses = [client.get("/v1/me", headers=headers).status_code for _ in range(3)]
        scrape = client.get("/metrics").text
    # then each is answered; Redis was tried once (the others used the process's own bucket while it is
    # down), counted once and logged once
    assert statuses == [200, 200, 200]
    assert "comptoir_ratelimit_store_errors_total 1.0" in scrape
    assert [r.getMessage() for r in caplog.records if r.name == "comptoir.ratelimit"] == [
        "rate limit store unavailable: limiting per process for a while"
    ]


def test_while_redis_is_down_each_process_still_limits_a_key() -> None:
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{free_port()}/0")
    assert hits(limiter, "key_abc", 2, 3) == [200, 200, 429]
