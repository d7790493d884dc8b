"""The checkout form's rules as the shopper meets them: what each mode needs, the sandbox's test cards,
and every refusal turned into a message under the field it concerns, in the page's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from comptoir.catalog import service as catalog_service
from comptoir.core.errors import Problem
from comptoir.core.uow import UnitOfWork
from comptoir.orders.schemas import OrderOut
from comptoir.storefront.catalog_views import shop_media

MODES = ("home_delivery", "click_and_collect", "reserve_and_collect")
# Paid online by card; reserve & collect is paid in the shop.
PAID_ONLINE = ("home_delivery", "click_and_collect")
ADDRESS_FIELDS = ("name", "line1", "postcode", "city")
# The card sandbox's test tokens (payments.providers.sandbox): what a real provider's card form returns.
TEST_CARDS = ("tok_visa", "tok_mastercard", "tok_3ds", "tok_declined")

Gettext = Callable[[str], str]


def test_cards(_: Gettext) -> list[tuple[str, str]]:
    labels = {
        "tok_visa": _("Visa test card (accepted)"),
        "tok_mastercard": _("Mastercard test card (accepted)"),
        "tok_3ds": _("Test card with 3-D Secure (the bank asks you to confirm)"),
        "tok_declined": _("Test card that the bank declines"),
    }
    return [(token, labels[token]) for token in TEST_CARDS]


def messages(_: Gettext) -> dict[str, str]:
    return {
        "mode": _("Choose how to receive your order."),
        "name": _("Enter the recipient's name."),
        "line1": _("Enter the street and number."),
        "line2": _("This address line is too long."),
        "postcode": _("Enter a valid postcode."),
        "city": _("Enter the town or city."),
        "phone": _("Enter a valid phone number."),
        "pickup_place_id": _("Choose the shop where you will collect your order."),
        "email": _("Enter a valid e-mail address."),
        "card": _("Choose a card."),
    }


def check(values: dict[str, Any], *, signed_in: bool, gettext: Gettext) -> dict[str, str]:
    """What the form lacks before anything is asked of the domains: field → message."""
    text = messages(gettext)
    errors: dict[str, str] = {}
    mode = values.get("mode")
    if mode not in MODES:
        return {"mode": text["mode"]}
    if mode == "home_delivery":
        for name in ADDRESS_FIELDS:
            if not str(values.get(name, "")).strip():
                errors[name] = text[name]
    elif not values.get("pickup_place_id"):
        errors["pickup_place_id"] = text["pickup_place_id"]
    if mode in PAID_ONLINE and values.get("card") not in TEST_CARDS:
        errors["card"] = text["card"]
    if not signed_in and not str(values.get("email", "")).strip():
        errors["email"] = text["email"]
    return errors


def validation_errors(invalid: ValidationError, gettext: Gettext) -> dict[str, str]:
    """The pydantic refusal of the checkout command, under the form's fields."""
    text = messages(gettext)
    errors: dict[str, str] = {}
    for err in invalid.errors():
        loc = [str(part) for part in err.get("loc", ())]
        field = next((part for part in reversed(loc) if part in text), None)
        if field is None and loc and loc[0] == "tenders":
            field = "card"
        errors[field or "mode"] = text[field or "mode"]
    return errors


def field_of(problem: Problem) -> str | None:
    """The form field a domain's refusal names (``#/address/postcode`` → ``postcode``), if any."""
    for err in problem.errors:
        pointer = str(err.get("pointer") or "")
        parts = [p for p in pointer.lstrip("#").split("/") if p]
        if not parts:
            continue
        if parts[0] == "tenders":
            return "card"
        if parts[-1] in ("pickup_place_id", "email", *ADDRESS_FIELDS, "phone"):
            return parts[-1]
    return None


def line_names(uow: UnitOfWork, order: OrderOut, locale: str) -> dict[str, dict[str, Any]]:
    """Each ordered SKU's name, size, colour and photo."""
    variants = catalog_service.get_variants(uow, [line.sku for line in order.lines], locale, channel="web")
    return {
        sku: {"name": v.name, "size": v.size, "colour": v.colour, "image_url": shop_media(v.image_url)}
        for sku, v in variants.items()
    }
