"""carts: an anonymous cart joins the customer's when they sign in, and carts follow customer merges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update

from comptoir.carts import policies
from comptoir.carts.editing import event_fields, lock, lock_for_change
from comptoir.carts.events import CartChanged, CartMerged
from comptoir.carts.models import Cart, CartLine
from comptoir.carts.reading import (
    acting_channel,
    cart_out,
    hash_token,
    lines_of,
    open_cart_of,
    resolve_customer,
    try_price,
    view,
)
from comptoir.carts.schemas import (
    MergeOut,
)
from comptoir.core import clock
from comptoir.core.errors import Conflict, Forbidden
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers_service

# -- merging -----------------------------------------------------------------------------------------------


@dataclass
class _Merged:
    lines_added: int
    lines_summed: int
    capped: list[str]


def _merge_into(uow: UnitOfWork, target: Cart, source: Cart, reason: str, channel: str) -> _Merged:
    """Move ``source``'s lines and coupons into ``target`` (both locked) following the policy."""
    target_lines = lines_of(uow, target.id)
    source_lines = lines_of(uow, source.id)
    plan = policies.plan_merge(
        [policies.LineState(x.sku, x.quantity) for x in target_lines],
        [policies.LineState(x.sku, x.quantity) for x in source_lines],
    )
    now = clock.now()
    for line in target_lines:
        if line.sku in plan.new_quantities:
            line.quantity = plan.new_quantities[line.sku]
            line.channel_updated, line.updated_at = channel, now
    position = max((x.position for x in target_lines), default=0)
    added = set(plan.added)
    moving = [x for x in source_lines if x.sku in added]
    # The moved lines keep their id, channel and key: delete them from the source, add them to the target.
    for line in source_lines:
        uow.session.delete(line)
    uow.session.flush()
    for line in moving:
        position += 1
        uow.session.add(
            CartLine(
                id=line.id,
                cart_id=target.id,
                sku=line.sku,
                quantity=min(line.quantity, policies.MAX_QUANTITY_PER_LINE),
                position=position,
                channel_added=line.channel_added,
                key_added=line.key_added,
                channel_updated=line.channel_updated,
                added_at=line.added_at,
                updated_at=now,
            )
        )
    target.coupons = policies.unite_coupons(list(target.coupons), list(source.coupons))
    source.status, source.merged_into, source.closed_at = "merged", target.id, now
    source.version += 1
    source.updated_at, source.updated_channel = now, channel
    uow.session.flush()
    target.version += 1
    target.updated_at, target.updated_channel = now, channel
    target.status, target.abandoned_at = "open", None
    uow.session.flush()
    lines = lines_of(uow, target.id)
    priced, _ = try_price(uow, target, lines)
    uow.record(
        CartMerged(
            **event_fields(target, lines, priced, channel),
            merged_cart_id=source.id,
            reason=reason,
            lines_added=len(plan.added),
            lines_summed=len(plan.new_quantities),
        )
    )
    return _Merged(len(plan.added), len(plan.new_quantities), plan.capped)


def merge_anonymous(
    uow: UnitOfWork, customer_id: str, cart_token: str, *, channel: str | None = None
) -> MergeOut | None:
    """At sign-in: the anonymous cart held with ``cart_token`` joins the customer's cart (policy in
    ``policies``). ``None`` when the token holds no open anonymous cart (unknown, or already merged)."""
    found = uow.session.scalar(select(Cart.id).where(Cart.token_hash == hash_token(cart_token)))
    if found is None:
        return None
    survivor = customers_service.resolve_id(uow, customer_id)
    return _claim(uow, found, survivor, channel or acting_channel(uow), "sign_in")


