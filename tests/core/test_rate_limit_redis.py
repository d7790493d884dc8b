"""With COMPTOIR_REDIS_URL, every API process shares each key's rate limit (skipped without Redis)."""

from __future__ import annotations

import socket
import uuid

import pytest

from comptoir.core.auth import RedisRateLimiter
from comptoir.core.errors import RateLimited

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_answers() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


pytestmark = pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")


def test_two_processes_share_one_budget() -> None:
    key = f"key_{uuid.uuid4().hex[:12]}"
    first, second = RedisRateLimiter(REDIS_URL), RedisRateLimiter(REDIS_URL)  # as in two API processes
    for limiter in (first, second, first, second, first):
        limiter.hit(key, 5)
    with pytest.raises(RateLimited) as exc:
        second.hit(key, 5)
    assert 1 <= int(exc.value.headers["Retry-After"]) <= 12  # one request every 12 s at 5 per minute


def test_keys_do_not_share_budgets() -> None:
    limiter = RedisRateLimiter(REDIS_URL)
    a, b = f"key_{uuid.uuid4().hex[:12]}", f"key_{uuid.uuid4().hex[:12]}"
    limiter.hit(a, 1)
    limiter.hit(b, 1)
    with pytest.raises(RateLimited):
        limiter.hit(a, 1)


def test_the_app_uses_redis_when_configured(settings, db) -> None:  # type: ignore[no-untyped-def]
    from comptoir.app import create_app

    app = create_app(settings.model_copy(update={"redis_url": REDIS_URL}), db=db)
    assert isinstance(app.state.comptoir.authenticator.limiter, RedisRateLimiter)
