"""engagement: the customers' devices that receive push notifications.

* The customer's app registers its device with the push provider's token (FCM, APNs, a Web Push
  subscription), through the channel's publishable key and the customer's token, at each start: a token
  already known says the device is still in use (``last_seen_at``). One row per token: a token registered
  by another customer moves to the one registering it now (a shared tablet, a sign-in on someone else's
  phone: the last sign-in wins) — nobody receives another's notifications.
* A customer has at most :data:`MAX_ACTIVE` active devices: registering one more revokes the one seen
  least recently (``replaced``). Fan-out stays bounded whatever an app does.
* A push message goes to **every** active device of the customer (most recently seen first, see
  :func:`active_tokens` and :mod:`comptoir.engagement.textsend`): people carry a phone and a tablet, and
  the provider's notification is per device. A provider answering that a token is invalid or unregistered
  revokes that device (``rejected``); the others still receive.
* Unregistering (the app's sign-out) revokes the device (``unregistered``); registering it again
  reactivates it. A revoked device receives nothing.
* The token is personal data: it is in the person's export and deleted with the rows at erasure; the API
  shows only its last characters; no event carries it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from comptoir.core import clock
from comptoir.core.errors import not_found
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.engagement.models import Device
from comptoir.engagement.schemas import DeviceIn, DeviceOut

MAX_ACTIVE = 10
TOKEN_END = 6  # the characters of a token the API shows
_T = cast(Table, Device.__table__)


def _out(device: Device) -> DeviceOut:
    return DeviceOut(
        id=device.id,
        customer_id=device.customer_id,
        platform=device.platform,
        app=device.app,
        language=device.language,
        token_end=device.token[-TOKEN_END:],
        active=device.revoked_at is None,
        created_at=device.created_at,
        last_seen_at=device.last_seen_at,
        revoked_at=device.revoked_at,
        revoked_reason=device.revoked_reason,
    )


def register(
    uow: UnitOfWork, customer_id: str, body: DeviceIn, channel: str | None
) -> tuple[DeviceOut, bool]:
    """Register (or confirm) the customer's device; True when the token was not known before. The token
    moves to this customer if another held it; 404 for a customer unknown or erased."""
    customer = customers.get_customer(uow, customer_id)
    if customer.status != "active":
        raise not_found("Customer", customer_id)
    now = clock.now()
    _lock_customer(uow, customer.id)
    known = uow.session.scalar(select(Device.id).where(Device.token == body.token))
    values: dict[str, Any] = {
        "customer_id": customer.id,
        "platform": body.platform,
        "app": body.app or channel or "",
        "language": body.language or "",
        "last_seen_at": now,
        "revoked_at": None,
        "revoked_reason": "",
    }
    row = {"id": new_id("dev"), "token": body.token, "created_at": now, **values}
    insert = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(_T)
    upsert = insert.on_conflict_do_update(index_elements=["token"], set_=values).returning(_T.c.id)
    device_id = uow.session.execute(upsert, row).scalar_one()
    _keep_to_the_cap(uow, customer.id, device_id, now)
    device = uow.session.scalars(
        select(Device).where(Device.id == device_id).execution_options(populate_existing=True)
    ).one()
    return _out(device), known is None


def _lock_customer(uow: UnitOfWork, customer_id: str) -> None:
    """Serialise the registrations of one customer until this transaction ends (PostgreSQL: an advisory
    lock; SQLite has one writer at a time): two at once never both count the devices before either
    wrote, so the cap holds."""
    if uow.dialect == "postgresql":
        digest = hashlib.blake2b(f"engagement-devices:{customer_id}".encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _keep_to_the_cap(uow: UnitOfWork, customer_id: str, keep: str, now: datetime) -> None:
    """Revoke the devices seen least recently beyond :data:`MAX_ACTIVE` (never the one just registered)."""
    active = uow.session.scalars(
        select(Device.id)
        .where(Device.customer_id == customer_id, Device.revoked_at.is_(None), Device.id != keep)
        .order_by(Device.last_seen_at.desc(), Device.id.desc())
    ).all()
    beyond = list(active[MAX_ACTIVE - 1 :])
    if beyond:
        uow.session.execute(
            update(Device)
            .where(Device.id.in_(beyond))
            .values(revoked_at=now, revoked_reason="replaced")
            .execution_options(synchronize_session=False)
        )


def get(uow: UnitOfWork, device_id: str) -> DeviceOut:
    device = uow.session.get(Device, device_id)
    if device is None:
        raise not_found("Device", device_id)
    return _out(device)


def unregister(uow: UnitOfWork, device_id: str) -> DeviceOut:
    """The device receives nothing more (already revoked: unchanged); 404 if unknown."""
    device = uow.session.scalars(select(Device).where(Device.id == device_id).with_for_update()).first()
    if device is None:
        raise not_found("Device", device_id)
    if device.revoked_at is None:
        device.revoked_at, device.revoked_reason = clock.now(), "unregistered"
    return _out(device)


def devices_of(uow: UnitOfWork, customer_id: str) -> list[DeviceOut]:
    """The customer's devices, active first, the most recently seen first."""
    rows = uow.session.scalars(
        select(Device)
        .where(Device.customer_id == customer_id)
        .order_by(Device.revoked_at.is_not(None), Device.last_seen_at.desc(), Device.id)
    )
    return [_out(d) for d in rows]


def active_tokens(uow: UnitOfWork, customer_id: str) -> list[str]:
    """The tokens a push to the customer goes to: their active devices', most recently seen first."""
    return list(
        uow.session.scalars(
            select(Device.token)
            .where(Device.customer_id == customer_id, Device.revoked_at.is_(None))
            .order_by(Device.last_seen_at.desc(), Device.id)
            .limit(MAX_ACTIVE)
        )
    )


def revoke_tokens(uow: UnitOfWork, tokens: Iterable[str], reason: str) -> int:
    """Revoke the active devices of these tokens (the provider refused them); how many were."""
    wanted = sorted(set(tokens))
    if not wanted:
        return 0
    result = uow.session.execute(
        update(Device)
        .where(Device.token.in_(wanted), Device.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoked_reason=reason[:32])
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def follow_merge(uow: UnitOfWork, surviving_id: str, merged_ids: Sequence[str]) -> None:
    """Customers merged: their devices are the survivor's."""
    if merged_ids:
        uow.session.execute(
            update(Device)
            .where(Device.customer_id.in_(list(merged_ids)))
            .values(customer_id=surviving_id)
            .execution_options(synchronize_session=False)
        )


def erase(uow: UnitOfWork, customer_ids: Sequence[str]) -> int:
    """The persons' devices, tokens and all, deleted."""
    result = uow.session.execute(delete(Device).where(Device.customer_id.in_(list(customer_ids))))
    return int(result.rowcount)  # type: ignore[attr-defined]


def export(uow: UnitOfWork, customer_id: str) -> list[dict[str, Any]]:
    """The person's devices as stored, their whole tokens included (the person's own data)."""
    rows = uow.session.scalars(select(Device).where(Device.customer_id == customer_id).order_by(Device.id))
    return [{**_out(d).model_dump(mode="json"), "token": d.token} for d in rows]
