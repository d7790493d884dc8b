"""pricing: the promotion engine's rules, pure — which promotions apply to a cart, in which order, and
what each gives (item and cart discounts, bundles, gifts, free shipping); a promotion's parameters checked.

The types it works on (:class:`Line`, :class:`Promo`, :class:`Applied`, :class:`Outcome`) are in
:mod:`comptoir.pricing.policies` with the rest of pricing's pure rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any, NamedTuple

from comptoir.pricing.policies import CENT, HUNDRED, ZERO, Applied, Line, Outcome, Promo, money
from comptoir.pricing.schemas import DELIVERY_METHODS, DELIVERY_MODES


def _targets(promo: Promo, line: Line) -> bool:
    if line.sku in promo.excluded:
        return False
    if not promo.skus and not promo.category_ids:
        return True
    return line.sku in promo.skus or not promo.category_ids.isdisjoint(line.category_ids)


def _merch(lines: Sequence[Line]) -> Decimal:
    return sum((line.total + line.cart_share for line in lines), ZERO)


def conditions_met(promo: Promo, lines: Sequence[Line], merch: Decimal | None = None) -> bool:
    """``merch``: what the lines cost now, when the caller keeps it (else summed here)."""
    if promo.min_subtotal is not None and (_merch(lines) if merch is None else merch) < promo.min_subtotal:
        return False
    min_qty = promo.params.get("min_quantity")
    if min_qty is not None:
        qty = sum(line.quantity for line in lines if _targets(promo, line))
        if qty < int(min_qty):
            return False
    return True


def relevant(promo: Promo, skus: frozenset[str], categories: frozenset[str]) -> bool:
    """Could the promotion touch a cart of these SKUs and categories at all? (A cheap first filter.)"""
    if promo.kind == "bundle":
        return all(str(sku) in skus for sku in (promo.params.get("items") or {}))
    if not promo.targeted:
        return True
    return not promo.skus.isdisjoint(skus) or not promo.category_ids.isdisjoint(categories)


def allocate(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``amount`` (cents) in proportion to ``weights``; the parts sum exactly to ``amount``."""
    total = sum(weights, ZERO)
    if total <= 0 or amount == 0:
        return [ZERO for _ in weights]
    sign = Decimal(-1) if amount < 0 else Decimal(1)
    cents = int((abs(amount) / CENT).to_integral_value())
    raw = [Decimal(cents) * w / total for w in weights]
    floors = [int(r.to_integral_value(rounding=ROUND_DOWN)) for r in raw]
    left = cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * Decimal(f) * CENT for f in floors]


def _item_discount(promo: Promo, lines: list[Line]) -> list[tuple[Line, Decimal]]:
    p = promo.params
    out = []
    for line in lines:
        if not _targets(promo, line) or line.total <= 0:
            continue
        if promo.kind == "percent_off":
            off = money(line.total * Decimal(str(p["percent"])) / HUNDRED)
        else:
            off = money(Decimal(str(p["amount"])) * line.quantity)
        off = min(off, line.total)
        if off > 0:
            out.append((line, -off))
    return out


def _buy_x_get_y(promo: Promo, lines: list[Line]) -> list[tuple[Line, Decimal]]:
    p = promo.params
    buy, get = int(p.get("buy", 2)), int(p.get("get", 1))
    percent = Decimal(str(p.get("percent", 100)))
    units: list[tuple[Decimal, int, Line]] = []
    for idx, line in enumerate(lines):
        if _targets(promo, line) and line.quantity > 0 and line.total > 0:
            unit_value = line.total / line.quantity
            units.extend((unit_value, idx, line) for _ in range(line.quantity))
    groups = len(units) // (buy + get)
    if groups == 0:
        return []
    # The cheapest units are the free ones (the retailer's usual rule).
    units.sort(key=lambda u: (u[0], u[1]))
    per_line: dict[str, tuple[Line, Decimal]] = {}
    for value, _, line in units[: groups * get]:
        prev = per_line.get(line.line_id, (line, ZERO))[1]
        per_line[line.line_id] = (line, prev + value * percent / HUNDRED)
    out = []
    for line, off in per_line.values():
        amount = min(money(off), line.total)
        if amount > 0:
            out.append((line, -amount))
    return out


