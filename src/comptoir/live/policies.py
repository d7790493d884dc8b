"""live: the pure rules — who is offered a waiting customer, where a customer stands in the queue and how
long they may wait, when an advisor counts as gone, what a session's report says, TURN credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil
from typing import Any

PRESENCE = ("available", "busy", "away", "offline")
SETTABLE = ("available", "away", "offline")  # busy is set by accepting a customer, never by hand
TOPIC_CODE = r"^[a-z0-9][a-z0-9_-]{0,63}$"
ITEM_KINDS = ("pushed", "compared", "added", "wished", "bought", "recommended")
OPEN_REQUEST = ("waiting", "offered")


@dataclass(frozen=True)
class Candidate:
    """An advisor who could take calls now: on duty for the live service, present and available."""

    advisor_id: str
    languages: tuple[str, ...]
    idle_since: datetime


@dataclass(frozen=True)
class Waiting:
    request_id: str
    language: str
    created_at: datetime
    passed: tuple[str, ...]


def match(waiting: Sequence[Waiting], candidates: Sequence[Candidate]) -> list[tuple[str, str]]:
    """Offers to make, as (request, advisor): the oldest request first, each to the qualified advisor idle
    the longest who has not let it go already; an advisor gets one offer at a time."""
    free = sorted(candidates, key=lambda c: (c.idle_since, c.advisor_id))
    taken: set[str] = set()
    offers = []
    for request in sorted(waiting, key=lambda w: (w.created_at, w.request_id)):
        for c in free:
            if c.advisor_id in taken or c.advisor_id in request.passed:
                continue
            if request.language not in c.languages:
                continue
            offers.append((request.request_id, c.advisor_id))
            taken.add(c.advisor_id)
            break
    return offers


def wait_estimate(position: int, advisors: int, session_minutes: float) -> int | None:
    """Minutes until an advisor is likely free for this place in the queue: each advisor serves a session
    in ``session_minutes`` on average; None when nobody who could answer is on duty."""
    if advisors <= 0:
        return None
    rounds = ceil(position / advisors) - 1  # the first ``advisors`` in line are offered at once
    return max(0, ceil(rounds * session_minutes))


def present(status: str, heartbeat_at: datetime, now: datetime, window_seconds: int) -> bool:
    """An advisor counts as present when their last heartbeat is within the window."""
    return status != "offline" and now - heartbeat_at <= timedelta(seconds=window_seconds)


def offer_lapsed(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now


def average_minutes(durations: Sequence[float], default: float) -> float:
    """The recent sessions' mean length in minutes (the default before any ended)."""
    return sum(durations) / len(durations) if durations else default


def report(
    started: datetime,
    ended: datetime,
    items: Sequence[tuple[str, str]],
    notes: str,
    recommended: Sequence[str],
    orders: Sequence[str],
) -> dict[str, Any]:
    """The session report: its length, the products by what happened to them (first occurrence order),
    the advisor's notes and recommendations, the orders placed in it."""

    def skus(kind: str) -> list[str]:
        return list(dict.fromkeys(sku for sku, k in items if k == kind))

    return {
        "duration_seconds": max(0, int((ended - started).total_seconds())),
        "shown": skus("pushed"),
        "compared": skus("compared"),
        "added": skus("added"),
        "wished": skus("wished"),
        "bought": skus("bought"),
        "recommended": list(dict.fromkeys(recommended)),
        "notes": notes,
        "orders": list(orders),
    }


def turn_credentials(secret: str, user: str, now: datetime, ttl_seconds: int) -> tuple[str, str]:
    """coturn's REST scheme (``use-auth-secret``): the username is ``<expiry>:<user>``, the password the
    base64 HMAC-SHA1 of the username under the shared secret — valid until the expiry, nothing stored."""
    username = f"{int(now.timestamp()) + ttl_seconds}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()
