"""Rate limits per API key: a token bucket in each process, or one budget shared in Redis.

``hit`` is awaited on the event loop: the in-process bucket never waits, and the Redis limiter talks
to Redis with the asyncio client, so a slow Redis never blocks other requests. When Redis fails
(down, unreachable, timing out), requests are let through: each process falls back to its own bucket
for ``outage_seconds`` before trying Redis again (so an outage costs one failed call per process and
period, not one per request), logs it at most once per period, and counts every failure in
``comptoir_ratelimit_store_errors_total``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from typing import Any, Protocol

from prometheus_client import Counter

from comptoir.core.errors import RateLimited

log = logging.getLogger("comptoir.ratelimit")


class Limiter(Protocol):
    async def hit(self, key_id: str, per_minute: int) -> None:
        """Count one request of ``key_id``; raise :class:`RateLimited` when over ``per_minute``."""
        ...


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, capacity: float) -> None:
        self.tokens = capacity
        self.updated = time.monotonic()


class RateLimiter:
    """Token bucket per key, in this process: a key may burst up to its per-minute limit."""

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    async def hit(self, key_id: str, per_minute: int) -> None:
        self.take(key_id, per_minute)

    def take(self, key_id: str, per_minute: int) -> None:
        rate = per_minute / 60.0
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None:
                bucket = self._buckets[key_id] = _Bucket(per_minute)
            now = time.monotonic()
            bucket.tokens = min(per_minute, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return
            retry_after = max(1, math.ceil((1 - bucket.tokens) / rate))
        raise RateLimited(retry_after)


# GCRA (the generic cell rate algorithm): one key per API key holding its "theoretical arrival time".
# Atomic in Redis, so every API process shares each key's budget. Returns 0 (allowed) or ms to wait.
_GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then
  return math.ceil(allow_at - now)
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now) + 1000)
return 0
"""


class RedisRateLimiter:
    """The same per-minute budget shared by every API process, kept in Redis (``COMPTOIR_REDIS_URL``)."""

    def __init__(
        self,
        url: str,
        *,
        errors: Counter | None = None,
        prefix: str = "comptoir:ratelimit:",
        timeout_seconds: float = 0.25,
        outage_seconds: float = 5.0,
    ) -> None:
        self.url = url
        self.errors = errors
        self.prefix = prefix
        self.timeout_seconds = timeout_seconds
        self.outage_seconds = outage_seconds
        self.fallback = RateLimiter()
        from redis.exceptions import RedisError

        self._store_errors: tuple[type[BaseException], ...] = (OSError, TimeoutError, RedisError)
        self._down_until = 0.0
        self._logged_at = -math.inf
        # The asyncio client belongs to the event loop that made it (one per API process; tests may
        # run several loops one after the other).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._script: Any = None

    def _script_for_loop(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            import redis.asyncio

            self._client = redis.asyncio.Redis.from_url(
                self.url,
                socket_timeout=self.timeout_seconds,
                socket_connect_timeout=self.timeout_seconds,
            )
            self._script = self._client.register_script(_GCRA)
            self._loop = loop
        return self._script

    async def hit(self, key_id: str, per_minute: int) -> None:
        if time.monotonic() < self._down_until:
            self.fallback.take(key_id, per_minute)
            return
        interval_ms = 60_000 / per_minute
        now_ms = time.time() * 1000
        try:
            script = self._script_for_loop()
            wait_ms = int(
                await asyncio.wait_for(
                    script(keys=[self.prefix + key_id], args=[now_ms, interval_ms, per_minute]),
                    timeout=self.timeout_seconds * 2,
                )
            )
        except self._store_errors as exc:  # the store failed, not the request
            self._store_failed(exc)
            self.fallback.take(key_id, per_minute)
            return
        if wait_ms > 0:
            raise RateLimited(max(1, math.ceil(wait_ms / 1000)))

    def _store_failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        self._down_until = now + self.outage_seconds
        if self.errors is not None:
            self.errors.inc()
        if now - self._logged_at >= self.outage_seconds:
            self._logged_at = now
            log.warning(
                "rate limit store unavailable: limiting per process for a while",
                extra={
                    "error": f"{type(exc).__name__}: {exc}"[:300],
                    "retry_in_seconds": self.outage_seconds,
                },
            )