def _bundle(promo: Promo, lines: list[Line]) -> list[tuple[Line, Decimal]]:
    p = promo.params
    needed: dict[str, int] = {str(k): int(v) for k, v in (p.get("items") or {}).items()}
    price = Decimal(str(p["price"]))
    by_sku: dict[str, list[Line]] = {}
    for line in lines:
        by_sku.setdefault(line.sku, []).append(line)
    if not needed or any(sku not in by_sku for sku in needed):
        return []
    count = min(sum(line.quantity for line in by_sku[sku]) // qty for sku, qty in needed.items())
    if count == 0:
        return []
    members: list[Line] = [line for sku in needed for line in by_sku[sku]]
    # The value of the units in the bundles, at their current (already discounted) unit value.
    unit_values = [line.total / line.quantity for line in members]
    weights = []
    remaining = {sku: qty * count for sku, qty in needed.items()}
    for line, unit_value in zip(members, unit_values, strict=True):
        take = min(line.quantity, remaining[line.sku])
        remaining[line.sku] -= take
        weights.append(unit_value * take)
    value = sum(weights, ZERO)
    off = money(value - price * count)
    if off <= 0:
        return []
    shares = allocate(-off, weights)
    return [(line, max(share, -line.total)) for line, share in zip(members, shares, strict=True) if share]


def _cart_discount(promo: Promo, lines: list[Line]) -> Decimal:
    p = promo.params
    eligible = [line for line in lines if _targets(promo, line)]
    base = sum((line.total + line.cart_share for line in eligible), ZERO)
    if base <= 0:
        return ZERO
    if promo.kind == "percent_off":
        off = money(base * Decimal(str(p["percent"])) / HUNDRED)
    else:
        off = money(Decimal(str(p["amount"])))
    return min(off, base)


def _share_cart_discount(promo: Promo, lines: list[Line], off: Decimal) -> None:
    eligible = [line for line in lines if _targets(promo, line)]
    weights = [max(line.total + line.cart_share, ZERO) for line in eligible]
    for line, share in zip(eligible, allocate(-off, weights), strict=True):
        line.cart_share += share


ITEM_KINDS = frozenset({"buy_x_get_y", "bundle"})


def stage(promo: Promo) -> int:
    """Item discounts first, then cart discounts, then gifts and shipping, vouchers last: a cart
    discount is shared out on what the lines cost after their own discounts, so nothing goes below 0."""
    if promo.kind in ITEM_KINDS or (
        promo.kind in ("percent_off", "fixed_off") and promo.params.get("scope", "item") == "item"
    ):
        return 0
    if promo.kind in ("percent_off", "fixed_off"):
        return 1
    if promo.kind == "voucher":
        return 3
    return 2


def _copy(lines: Sequence[Line]) -> list[Line]:
    return [
        Line(
            x.line_id,
            x.sku,
            x.quantity,
            x.unit_price,
            x.category_ids,
            x.vat_rate,
            list(x.adjustments),
            x.cart_share,
        )
        for x in lines
    ]


class Delivery(NamedTuple):
    """How the customer gets the goods (``pricing.schemas.DeliveryMode``) and how fast (``DeliveryMethod``)."""

    mode: str
    method: str


def ships_free(promo: Promo, delivery: Delivery) -> bool:
    """A free-shipping promotion's targets: its ``modes`` and ``methods`` (each empty or absent: any)."""
    modes = promo.params.get("modes") or ()
    methods = promo.params.get("methods") or ()
    return (not modes or delivery.mode in modes) and (not methods or delivery.method in methods)


def _apply_one(
    promo: Promo,
    lines: list[Line],
    shipping_left: Decimal,
    delivery: Delivery | None,
    merch: Decimal | None = None,
) -> tuple[list[Applied], str | None, Decimal]:
    """Apply one promotion in place: (cart adjustments, gift sku, shipping left); lines get theirs.
    Item and cart discounts come back in the cart list too (item ones with amount 0, as a marker)."""
    if promo.kind == "free_shipping" and shipping_left <= 0:
        return [], None, shipping_left
    if not conditions_met(promo, lines, merch):
        return [], None, shipping_left
    cart: list[Applied] = []
    kind = promo.kind
    scope = promo.params.get("scope", "item")
    found: list[tuple[Line, Decimal]] = []
    if kind in ("percent_off", "fixed_off") and scope == "item":
        found = _item_discount(promo, lines)
    elif kind == "buy_x_get_y":
        found = _buy_x_get_y(promo, lines)
    elif kind == "bundle":
        found = _bundle(promo, lines)
    elif kind in ("percent_off", "fixed_off", "voucher"):
        off = _cart_discount(promo, lines)
        if off > 0:
            _share_cart_discount(promo, lines, off)
            cart.append(Applied(promo.id, promo.code, kind, promo.label, -off))
    elif kind == "gift":
        gift_sku = promo.params.get("gift_sku")
        if gift_sku and lines:
            return [], str(gift_sku), shipping_left
    elif kind == "free_shipping" and shipping_left > 0 and delivery and ships_free(promo, delivery):
        return [Applied(promo.id, promo.code, kind, promo.label, -shipping_left)], None, ZERO
    given = ZERO
    for line, amount in found:
        line.add(Applied(promo.id, promo.code, kind, promo.label, amount))
        given += amount
    if found:
        cart.append(Applied(promo.id, promo.code, kind, promo.label, ZERO, given))  # marker: it applied
    return cart, None, shipping_left


def apply_promotions(
    lines: list[Line],
    promotions: Sequence[Promo],
    shipping: Decimal | None = None,
    delivery: Delivery | None = None,
) -> Outcome:
    """Apply promotions and explain them. Stacking: walking by priority (highest first, then id), the
    first promotion that gives something decides — if it is exclusive it applies alone, otherwise every
    stackable promotion applies and exclusive ones are left out. The chosen ones then apply item
    discounts first, cart discounts next, gifts and free shipping, vouchers last (each by priority).
    Every amount is rounded to the cent; nothing ever goes below zero."""
    skus = frozenset(line.sku for line in lines)
    categories = frozenset(c for line in lines for c in line.category_ids)
    by_priority = sorted(
        (p for p in promotions if relevant(p, skus, categories)), key=lambda p: (-p.priority, p.id)
    )
    chosen: list[Promo] = []
    if not any(p.stacking == "exclusive" for p in by_priority):
        chosen = by_priority  # nothing to decide: every promotion stacks
    for promo in by_priority if not chosen else ():
        trial = _copy(lines)
        cart, gift, left = _apply_one(promo, trial, shipping or ZERO, delivery)
        if cart or gift or left != (shipping or ZERO):
            chosen = (
                [promo]
                if promo.stacking == "exclusive"
                else [p for p in by_priority if p.stacking != "exclusive"]
            )
            break
    cart_adjustments: list[Applied] = []
    gifts: list[tuple[Promo, str]] = []
    shipping_left = shipping or ZERO
    applied: list[Promo] = []
    merch = _merch(lines)
    for promo in sorted(chosen, key=lambda p: (stage(p), -p.priority, p.id)):
        cart, gift, left = _apply_one(promo, lines, shipping_left, delivery, merch)
        gave = bool(cart) or gift is not None or left != shipping_left
        for a in cart:
            if a.kind != "free_shipping":
                merch += a.amount + a.items_amount
        shipping_left = left
        cart_adjustments.extend(a for a in cart if a.amount != 0)
        if gift is not None:
            gifts.append((promo, gift))
        if gave:
            applied.append(promo)
    return Outcome(lines, cart_adjustments, gifts, (shipping or ZERO) - shipping_left, applied)


def validate_params(kind: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for every problem with a promotion's parameters."""
    errors: list[tuple[str, str]] = []

    def amount(name: str, *, positive: bool = True) -> None:
        value = params.get(name)
        try:
            number = Decimal(str(value))
        except Exception:
            errors.append((f"params/{name}", f"{name} must be a decimal amount"))
            return
        if value is None or isinstance(value, float) or (positive and number <= 0) or number < 0:
            errors.append((f"params/{name}", f"{name} must be a positive amount given as a string"))

    scope = params.get("scope", "item")
    if scope not in ("item", "cart"):
        errors.append(("params/scope", "scope must be item or cart"))
    if kind == "percent_off":
        amount("percent")
        if not errors and Decimal(str(params["percent"])) > HUNDRED:
            errors.append(("params/percent", "percent must be at most 100"))
    elif kind == "fixed_off":
        amount("amount")
    elif kind == "buy_x_get_y":
        for name in ("buy", "get"):
            if not isinstance(params.get(name), int) or params[name] < 1:
                errors.append((f"params/{name}", f"{name} must be a whole number of at least 1"))
        if "percent" in params:
            amount("percent")
    elif kind == "bundle":
        items = params.get("items")
        if (
            not isinstance(items, dict)
            or not items
            or not all(isinstance(q, int) and q >= 1 for q in items.values())
        ):
            errors.append(("params/items", "items must map each SKU to a quantity of at least 1"))
        amount("price", positive=False)
    elif kind == "gift":
        if not params.get("gift_sku"):
            errors.append(("params/gift_sku", "gift_sku names the product given"))
        if params.get("min_subtotal") is None:
            errors.append(("params/min_subtotal", "a gift needs a spend threshold (min_subtotal)"))
    elif kind == "free_shipping":
        errors += _delivery_targets(params)
    if params.get("min_subtotal") is not None:
        amount("min_subtotal", positive=False)
    return errors


def _delivery_targets(params: dict[str, Any]) -> list[tuple[str, str]]:
    """A free-shipping promotion's ``modes`` and ``methods`` use the shared delivery vocabulary."""
    errors: list[tuple[str, str]] = []
    for name, known in (("modes", DELIVERY_MODES), ("methods", DELIVERY_METHODS)):
        values = params.get(name)
        if values is None:
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            errors.append((f"params/{name}", f"{name} must be a list of names"))
            continue
        for index, value in enumerate(values):
            if value in known:
                continue
            hint = " (it is a delivery mode: list it in modes)" if value in DELIVERY_MODES else ""
            errors.append((f"params/{name}/{index}", f"{value!r} is not one of {', '.join(known)}{hint}"))
    return errors
