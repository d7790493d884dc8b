"""Signed, expiring tokens (customer sessions, signed links): ``base64(payload).base64(HMAC-SHA256)``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from comptoir.core import clock


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, purpose: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), f"{purpose}:{body}".encode(), hashlib.sha256).digest())


def sign(secret: str, purpose: str, claims: dict[str, Any], ttl_seconds: int | None) -> str:
    """Sign ``claims`` for one ``purpose`` (a token for one purpose is refused for another)."""
    payload = dict(claims)
    if ttl_seconds is not None:
        payload["exp"] = int(clock.now().timestamp()) + ttl_seconds
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(secret, purpose, body)}"


def verify(secret: str, purpose: str, token: str) -> dict[str, Any] | None:
    """The claims if the token is authentic, for this purpose and not expired; otherwise ``None``."""
    body, _, mac = token.partition(".")
    if not body or not mac or not token.isascii():  # a signed token is base64 text; anything else is forged
        return None
    if not hmac.compare_digest(mac, _mac(secret, purpose, body)):
        return None
    try:
        claims: dict[str, Any] = json.loads(_unb64(body))
    except ValueError:
        return None
    exp = claims.get("exp")
    if exp is not None and int(exp) < int(clock.now().timestamp()):
        return None
    return claims
