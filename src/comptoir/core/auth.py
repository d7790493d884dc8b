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
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from comptoir.core import clock
from comptoir.core.access import scope_allows, scopes_cover
from comptoir.core.context import Actor, valid_channel
from comptoir.core.db import Database
from comptoir.core.errors import Forbidden, NotFound, Unauthorized
from comptoir.core.models import ApiKey
from comptoir.core.ratelimit import Limiter, RateLimiter
from comptoir.core.types import Schema
from comptoir.core.uow import UnitOfWork

__all__ = ["scope_allows"]

SCOPE_RE = re.compile(r"^(\*|\*:(read|write)|[a-z][a-z-]*:(read|write))$")
TOKEN_RE = re.compile(r"^cpt_([0-9a-f]{12})\.([A-Za-z0-9_-]{20,})$")
PUBLISHABLE_CHANNELS = ("web", "app", "live")
KeyKind = Literal["secret", "shop", "publishable"]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiKeyCreate(Schema):
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


class ApiKeyOut(Schema):
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

    async def authenticate(self, token: str | None, *, request_id: str | None = None) -> Actor:
        if not token:
            raise Unauthorized()
        key = self.cached(token)
        if key is None:
            key = await run_in_threadpool(self.verify, token)
        await self.hit_async(key)
        return key.actor(request_id)

    async def hit_async(self, key: VerifiedKey) -> None:
        """Count a request (the limiter awaits its store; a store that is down lets requests through)."""
        await self.limiter.hit(key.key_id, key.rate_limit_per_minute or self.default_rate_limit)


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
