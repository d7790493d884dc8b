"""Customer sessions that can be ended, and sign-in throttling that holds under parallel requests.

*Sessions.* A customer token is signed (:mod:`comptoir.core.tokens`) and carries ``g``, the
customer's session generation when it was issued. Ending every session of a customer moves the
generation on (one upsert); each request checks its token's generation against the stored one with
a single primary-key read (:func:`session_valid`), never a cache, so an ended session stops at once.

*Throttling.* Each sign-in attempt first takes a slot under two keys, the e-mail address (whether or
not an account uses it, so a locked answer tells nothing) and the client address, each in one
guarded ``UPDATE … WHERE attempts < limit`` whose row count is checked. Slots are taken in a
transaction committed *before* the password is checked, so however many requests race, no more
passwords are checked than the limit allows; a success gives its slots back.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, delete, select, update

from comptoir.core import clock, tokens
from comptoir.core.api import CUSTOMER_TOKEN_PURPOSE
from comptoir.core.db import Database, insert_ignore
from comptoir.core.uow import UnitOfWork
from comptoir.customers.models import SessionGeneration, SignInThrottle, table
from comptoir.customers.policies import IDLE_THROTTLE_SECONDS, SESSION_TTL_SECONDS, throttle_rule
from comptoir.customers.schemas import SessionOut

# -- sessions ---------------------------------------------------------------------------------------------------

_GENERATIONS = table(SessionGeneration)
_CURRENT = select(_GENERATIONS.c.generation).where(_GENERATIONS.c.customer_id == bindparam("customer_id"))


async def session_valid(db: Database, customer_id: str, generation: int) -> bool:
    """Is a token of ``customer_id`` issued at session ``generation`` still good? One primary-key read
    on the hot-read path (the request's own unit of work is not open yet when the token is checked):
    awaited on PostgreSQL, the kept connection on SQLite; no thread hop, no pooled connection."""
    found = await db.read_rows_async(_CURRENT, {"customer_id": customer_id})
    current = found[0][0] if found else 0
    return int(current or 0) == generation


def current_generation(uow: UnitOfWork, customer_id: str) -> int:
    found = uow.session.scalar(
        select(SessionGeneration.generation).where(SessionGeneration.customer_id == customer_id)
    )
    return int(found or 0)


def end_sessions(uow: UnitOfWork, customer_ids: list[str]) -> None:
    """Every token issued so far to these customers stops working (sign-out everywhere, reset, erasure,
    block). The row is locked while it moves on, so two revocations never step on each other."""
    now = clock.now()
    for customer_id in sorted(set(customer_ids)):
        moved = uow.session.execute(
            update(SessionGeneration)
            .where(SessionGeneration.customer_id == customer_id)
            .values(generation=SessionGeneration.generation + 1, changed_at=now)
            .returning(SessionGeneration.generation)
        ).first()
        if moved is None:
            insert_ignore(
                uow.session,
                SessionGeneration,
                [{"customer_id": customer_id, "generation": 1, "changed_at": now}],
            )
    uow.session.flush()


def issue(uow: UnitOfWork, secret_key: str, customer_id: str) -> SessionOut:
    """A token for ``customer_id`` at its current session generation."""
    claims = {"sub": customer_id, "g": current_generation(uow, customer_id)}
    token = tokens.sign(secret_key, CUSTOMER_TOKEN_PURPOSE, claims, SESSION_TTL_SECONDS)
    return SessionOut(
        customer_id=customer_id, token=token, expires_at=clock.now() + timedelta(seconds=SESSION_TTL_SECONDS)
    )


# -- throttling -------------------------------------------------------------------------------------------------

_THROTTLES = table(SignInThrottle)


def throttle_key(secret_key: str, kind: str, value: str) -> str:
    """``kind:`` and a keyed hash of the address: nothing stored tells which address was tried."""
    digest = hmac.new(secret_key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:64]}"


@dataclass(frozen=True)
class Claim:
    """The slots an attempt took, or when the caller may try again (``retry_after`` seconds)."""

    keys: tuple[str, ...] = ()
    retry_after: int | None = None


def claim(uow: UnitOfWork, keys: dict[str, str]) -> Claim:
    """Take one attempt slot under each ``kind -> key`` (in key order, so racing requests lock rows in
    the same order). The caller commits a successful claim before checking the password and rolls a
    refused one back, so a refusal counts nothing."""
    now = clock.now()
    taken: list[str] = []
    for kind, key in sorted(keys.items(), key=lambda item: item[1]):
        rule = throttle_rule(kind)
        insert_ignore(
            uow.session,
            SignInThrottle,
            [{"key": key, "attempts": 0, "locked_until": None, "updated_at": now}],
        )
        expired = _THROTTLES.c.locked_until.is_not(None) & (_THROTTLES.c.locked_until <= now)
        attempts = case((expired, 1), else_=_THROTTLES.c.attempts + 1)
        row = uow.session.execute(
            update(_THROTTLES)
            .where(
                _THROTTLES.c.key == key,
                _THROTTLES.c.locked_until.is_(None) | (_THROTTLES.c.locked_until <= now),
            )
            .values(
                attempts=attempts,
                locked_until=case(
                    (attempts >= rule.limit, now + timedelta(seconds=rule.lock_seconds)), else_=None
                ),
                updated_at=now,
            )
            .returning(_THROTTLES.c.attempts)
        ).first()
        if row is None:
            locked_until: datetime | None = uow.session.scalar(
                select(_THROTTLES.c.locked_until).where(_THROTTLES.c.key == key)
            )
            wait = (locked_until - now).total_seconds() if locked_until is not None else 1
            return Claim(retry_after=max(1, int(wait) + 1))
        taken.append(key)
    return Claim(keys=tuple(taken))


def give_back(uow: UnitOfWork, email_key: str, client_key: str) -> None:
    """A successful sign-in: the e-mail's failures are forgotten, the client's slot is returned."""
    uow.session.execute(
        update(_THROTTLES).where(_THROTTLES.c.key == email_key).values(attempts=0, locked_until=None)
    )
    uow.session.execute(
        update(_THROTTLES)
        .where(_THROTTLES.c.key == client_key, _THROTTLES.c.attempts > 0)
        .values(attempts=_THROTTLES.c.attempts - 1)
    )


def forget_idle_throttles(uow: UnitOfWork, limit: int = 10_000) -> int:
    """Drop the counters of keys nobody tried for a day and not locked (every address ever tried,
    known or not, gets one): a fresh attempt starts from zero, as it would have after a success."""
    cutoff = clock.now() - timedelta(seconds=IDLE_THROTTLE_SECONDS)
    idle = select(_THROTTLES.c.key).where(
        _THROTTLES.c.updated_at < cutoff,
        _THROTTLES.c.locked_until.is_(None) | (_THROTTLES.c.locked_until < cutoff),
    )
    keys = list(uow.session.scalars(idle.limit(limit)))
    if keys:
        uow.session.execute(delete(_THROTTLES).where(_THROTTLES.c.key.in_(keys)))
    return len(keys)