def attach_customer(
    uow: UnitOfWork, cart_id: str, customer_id: str, *, expected_version: int | None = None
) -> MergeOut:
    """A seller identifies the customer of an anonymous cart (on the tablet, at the call centre): it
    becomes theirs, or joins the cart they already have, by the sign-in rules."""
    if not policies.may_name_customer(uow.actor.channel) or uow.actor.customer_id is not None:
        raise Forbidden("Only staff channels name the customer of a cart.", slug="forbidden")
    cart = lock_for_change(uow, cart_id, None, expected_version)
    survivor = resolve_customer(uow, customer_id, "customer_id")
    if cart.customer_id == survivor:
        return MergeOut(
            cart=view(uow, cart), merged_cart_id=None, lines_added=0, lines_summed=0, capped_skus=[]
        )
    if cart.customer_id is not None:
        raise Conflict(
            f"Cart {cart.id} already belongs to another customer.", slug="cart-has-customer", cart_id=cart.id
        )
    out = _claim(uow, cart.id, survivor, acting_channel(uow), "customer_identified")
    assert out is not None  # the cart is locked, open and anonymous
    return out


def _claim(uow: UnitOfWork, anonymous_id: str, survivor: str, acting: str, reason: str) -> MergeOut | None:
    current = open_cart_of(uow, survivor)
    ids = sorted({anonymous_id} | ({current.id} if current is not None else set()))
    locked = {cart_id: lock(uow, cart_id) for cart_id in ids}  # primary-key order
    anonymous = locked[anonymous_id]
    if anonymous.customer_id is not None or anonymous.status not in policies.OPEN:
        return None
    target = open_cart_of(uow, survivor)
    if target is None:
        # No cart yet: the anonymous cart becomes the customer's; its token no longer reaches it.
        anonymous.customer_id, anonymous.token_hash = survivor, None
        lines = lines_of(uow, anonymous.id)
        anonymous.version += 1
        anonymous.updated_at, anonymous.updated_channel = clock.now(), acting
        anonymous.status, anonymous.abandoned_at = "open", None
        uow.session.flush()
        priced, problem = try_price(uow, anonymous, lines)
        uow.record(
            CartChanged(
                **event_fields(anonymous, lines, priced, acting),
                change="customer_attached",
                version=anonymous.version,
            )
        )
        return MergeOut(
            cart=cart_out(anonymous, lines, priced, problem),
            merged_cart_id=None,
            lines_added=0,
            lines_summed=0,
            capped_skus=[],
        )
    if target.id not in locked:  # started between the two reads: lock it too
        lock(uow, target.id)
    merged = _merge_into(uow, target, anonymous, reason, acting)
    return MergeOut(
        cart=view(uow, target),
        merged_cart_id=anonymous.id,
        lines_added=merged.lines_added,
        lines_summed=merged.lines_summed,
        capped_skus=merged.capped,
    )


def follow_customer_merge(uow: UnitOfWork, surviving_id: str, merged_ids: Sequence[str]) -> int:
    """``customers.customers_merged``: the merged customers' carts become the survivor's, and the
    survivor keeps one open cart (its own if it had one, else the most recently changed), the others
    merged into it. Returns how many carts were merged."""
    owners = [surviving_id, *merged_ids]
    open_ids = sorted(
        uow.session.scalars(
            select(Cart.id).where(Cart.customer_id.in_(owners), Cart.status.in_(policies.OPEN))
        )
    )
    locked = [lock(uow, cart_id) for cart_id in open_ids]
    own = next((c for c in locked if c.customer_id == surviving_id), None)
    target_id = policies.surviving_cart(
        (own.id, own.updated_at) if own is not None else None,
        [(c.id, c.updated_at) for c in locked if c is not own],
    )
    merged = 0
    if target_id is not None:
        target = next(c for c in locked if c.id == target_id)
        target.customer_id = surviving_id  # the only open cart of the survivor (its own, or none before)
        uow.session.flush()
        for cart in locked:
            if cart.id != target_id:
                _merge_into(uow, target, cart, "customers_merged", "system")
                merged += 1
    uow.session.execute(
        update(Cart).where(Cart.customer_id.in_(list(merged_ids))).values(customer_id=surviving_id)
    )
    uow.session.expire_all()
    return merged
