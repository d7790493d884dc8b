"""API keys: stored hashed and shown once, of three kinds, with scopes and an optional shop binding.

- *secret* keys are for systems (the retailer's back end, integrations): scopes, optionally bound to a shop;
- *shop* keys are for a shop's devices: bound to their shop, whose operational data only they touch;
- *publishable* keys are for browsers and apps (web, app, live): safe to ship in a page; anything of a
  customer's needs that customer's token beside them.

A token looks like ``cpt_3f9c1a2b4d5e.Zx...``: the part before the dot names the key, the rest is
the secret. Only the SHA-256 of the whole token is stored (tokens are random and long, so a slow
hash adds nothing). Verified keys are cached for ``api_key_cache_seconds``, which bounds how long a
revoked key keeps working in another process. A key or an employee mints keys only with a subset of
their own scopes and the same or a narrower shop binding (:func:`minting_problem`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from comptoir.core import clock
from comptoir.core.access import scope_allows, scopes_cover
from comptoir.core.context import Actor, valid_channel
from comptoir.core.db import Database
from comptoir.core.errors import Forbidden, NotFound, RateLimited, Unauthorized
from comptoir.core.models import ApiKey
from comptoir.core.uow import UnitOfWork

__all__ = ["scope_allows"]

SCOPE_RE = re.compile(r"^(\*|\*:(read|write)|[a-z][a-z-]*:(read|write))$")
TOKEN_RE = re.compile(r"^cpt_([0-9a-f]{12})\.([A-Za-z0-9_-]{20,})$")
PUBLISHABLE_CHANNELS = ("web", "app", "live")
KeyKind = Literal["secret", "shop", "publishable"]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1, description='e.g. ["customers:read", "orders:write"] or ["*"]')
    kind: KeyKind | None = Field(
        default=None,
        description="secret (systems), shop (a shop's devices) or publishable (browsers and apps); "
        "by default publishable for web/app/live, shop for store:<id>, secret otherwise",
    )
    channel: str | None = Field(
        default=None, description="web, app, store:<id>, call-centre, live; none = back office"
    )
    shop_id: str | None = Field(
        default=None, max_length=40, description="Bind the key to one shop (shop keys: their shop)"
    )
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        for scope in value:
            if not SCOPE_RE.match(scope):
                raise ValueError(
                    f"invalid scope {scope!r}: use <area>:read, <area>:write, *:read, *:write or *"
                )
        return sorted(set(value))

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not valid_channel(value):
            raise ValueError("channel must be web, app, call-centre, live or store:<store id>")
        return value

    @model_validator(mode="after")
    def _kind_fits_channel(self) -> ApiKeyCreate:
        store = self.channel.split(":", 1)[1] if self.channel and self.channel.startswith("store:") else None
        if self.kind is None:
            self.kind = (
                "publishable" if self.channel in PUBLISHABLE_CHANNELS else "shop" if store else "secret"
            )
        if self.kind == "shop":
            shop = self.shop_id or store
            if shop is None or (store is not None and store != shop):
                raise ValueError(
                    "a shop key names its shop: channel store:<id> (and shop_id, if given, the same)"
                )
            self.shop_id, self.channel = shop, f"store:{shop}"
        elif self.kind == "publishable":
            if self.channel not in PUBLISHABLE_CHANNELS or self.shop_id is not None:
                raise ValueError("a publishable key is for the web, app or live channel, bound to no shop")
            if any(s == "*" or s.endswith("*:write") or s.split(":")[0] in _STAFF_AREAS for s in self.scopes):
                raise ValueError(
                    "a publishable key is shipped in pages: it may not hold *, *:write or "
                    + ", ".join(sorted(_STAFF_AREAS))
                    + " scopes"
                )
        elif store is not None and self.shop_id not in (None, store):
            raise ValueError("shop_id and the store:<id> channel name different shops")
        elif store is not None:
            self.shop_id = store
        return self


# Areas no browser key may ever hold, whatever it is given.
_STAFF_AREAS = frozenset({"keys", "webhooks", "events", "staff"})


class ApiKeyOut(BaseModel):
    id: str
    name: str
    kind: KeyKind
    scopes: list[str]
    channel: str | None
    shop_id: str | None
    created_by: str | None
    rate_limit_per_minute: int | None
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    token: str = Field(description="The secret key. Shown once: store it now.")


def _out(row: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=row.id,
        name=row.name,
        kind=row.kind,
        scopes=list(row.scopes),
        channel=row.channel,
        shop_id=row.shop_id,
        created_by=row.created_by,
        rate_limit_per_minute=row.rate_limit_per_minute,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def minting_problem(minter: Actor, command: ApiKeyCreate) -> str | None:
    """Why ``minter`` may not create this key (``None``: it may). A key or employee mints only keys
    with a subset of its own scopes and the same or a narrower shop binding; shop and publishable keys
    mint none."""
    if minter.kind == "system":
        return None
    if minter.kind not in ("secret", "staff"):
        return "only secret keys and employees may create keys"
    missing = scopes_cover(minter.scopes, command.scopes)
    if missing:
        return f"a key may not be given scopes its creator lacks: {', '.join(missing)}"
    if minter.shops is not None and (command.shop_id is None or command.shop_id not in minter.shops):
        return "a shop-bound creator mints only keys bound to its own shop"
    return None


def create_key(uow: UnitOfWork, command: ApiKeyCreate, *, minter: Actor | None = None) -> ApiKeyCreated:
    if minter is not None:
        problem = minting_problem(minter, command)
        if problem is not None:
            raise Forbidden(f"This key cannot be created: {problem}.", slug="key-too-wide")
    short = secrets.token_hex(6)
    token = f"cpt_{short}.{secrets.token_urlsafe(32)}"
    row = ApiKey(
        id=f"key_{short}",
        name=command.name,
        secret_hash=hash_token(token),
        scopes=command.scopes,
        kind=command.kind or "secret",
        channel=command.channel,
        shop_id=command.shop_id,
        created_by=minter.principal_id if minter is not None else None,
        rate_limit_per_minute=command.rate_limit_per_minute,
        created_at=clock.now(),
        revoked_at=None,
    )
    uow.session.add(row)
    uow.session.flush()
    return ApiKeyCreated(**_out(row).model_dump(), token=token)


def list_keys(uow: UnitOfWork, *, shops: frozenset[str] | None = None) -> list[ApiKeyOut]:
    query = select(ApiKey).order_by(ApiKey.created_at)
    if shops is not None:
        query = query.where(ApiKey.shop_id.in_(sorted(shops)))
    return [_out(r) for r in uow.session.scalars(query).all()]


def revoke_key(uow: UnitOfWork, key_id: str, *, by: Actor | None = None) -> ApiKeyOut:
    row = uow.session.get(ApiKey, key_id)
    if row is None or (by is not None and by.shops is not None and row.shop_id not in by.shops):
        raise NotFound(f"API key {key_id} does not exist.", slug="api-key-not-found")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
    return _out(row)


@dataclass(frozen=True, slots=True)
class VerifiedKey:
    key_id: str
    scopes: frozenset[str]
    channel: str | None
    rate_limit_per_minute: int | None
    kind: KeyKind = "secret"
    shop_id: str | None = None

    def actor(self, request_id: str | None) -> Actor:
        return Actor(
            key_id=self.key_id,
            channel=self.channel,
            scopes=self.scopes,
            request_id=request_id,
            kind=self.kind,
            shops=frozenset({self.shop_id}) if self.shop_id else None,
        )


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, capacity: float) -> None:
        self.tokens = capacity
        self.updated = time.monotonic()


class RateLimiter:
    """Token bucket per key, in this process: a key may burst up to its per-minute limit."""

    blocking = False

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def hit(self, key_id: str, per_minute: int) -> None:
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


class Limiter(Protocol):
    def hit(self, key_id: str, per_minute: int) -> None:
        """Count one request of ``key_id``; raise :class:`RateLimited` when over ``per_minute``."""
        ...


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

    blocking = True  # network I/O: called from the thread pool

    def __init__(self, url: str, *, prefix: str = "comptoir:ratelimit:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._redis.register_script(_GCRA)
        self._prefix = prefix

    def hit(self, key_id: str, per_minute: int) -> None:
        interval_ms = 60_000 / per_minute
        now_ms = time.time() * 1000
        wait_ms = int(self._script(keys=[self._prefix + key_id], args=[now_ms, interval_ms, per_minute]))
        if wait_ms > 0:
            raise RateLimited(max(1, math.ceil(wait_ms / 1000)))


class Authenticator:
    """Verifies API keys (cached briefly) and rate-limits them. Staff sessions are verified by
    :mod:`comptoir.core.staff` on every request (an ended session stops at once)."""

    def __init__(
        self, db: Database, *, cache_seconds: float, default_rate_limit: int, limiter: Limiter | None = None
    ) -> None:
        self.db = db
        self.cache_seconds = cache_seconds
        self.default_rate_limit = default_rate_limit
        self.limiter: Limiter = limiter or RateLimiter()
        self._cache: dict[str, tuple[VerifiedKey, float]] = {}

    def cached(self, token: str) -> VerifiedKey | None:
        """The key from this process's cache, without I/O (``None``: call :meth:`verify`)."""
        cached = self._cache.get(hash_token(token))
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        return None

    def verify(self, token: str) -> VerifiedKey:
        """The key behind ``token``; reads the database on a cache miss (call it off the event loop)."""
        digest = hash_token(token)
        cached = self._cache.get(digest)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        match = TOKEN_RE.match(token)
        if match is None:
            raise Unauthorized("The API key is malformed.")
        key_id = f"key_{match.group(1)}"
        with self.db.reader() as session:
            row = session.get(ApiKey, key_id)
            if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_hash, digest):
                raise Unauthorized("The API key is unknown or revoked.")
            verified = VerifiedKey(
                row.id,
                frozenset(row.scopes),
                row.channel,
                row.rate_limit_per_minute,
                row.kind,  # type: ignore[arg-type]
                row.shop_id,
            )
        self._cache[digest] = (verified, time.monotonic() + self.cache_seconds)
        return verified

    def authenticate(self, token: str | None, *, request_id: str | None = None) -> Actor:
        if not token:
            raise Unauthorized()
        key = self.verify(token)
        self.hit(key)
        return key.actor(request_id)

    def hit(self, key: VerifiedKey) -> None:
        self.limiter.hit(key.key_id, key.rate_limit_per_minute or self.default_rate_limit)

    async def hit_async(self, key: VerifiedKey) -> None:
        """Count a request on the event loop: a limiter that does network I/O runs in the thread pool."""
        if getattr(self.limiter, "blocking", False):
            await run_in_threadpool(self.hit, key)
        else:
            self.hit(key)


def check_scope(actor: Actor, area: str, access: str) -> None:
    if not scope_allows(actor.scopes, area, access):
        raise Forbidden(f"This API key lacks the scope {area}:{access}.", slug="missing-scope")


def parse_token(authorization: str | None, api_key_header: str | None) -> str | None:
    if api_key_header:
        return api_key_header.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        raise Unauthorized("Use `Authorization: Bearer <key>` or `X-API-Key: <key>`.")
    return None
