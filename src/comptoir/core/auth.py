"""API keys: stored hashed and shown once, with scopes per area and access, optionally bound to a channel.

A token looks like ``cpt_3f9c1a2b4d5e.Zx...``: the part before the dot names the key, the rest is
the secret. Only the SHA-256 of the whole token is stored (tokens are random and long, so a slow
hash adds nothing). Verified keys are cached for ``api_key_cache_seconds``, which bounds how long a
revoked key keeps working in another process.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.context import Actor, valid_channel
from comptoir.core.db import Database
from comptoir.core.errors import Forbidden, NotFound, Unauthorized
from comptoir.core.models import ApiKey
from comptoir.core.ratelimit import Limiter, RateLimiter
from comptoir.core.uow import UnitOfWork

SCOPE_RE = re.compile(r"^(\*|\*:(read|write)|[a-z][a-z-]*:(read|write))$")
TOKEN_RE = re.compile(r"^cpt_([0-9a-f]{12})\.([A-Za-z0-9_-]{20,})$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@lru_cache(maxsize=4096)  # a few keys' scope sets × areas × two accesses
def scope_allows(scopes: frozenset[str], area: str, access: str) -> bool:
    """``write`` implies ``read``; ``*`` allows everything; ``*:read`` reads every area."""
    if "*" in scopes:
        return True
    wanted = (access,) if access == "write" else ("read", "write")
    return any(f"{area}:{a}" in scopes or f"*:{a}" in scopes for a in wanted)


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1, description='e.g. ["customers:read", "orders:write"] or ["*"]')
    channel: str | None = Field(
        default=None, description="web, app, store:<id>, call-centre, live; none = back office"
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


class ApiKeyOut(BaseModel):
    id: str
    name: str
    scopes: list[str]
    channel: str | None
    rate_limit_per_minute: int | None
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    token: str = Field(description="The secret key. Shown once: store it now.")


def _out(row: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=row.id,
        name=row.name,
        scopes=list(row.scopes),
        channel=row.channel,
        rate_limit_per_minute=row.rate_limit_per_minute,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def create_key(uow: UnitOfWork, command: ApiKeyCreate) -> ApiKeyCreated:
    short = secrets.token_hex(6)
    token = f"cpt_{short}.{secrets.token_urlsafe(32)}"
    row = ApiKey(
        id=f"key_{short}",
        name=command.name,
        secret_hash=hash_token(token),
        scopes=command.scopes,
        channel=command.channel,
        rate_limit_per_minute=command.rate_limit_per_minute,
        created_at=clock.now(),
        revoked_at=None,
    )
    uow.session.add(row)
    uow.session.flush()
    return ApiKeyCreated(**_out(row).model_dump(), token=token)


def list_keys(uow: UnitOfWork) -> list[ApiKeyOut]:
    rows = uow.session.scalars(select(ApiKey).order_by(ApiKey.created_at)).all()
    return [_out(r) for r in rows]


def revoke_key(uow: UnitOfWork, key_id: str) -> ApiKeyOut:
    row = uow.session.get(ApiKey, key_id)
    if row is None:
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


class Authenticator:
    def __init__(
        self, db: Database, *, cache_seconds: float, default_rate_limit: int, limiter: Limiter | None = None
    ) -> None:
        self.db = db
        self.cache_seconds = cache_seconds
        self.default_rate_limit = default_rate_limit
        self.limiter: Limiter = limiter or RateLimiter()
        self._cache: dict[str, tuple[VerifiedKey, float]] = {}

    def verify(self, token: str) -> VerifiedKey:
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
            verified = VerifiedKey(row.id, frozenset(row.scopes), row.channel, row.rate_limit_per_minute)
        self._cache[digest] = (verified, time.monotonic() + self.cache_seconds)
        return verified

    async def authenticate(self, token: str | None, *, request_id: str | None = None) -> Actor:
        if not token:
            raise Unauthorized()
        key = self.verify(token)
        await self.limiter.hit(key.key_id, key.rate_limit_per_minute or self.default_rate_limit)
        return Actor(key_id=key.key_id, channel=key.channel, scopes=key.scopes, request_id=request_id)


def check_scope(actor: Actor, area: str, access: str) -> None:
    if not scope_allows(actor.scopes, area, access):
        raise Forbidden(f"This API key lacks the scope {area}:{access}.", slug="missing-scope")


def require_channel_kind(actor: Actor, *kinds: str) -> None:
    if actor.channel_kind not in kinds:
        raise Forbidden(
            f"This operation is for {', '.join(kinds)} keys; this key is bound to {actor.channel_kind}.",
            slug="wrong-channel",
        )


def parse_token(authorization: str | None, api_key_header: str | None) -> str | None:
    if api_key_header:
        return api_key_header.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        raise Unauthorized("Use `Authorization: Bearer <key>` or `X-API-Key: <key>`.")
    return None
