"""The 360° view's sections made ready for a seller's eyes: the JSON each domain contributes, read back
into dates, amounts and names (shops, products), so the templates show formatted values and links.

A section this app does not know is left out, never dumped; one that failed says so."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from fastapi import Request

from comptoir.catalog import service as catalog_service
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import service as pricing_service
from comptoir.seller.common import CURRENCY, catalogue_locale, channel_place, page_image, place_names

KNOWN = (
    "customers",
    "loyalty",
    "orders",
    "returns",
    "payments",
    "receipts",
    "carts",
    "pricing",
    "appointments",
)
DATE_KEYS = (
    "created_at",
    "received_at",
    "sent_at",
    "expires_at",
    "occurred_at",
    "updated_at",
    "stated_at",
    "starts_at",
    "ends_at",
)
MONEY_KEYS = ("total", "amount", "balance", "total_refund", "value", "refunded_amount", "captured_amount")


def _when(value: Any) -> datetime | date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None


def _amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _item(raw: dict[str, Any]) -> SimpleNamespace:
    """A section's row with its dates and amounts parsed (``None`` when absent or unreadable)."""
    values = dict(raw)
    for key in DATE_KEYS:
        if key in values:
            values[key] = _when(values[key])
    for key in MONEY_KEYS:
        if key in values:
            values[key] = _amount(values[key])
    return SimpleNamespace(**values)


def _rows(section: dict[str, Any], key: str) -> list[SimpleNamespace]:
    return [_item(r) for r in section.get(key) or [] if isinstance(r, dict)]


def present(
    uow: UnitOfWork, request: Request, raw: dict[str, dict[str, Any]], *, shop: str | None = None
) -> dict[str, Any]:
    """Each known section, parsed; ``failed`` names the sections that could not be read. Prices (of the
    wishlist) are those of ``shop``."""
    out: dict[str, Any] = {"failed": [n for n in KNOWN if "error" in (raw.get(n) or {})]}
    ok = {n: raw[n] for n in KNOWN if n in raw and "error" not in raw[n]}
    customers = ok.get("customers", {})
    out["consents"] = _rows(customers, "consents")
    out["identifiers"] = _rows(customers, "identifiers")
    out["notes"] = _rows(customers, "notes")
    out["sources"] = sorted({s.get("source") for s in customers.get("sources") or [] if s.get("source")})
    if "loyalty" in ok:
        loyalty = _item(ok["loyalty"])
        loyalty.expiring_soon = _rows(ok["loyalty"], "expiring_soon")
        loyalty.history = _rows(ok["loyalty"], "history")[:5]
        out["loyalty"] = loyalty
    orders = ok.get("orders", {})
    out["open_orders"] = _rows(orders, "open_orders")
    out["recent_orders"] = _rows(orders, "recent_orders")
    out["returns"] = _rows(ok.get("returns", {}), "recent_returns")
    payments = ok.get("payments", {})
    out["payments"] = _rows(payments, "recent_payments")[:5]
    out["gift_cards"] = _rows(payments, "gift_cards")
    out["receipts"] = _rows(ok.get("receipts", {}), "recent_receipts")[:5]
    out["coupons"] = [c for c in _rows(ok.get("pricing", {}), "coupons") if c.status == "active"]
    cart = (ok.get("carts") or {}).get("open_cart")
    out["cart"] = _cart(uow, request, cart) if isinstance(cart, dict) else None
    out["wishlist"] = _wishlist(uow, request, (ok.get("carts") or {}).get("wishlist") or [], shop)
    appointments = ok.get("appointments", {})
    out["appointments"] = _rows(appointments, "upcoming")
    out["past_appointments"] = _rows(appointments, "past")[:5]
    places = {channel_place(o.channel) for o in out["open_orders"] + out["recent_orders"]}
    places |= {r.place_id for r in out["returns"] + out["receipts"]}
    places |= {a.place_id for a in out["appointments"] + out["past_appointments"]}
    places.add(channel_place(cart.get("channel_started")) if isinstance(cart, dict) else None)
    out["places"] = place_names(uow, places)
    return out


def _cart(uow: UnitOfWork, request: Request, raw: dict[str, Any]) -> SimpleNamespace:
    cart = _item(raw)
    cart.lines = _rows(raw, "lines")
    variants = catalog_service.get_variants(uow, [x.sku for x in cart.lines], catalogue_locale(request))
    for line in cart.lines:
        variant = variants.get(line.sku)
        line.name = variant.name if variant else line.name
        line.image = page_image(variant.image_url) if variant else None
    return cart


def _wishlist(uow: UnitOfWork, request: Request, raw: list[Any], shop: str | None) -> list[SimpleNamespace]:
    """The wishlisted products still in the catalogue, named in the page's language, with a photo the
    page can show and the price here."""
    items = [_item(x) for x in raw if isinstance(x, dict) and x.get("sku")]
    skus = [x.sku for x in items]
    variants = catalog_service.get_variants(uow, skus, catalogue_locale(request))
    channel = f"store:{shop}" if shop else "store"
    prices = pricing_service.shelf_prices(
        uow, skus, currency=CURRENCY, channel=channel, store_id=shop, customer_id=None
    )
    shown = []
    for item in items:
        variant = variants.get(item.sku)
        if variant is None:
            continue  # left the catalogue: nothing a seller could show or sell
        item.name = variant.name
        item.image = page_image(variant.image_url or item.image_url)
        item.price = prices.get(item.sku)
        shown.append(item)
    return shown
