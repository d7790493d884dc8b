"""One case per operation of the OpenAPI document: its path parameters (resolved from the world), query and
body, and whose resource it touches (the owner customer's, shop B's, both, or the retailer's).

``p`` maps a path parameter to a world id; strings in ``q`` and ``b`` written ``"{name}"`` are world ids too.
A new route without a case fails ``test_every_operation_has_a_case``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from comptoir.engagement.journeys import APPOINTMENT


@dataclass(frozen=True)
class Case:
    p: dict[str, str] = field(default_factory=dict)
    q: dict[str, Any] = field(default_factory=dict)
    b: Any = None
    own: str | None = None  # "customer" (the owner's), "shop" (shop B's), "both", or None (the retailer's)
    # changes the world for what follows: run after the others (2: a customer's sign-out everywhere,
    # 3: erasure, 4 and 5: employees' sign-outs; from 3 on, the owner and the employees sign in again)
    late: int = 0
    answers: tuple[int, ...] = ()  # what admitted callers may be answered besides success (bad credentials)
    leak: str | None = None  # a list answering its caller's own items: the owner's item must not appear
    # What the owner's own call must answer: by default a 2xx for reads; for writes, anything but a refusal
    # or a not-found (the call reached the operation on a real resource; a body the matrix does not model
    # may still be refused by the domain's rules).
    owner_status: tuple[int, ...] | None = None
    h: dict[str, str] = field(
        default_factory=dict
    )  # headers beside the principal's (``"{name}"``: world ids)


def c(**kwargs: Any) -> Case:
    return Case(**kwargs)


CUSTOMER, SHOP, BOTH = "customer", "shop", "both"
APPOINTMENT_JOURNEY = APPOINTMENT.model_dump(mode="json")
PRESSURE = {
    "caps": [{"limit": 3, "period": "week"}],
    "quiet_hours": [{"channel": "sms", "start": "20:00", "end": "08:00"}],
    "french_sms_rules": True,
}
SKU = {"sku": "sku"}
PLACE_B = {"place_id": "B"}
ORDER_B = {"order_id": "order_B"}
TICKET = {"X-Live-Ticket": "{live_ticket}"}

CASES: dict[str, Case] = {
    # -- kernel ----------------------------------------------------------------------------------------
    "GET /v1/me": c(),
    "GET /v1/keys": c(),
    "POST /v1/keys": c(b={"name": "matrix", "scopes": ["catalog:read"]}),
    "POST /v1/keys/{key_id}/revoke": c(p={"key_id": "key_B"}, own=SHOP, late=1),
    "POST /v1/webhooks/subscriptions": c(
        b={"url": "https://hooks.example.com/c", "event_types": ["orders.*"]}
    ),
    "GET /v1/webhooks/subscriptions": c(),
    "GET /v1/webhooks/subscriptions/{subscription_id}": c(p={"subscription_id": "subscription"}),
    "PATCH /v1/webhooks/subscriptions/{subscription_id}": c(
        p={"subscription_id": "subscription"}, b={"description": "x"}
    ),
    "DELETE /v1/webhooks/subscriptions/{subscription_id}": c(p={"subscription_id": "subscription"}, late=1),
    "GET /v1/webhooks/deliveries": c(),
    "GET /v1/webhooks/deliveries/{delivery_id}": c(p={"delivery_id": "delivery"}, owner_status=(404,)),
    "POST /v1/webhooks/deliveries/{delivery_id}/retry": c(p={"delivery_id": "delivery"}, owner_status=(404,)),
    "GET /v1/events": c(),
    "POST /v1/staff/sessions": c(b={"email": "{staff_email}", "password": "{staff_password}"}),
    "GET /v1/staff/me": c(),
    "GET /v1/staff/me/sessions": c(),
    "DELETE /v1/staff/me/sessions": c(late=5),
    "DELETE /v1/staff/me/sessions/current": c(late=4),
    "POST /v1/staff/me/totp": c(late=3),
    "POST /v1/staff/me/totp/confirm": c(b={"code": "000000"}, late=3),
    "GET /v1/staff/people": c(),
    "POST /v1/staff/people": c(
        b={"email": "new.seller@example.com", "name": "N", "role": "seller", "shops": ["{B}"]}, own=SHOP
    ),
    "GET /v1/staff/people/{person_id}": c(p={"person_id": "person_B"}, own=SHOP),
    "PATCH /v1/staff/people/{person_id}": c(p={"person_id": "person_B"}, b={"name": "Renommée"}, own=SHOP),
    "GET /v1/staff/audit": c(),
    # -- stores ----------------------------------------------------------------------------------------
    "POST /v1/stores/places": c(b={}),
    "GET /v1/stores/places": c(),
    "GET /v1/stores/places/{place_id}": c(p=PLACE_B),
    "PATCH /v1/stores/places/{place_id}": c(p=PLACE_B, b={"name": "Comptoir Opéra"}, own=SHOP),
    "PUT /v1/stores/places/{place_id}/hours": c(p=PLACE_B, b={"weekly": []}, own=SHOP),
    "POST /v1/stores/places/{place_id}/special-days": c(
        p=PLACE_B, b=[{"date": "2027-05-01", "closed": True}], own=SHOP
    ),
    "DELETE /v1/stores/places/{place_id}/special-days/{day}": c(
        p={"place_id": "B", "day": "may_day"}, own=SHOP
    ),
    "POST /v1/stores/places/{place_id}/close": c(p=PLACE_B, b={"reason": "inventaire"}, own=SHOP, late=1),
    "POST /v1/stores/places/{place_id}/reopen": c(p=PLACE_B, own=SHOP, late=1),
    "GET /v1/stores/places/{place_id}/opening": c(p=PLACE_B),
    "GET /v1/stores/places/{place_id}/week": c(p=PLACE_B),
    "GET /v1/stores/places/{place_id}/publications": c(p=PLACE_B),
    "GET /v1/stores/places/{place_id}/render/{channel}": c(p={"place_id": "B", "channel": "jsonld"}),
    "GET /v1/stores/opening-status": c(q={"ids": "{B}"}),
    "GET /v1/stores/nearest": c(q={"postcode": "75001"}),
    "GET /v1/stores/locator": c(),
    "GET /v1/stores/locator/{store_code}": c(p={"store_code": "B"}, owner_status=(200, 404)),
    "POST /v1/stores/bulk/status": c(b={}),
    "POST /v1/stores/bulk/hours": c(b={}),
    "POST /v1/stores/bulk/special-days": c(b={}),
    "POST /v1/stores/import": c(),
    "GET /v1/stores/channels/sync": c(),
    "GET /v1/stores/channels/{channel}/publications": c(p={"channel": "locator"}),
    "POST /v1/stores/channels/{channel}/confirmations": c(p={"channel": "locator"}, b={}),
    "PUT /v1/stores/channels/{channel}/snapshots": c(p={"channel": "locator"}, b={}),
    "GET /v1/stores/channels/csv/file": c(),
    "PUT /v1/stores/channels/csv/file": c(),
    "GET /v1/stores/audit": c(),
    # -- catalog -----------------------------------------------------------------------------------------
    "GET /v1/catalog/categories": c(),
    "POST /v1/catalog/categories": c(b={}),
    "GET /v1/catalog/categories/{ref}": c(p={"ref": "category"}),
    "PATCH /v1/catalog/categories/{ref}": c(p={"ref": "category"}, b={}),
    "GET /v1/catalog/attributes": c(),
    "POST /v1/catalog/attributes": c(b={}),
    "PATCH /v1/catalog/attributes/{code}": c(p={"code": "attribute"}, b={}),
    "GET /v1/catalog/families": c(),
    "POST /v1/catalog/families": c(b={}),
    "GET /v1/catalog/families/{code}": c(p={"code": "family"}),
    "PUT /v1/catalog/families/{code}": c(p={"code": "family"}, b={}),
    "POST /v1/catalog/products": c(b={}),
    "GET /v1/catalog/products": c(),
    "GET /v1/catalog/products/{ref}": c(p={"ref": "product"}),
    "PATCH /v1/catalog/products/{ref}": c(p={"ref": "product"}, b={}),
    "POST /v1/catalog/products/{ref}/variants": c(p={"ref": "product"}, b={}),
    "PUT /v1/catalog/products/{ref}/variants/{sku}": c(p={"ref": "product", "sku": "sku"}, b={}),
    "GET /v1/catalog/variants": c(q={"sku": "{sku}"}),
    "GET /v1/catalog/products/{ref}/completeness": c(p={"ref": "product"}),
    "POST /v1/catalog/products/{ref}/publications": c(p={"ref": "product"}, b={}),
    "POST /v1/catalog/publications": c(b={}),
    "DELETE /v1/catalog/products/{ref}/publications/{channel}/{locale}": c(
        p={"ref": "product", "channel": "web", "locale": "fr_FR"}, late=1, owner_status=(204, 404)
    ),
    "GET /v1/catalog/products/{ref}/relations": c(p={"ref": "product"}),
    "PUT /v1/catalog/products/{ref}/relations/{kind}": c(p={"ref": "product", "kind": "cross_sell"}, b={}),
    "POST /v1/catalog/products/{ref}/relations/{kind}": c(p={"ref": "product", "kind": "cross_sell"}, b={}),
    "DELETE /v1/catalog/products/{ref}/relations/{kind}/{related}": c(
        p={"ref": "product", "kind": "cross_sell", "related": "product2"}, owner_status=(204, 404)
    ),
    "POST /v1/catalog/assets": c(),
    "GET /v1/catalog/assets": c(),
    "GET /v1/catalog/assets/{asset_id}": c(p={"asset_id": "missing"}, owner_status=(404,)),
    "PATCH /v1/catalog/assets/{asset_id}": c(p={"asset_id": "missing"}, b={}, owner_status=(404,)),
    "DELETE /v1/catalog/assets/{asset_id}": c(p={"asset_id": "missing"}, owner_status=(404,)),
    "GET /v1/catalog/media/{asset_id}": c(p={"asset_id": "missing"}, owner_status=(404,)),
    "GET /v1/catalog/media/{asset_id}/{rendition}": c(
        p={"asset_id": "missing", "rendition": "thumb"}, owner_status=(404, 422)
    ),
    "GET /v1/catalog/search": c(q={"q": "robe", "channel": "web"}),
    "GET /v1/catalog/channel/products/{ref}": c(
        p={"ref": "product"}, q={"channel": "web"}, owner_status=(200, 404)
    ),
    "POST /v1/catalog/import": c(),
    "GET /v1/catalog/export": c(),
    # -- customers -----------------------------------------------------------------------------------------
    "POST /v1/customers/ingest": c(b={"source": "web", "given_name": "Zoé", "family_name": "Ingest"}),
    "POST /v1/customers/ingest/batch": c(b={"source": "crm", "records": [{"given_name": "Batch"}]}),
    "POST /v1/customers": c(b={"given_name": "Nina", "family_name": "Directe"}),
    "GET /v1/customers": c(),
    "GET /v1/customers/search": c(q={"q": "curie"}),
    "GET /v1/customers/me": c(),
    "GET /v1/customers/reviews": c(),
    "GET /v1/customers/reviews/{review_id}": c(p={"review_id": "missing"}, owner_status=(404,)),
    "POST /v1/customers/reviews/{review_id}/accept": c(p={"review_id": "missing"}, owner_status=(404,)),
    "POST /v1/customers/reviews/{review_id}/reject": c(p={"review_id": "missing"}, owner_status=(404,)),
    "POST /v1/customers/merges": c(b={"survivor_id": "{paul}", "merged_ids": ["{paul}"]}),
    "GET /v1/customers/merges/{merge_id}": c(p={"merge_id": "missing"}, owner_status=(404,)),
    "POST /v1/customers/merges/{merge_id}/undo": c(p={"merge_id": "missing"}, owner_status=(404,)),
    "POST /v1/customers/accounts": c(b={}),
    "POST /v1/customers/sessions": c(
        b={"email": "marie.curie@orange.fr", "password": "not the password"}, answers=(401,)
    ),
    "POST /v1/customers/sign-in-links": c(b={"email": "marie.curie@orange.fr"}),
    "POST /v1/customers/sessions/link": c(b={"token": "not-a-token"}, answers=(401,)),
    "POST /v1/customers/password-resets": c(b={"email": "marie.curie@orange.fr"}),
    "POST /v1/customers/password-resets/confirm": c(
        b={"token": "not-a-token", "password": "a long new password"}, answers=(401,)
    ),
    "GET /v1/customers/{customer_id}": c(p={"customer_id": "marie"}, own=CUSTOMER),
    "PATCH /v1/customers/{customer_id}": c(p={"customer_id": "marie"}, b={"locale": "fr"}, own=CUSTOMER),
    "DELETE /v1/customers/{customer_id}": c(p={"customer_id": "marie"}, own=CUSTOMER, late=3),
    "GET /v1/customers/{customer_id}/export": c(p={"customer_id": "marie"}, own=CUSTOMER),
    "GET /v1/customers/{customer_id}/360": c(p={"customer_id": "marie"}, own=CUSTOMER),
    "GET /v1/customers/{customer_id}/sources": c(p={"customer_id": "marie"}, own=CUSTOMER),
    "GET /v1/customers/{customer_id}/merges": c(p={"customer_id": "marie"}, own=CUSTOMER),
    "GET /v1/customers/{customer_id}/consents": c(p={"customer_id": "marie"}, own=CUSTOMER),
    "POST /v1/customers/{customer_id}/consents": c(
        p={"customer_id": "marie"},
        b={"statements": [{"purpose": "marketing", "channel": "email", "granted": False}]},
        own=CUSTOMER,
    ),
    "GET /v1/customers/{customer_id}/contact-permission": c(
        p={"customer_id": "marie"}, q={"purpose": "marketing", "channel": "email"}, own=CUSTOMER
    ),
    "PUT /v1/customers/{customer_id}/segments": c(
        p={"customer_id": "marie"}, b={"segments": ["vip"]}, own=CUSTOMER
    ),
    "GET /v1/customers/{customer_id}/identifiers": c(p={"customer_id": "marie"}, own=CUSTOMER),
    "GET /v1/customers/{customer_id}/notes": c(p={"customer_id": "marie"}, own=CUSTOMER),
    "POST /v1/customers/{customer_id}/notes": c(
        p={"customer_id": "marie"}, b={"body": "Préfère le lin lavé"}, own=CUSTOMER
    ),
    "POST /v1/customers/{customer_id}/block": c(p={"customer_id": "paul"}, late=1, owner_status=(200, 404)),
    "POST /v1/customers/{customer_id}/unblock": c(p={"customer_id": "paul"}, late=1, owner_status=(200, 404)),
    "DELETE /v1/customers/sessions": c(late=2),
    "POST /v1/customers/{customer_id}/identifiers": c(
        p={"customer_id": "marie"}, b={"kind": "loyalty-card", "value": "M-123"}, own=CUSTOMER
    ),
    # -- pricing ---------------------------------------------------------------------------------------------
    "POST /v1/pricing/quote": c(b={"lines": [{"sku": "{sku}", "quantity": 1}], "channel": "web"}),
    "GET /v1/pricing/prices/{sku}": c(p=SKU, q={"channel": "web"}),
    "GET /v1/pricing/prices/{sku}/history": c(p=SKU),
    "GET /v1/pricing/price-lists": c(),
    "POST /v1/pricing/price-lists": c(b={}),
    "GET /v1/pricing/price-lists/{id_or_code}": c(p={"id_or_code": "price_list"}),
    "PATCH /v1/pricing/price-lists/{id_or_code}": c(p={"id_or_code": "price_list"}, b={}),
    "PUT /v1/pricing/price-lists/{id_or_code}/prices": c(p={"id_or_code": "price_list"}, b={"prices": []}),
    "GET /v1/pricing/price-lists/{id_or_code}/prices": c(p={"id_or_code": "price_list"}),
    "POST /v1/pricing/promotions": c(b={}),
    "GET /v1/pricing/promotions": c(),
    "GET /v1/pricing/promotions/{promotion_id}": c(p={"promotion_id": "promotion"}),
    "PATCH /v1/pricing/promotions/{promotion_id}": c(p={"promotion_id": "promotion"}, b={}),
    "POST /v1/pricing/promotions/{promotion_id}/stop": c(p={"promotion_id": "promotion"}, late=1),
    "POST /v1/pricing/promotions/{promotion_id}/coupons": c(p={"promotion_id": "promotion"}, b={}),
    "POST /v1/pricing/promotions/{promotion_id}/coupon-batches": c(
        p={"promotion_id": "promotion"}, b={"count": 1}
    ),
    "GET /v1/pricing/coupons": c(q={"customer_id": "{marie}"}, own=CUSTOMER, leak="coupon_V"),
    "GET /v1/pricing/coupons/{code}": c(p={"code": "coupon_V"}),
    "POST /v1/pricing/coupons/{code}/disable": c(p={"code": "coupon_V"}, late=1),
    # -- loyalty -----------------------------------------------------------------------------------------------
    "GET /v1/loyalty/programme": c(),
    "PUT /v1/loyalty/programme": c(b={}, late=1),
    "GET /v1/loyalty/rewards": c(),
    "GET /v1/loyalty/accounts/{customer_id}": c(p={"customer_id": "marie"}, own=CUSTOMER),
    "GET /v1/loyalty/accounts/{customer_id}/history": c(p={"customer_id": "marie"}, own=CUSTOMER),
    "POST /v1/loyalty/accounts/{customer_id}/redemptions": c(
        p={"customer_id": "marie"}, b={"points": 50, "reference": "matrix-redeem"}, own=CUSTOMER
    ),
    "POST /v1/loyalty/accounts/{customer_id}/redemptions/{reference}/refund": c(
        p={"customer_id": "marie", "reference": "redemption"}, own=CUSTOMER
    ),
    "POST /v1/loyalty/accounts/{customer_id}/rewards": c(
        p={"customer_id": "marie"}, b={"reward": "{reward}", "reference": "matrix-reward"}, own=CUSTOMER
    ),
    "POST /v1/loyalty/accounts/{customer_id}/adjustments": c(
        p={"customer_id": "marie"}, b={"points": 1, "reason": "geste"}, own=CUSTOMER
    ),
    # -- inventory ----------------------------------------------------------------------------------------------
    "GET /v1/inventory/availability/nearest": c(q={"sku": "{sku}", "postcode": "75001"}),
    "GET /v1/inventory/availability": c(q={"sku": "{sku}"}),
    "GET /v1/inventory/availability/network": c(q={"sku": "{sku}"}),
    "GET /v1/inventory/stock/{place_id}/{sku}": c(p={"place_id": "B", "sku": "sku"}),
    "PUT /v1/inventory/stock/{place_id}/{sku}": c(
        p={"place_id": "B", "sku": "sku"}, b={"safety_stock": 0}, own=SHOP
    ),
    "POST /v1/inventory/movements": c(
        b={"kind": "adjustment", "sku": "{sku}", "place_id": "{B}", "quantity": 1, "reference": "matrix-adj"},
        own=SHOP,
    ),
    "GET /v1/inventory/movements": c(q={"place_id": "{B}"}, own=SHOP),
    "POST /v1/inventory/transfers": c(
        b={
            "sku": "{sku}",
            "from_place_id": "{B}",
            "to_place_id": "{A}",
            "quantity": 1,
            "reference": "matrix-t",
        },
        own=SHOP,
    ),
    "POST /v1/inventory/reservations": c(
        b={"reference": "matrix-hold", "lines": [{"sku": "{sku}", "place_id": "{B}", "quantity": 1}]},
        own=SHOP,
    ),
    "GET /v1/inventory/reservations/{reference}": c(p={"reference": "hold_B"}, own=SHOP),
    "POST /v1/inventory/reservations/{reference}/release": c(p={"reference": "hold_B"}, own=SHOP, late=1),
    "POST /v1/inventory/reservations/{reference}/confirm": c(p={"reference": "hold_B"}, b={}, own=SHOP),
    "POST /v1/inventory/reservations/{reference}/fulfil": c(
        p={"reference": "hold_B"}, b={"movement_reference": "matrix-out"}, own=SHOP, late=1
    ),
    "POST /v1/inventory/counts": c(
        b={"place_id": "{B}", "reference": "matrix-count-2", "lines": [{"sku": "{sku}", "quantity": 1}]},
        own=SHOP,
    ),
    "GET /v1/inventory/counts/{count_id}": c(p={"count_id": "count_B"}, own=SHOP),
    "GET /v1/inventory/places/{place_id}/accuracy": c(p=PLACE_B, own=SHOP),
    "POST /v1/inventory/places/sync": c(),
    # -- carts -------------------------------------------------------------------------------------------------
    "GET /v1/carts/wishlist": c(q={"customer_id": "{marie}"}, own=CUSTOMER, leak="sku"),
    "PUT /v1/carts/wishlist/{sku}": c(p=SKU),
    "DELETE /v1/carts/wishlist/{sku}": c(p=SKU, late=1),
    "POST /v1/carts/wishlist/share": c(),
    # a shared link is its own credential: anyone holding Marie's sees her list's products (nothing else)
    "GET /v1/carts/wishlist/shared/{token}": c(p={"token": "wishlist_link"}),
    "POST /v1/carts": c(b={"lines": [{"sku": "{sku}", "quantity": 1}]}),
    "GET /v1/carts/current": c(q={"customer_id": "{marie}"}, own=CUSTOMER, leak="cart_V", answers=(404,)),
    "POST /v1/carts/merge": c(),
    "POST /v1/carts/{cart_id}/customer": c(
        p={"cart_id": "cart_V"}, b={"customer_id": "{marie}"}, own=CUSTOMER
    ),
    "GET /v1/carts/{cart_id}": c(p={"cart_id": "cart_V"}, own=CUSTOMER),
    "POST /v1/carts/{cart_id}/lines": c(
        p={"cart_id": "cart_V"}, b={"sku": "{sku}", "quantity": 1}, own=CUSTOMER
    ),
    "PATCH /v1/carts/{cart_id}/lines/{line_id}": c(
        p={"cart_id": "cart_V", "line_id": "line_V"}, b={"quantity": 2}, own=CUSTOMER
    ),
    "DELETE /v1/carts/{cart_id}/lines/{line_id}": c(
        p={"cart_id": "cart_V", "line_id": "line_V"}, own=CUSTOMER, late=1
    ),
    "POST /v1/carts/{cart_id}/coupons": c(p={"cart_id": "cart_V"}, b={"code": "{coupon_V}"}, own=CUSTOMER),
    "DELETE /v1/carts/{cart_id}/coupons/{code}": c(p={"cart_id": "cart_V", "code": "coupon_V"}, own=CUSTOMER),
    # -- orders ------------------------------------------------------------------------------------------------
    "POST /v1/orders/checkout": c(
        b={"cart_id": "{cart_V}", "mode": "home_delivery", "address": "address"}, own=CUSTOMER, late=1
    ),
    "GET /v1/orders": c(),
    "GET /v1/orders/rules": c(),
    "PUT /v1/orders/rules": c(b={}, late=1),
    "GET /v1/orders/pick-lists/{place_id}": c(p=PLACE_B, own=SHOP),
    "POST /v1/orders/fulfilments/{fulfilment_id}/transitions": c(
        p={"fulfilment_id": "fulfilment_B"}, b={"action": "allocate"}, own=SHOP
    ),
    "GET /v1/orders/{order_id}": c(p=ORDER_B, own=BOTH),
    "POST /v1/orders/{order_id}/cancel": c(p=ORDER_B, b={"reason": "matrix"}, own=BOTH, late=1),
    "GET /v1/orders/{order_id}/exit-pass": c(p={"order_id": "sale_B"}, own=BOTH),
    "POST /v1/orders/exit-passes/verify": c(b={"token": "matrix", "place_id": "{B}"}, own=SHOP),
    # -- payments ------------------------------------------------------------------------------------------------
    "GET /v1/payments/orders/{order_id}": c(p={"order_id": "sale_B"}, own=BOTH),
    "POST /v1/payments/orders/{order_id}/capture": c(p={"order_id": "sale_B"}, own=BOTH),
    "POST /v1/payments/orders/{order_id}/void": c(p={"order_id": "sale_B"}, own=BOTH, late=1),
    "GET /v1/payments/payments/{payment_id}": c(p={"payment_id": "payment_B"}, own=BOTH),
    "GET /v1/payments/payments/{payment_id}/events": c(p={"payment_id": "payment_B"}, own=BOTH),
    "POST /v1/payments/payments/{payment_id}/capture": c(p={"payment_id": "payment_B"}, own=BOTH),
    "POST /v1/payments/refunds": c(
        b={"order_id": "{sale_B}", "amount": "1.00", "currency": "EUR", "reference": "matrix-refund"},
        own=BOTH,
        late=1,
    ),
    "POST /v1/payments/gift-cards": c(b={"amount": "10.00", "currency": "EUR", "reference": "matrix-card"}),
    "GET /v1/payments/gift-cards": c(q={"customer_id": "{marie}"}, own=CUSTOMER, leak="voucher_V"),
    "PUT /v1/payments/gift-cards/{code}/status": c(
        p={"code": "voucher_V"}, b={"status": "disabled"}, own=CUSTOMER, late=1
    ),
    "GET /v1/payments/gift-cards/{code}": c(p={"code": "voucher_V"}, own=CUSTOMER),
    "GET /v1/payments/gift-cards/{code}/movements": c(p={"code": "voucher_V"}, own=CUSTOMER),
    "POST /v1/payments/gift-cards/{code}/redemptions": c(
        p={"code": "voucher_V"},
        b={"amount": "1.00", "currency": "EUR", "reference": "matrix-redemption"},
        own=CUSTOMER,
    ),
    "POST /v1/payments/providers/{provider}/events": c(
        p={"provider": "sandbox_name"}, answers=(400, 401, 404, 422)
    ),
    # -- returns -------------------------------------------------------------------------------------------------
    "POST /v1/returns": c(
        b={
            "order_id": "{sale_B}",
            "method": "in_store",
            "place_id": "{B}",
            "lines": [{"line_id": "{sale_line}", "quantity": 1}],
        },
        own=BOTH,
    ),
    "GET /v1/returns": c(),
    "GET /v1/returns/policy": c(),
    "PUT /v1/returns/policy": c(b={"online_window_days": 30}),
    "GET /v1/returns/orders/{order_id}": c(p={"order_id": "sale_B"}, own=BOTH),
    "GET /v1/returns/{return_id}": c(p={"return_id": "return_B"}, own=BOTH),
    "POST /v1/returns/{return_id}/receive": c(p={"return_id": "return_B"}, b={}, own=BOTH, late=1),
    "POST /v1/returns/{return_id}/refund": c(p={"return_id": "return_B"}, b={}, own=BOTH, late=1),
    "POST /v1/returns/{return_id}/reject": c(
        p={"return_id": "return_B"}, b={"reason": "abîmé"}, own=BOTH, late=1
    ),
    "POST /v1/returns/{return_id}/cancel": c(p={"return_id": "return_B"}, own=BOTH, late=1),
    # -- receipts ------------------------------------------------------------------------------------------------
    "POST /v1/receipts": c(b={"order_id": "{sale_B}"}, own=BOTH),
    "GET /v1/receipts": c(),
    "GET /v1/receipts/{receipt_id}": c(p={"receipt_id": "receipt_B"}, own=BOTH),
    "POST /v1/receipts/{receipt_id}/send": c(p={"receipt_id": "receipt_B"}, b={}, own=BOTH),
    "GET /v1/receipts/orders/{order_id}": c(p={"order_id": "sale_B"}, own=BOTH),
    "POST /v1/receipts/{receipt_id}/links/revoke": c(p={"receipt_id": "receipt_B"}, own=BOTH, late=1),
    # -- appointments --------------------------------------------------------------------------------------------
    "GET /v1/appointments/services": c(),
    "POST /v1/appointments/services": c(
        b={
            "code": "matrix-{unique}",
            "kind": "fitting",
            "names": {"fr": "Essayage", "en": "Fitting"},
            "duration_min": 30,
            "channels": ["store"],
            "place_ids": ["{B}"],
        }
    ),
    "GET /v1/appointments/services/{service_id}": c(p={"service_id": "service"}),
    "PATCH /v1/appointments/services/{service_id}": c(p={"service_id": "service"}, b={"active": True}),
    "GET /v1/appointments/advisors": c(),
    "PUT /v1/appointments/advisors/{advisor_id}": c(
        p={"advisor_id": "advisor_B"},
        b={
            "place_ids": ["{B}"],
            "weekly": [{"day": "monday", "start": "10:00", "end": "19:00", "place_id": "{B}"}],
        },
        own=SHOP,
        late=1,
    ),
    "GET /v1/appointments/advisors/{advisor_id}": c(p={"advisor_id": "advisor_B"}, own=SHOP),
    "POST /v1/appointments/advisors/{advisor_id}/leaves": c(
        p={"advisor_id": "advisor_B"},
        b={"starts_at": "2032-01-01T00:00:00Z", "ends_at": "2032-01-02T00:00:00Z"},
        own=SHOP,
    ),
    "GET /v1/appointments/advisors/{advisor_id}/leaves": c(p={"advisor_id": "advisor_B"}, own=SHOP),
    "DELETE /v1/appointments/advisors/{advisor_id}/leaves/{leave_id}": c(
        p={"advisor_id": "advisor_B", "leave_id": "leave_B"}, own=SHOP, late=1, owner_status=(204, 404)
    ),
    "POST /v1/appointments/resources": c(
        b={"place_id": "{B}", "kind": "fitting_room", "name": "Cabine {unique}"}, own=SHOP
    ),
    "GET /v1/appointments/resources": c(),
    "GET /v1/appointments/slots": c(q={"service_id": "{service}", "days": 2}),
    "POST /v1/appointments/holds": c(
        b={"service_id": "{service}", "place_id": "{B}", "starts_at": "{slot_hold}"}, own=SHOP, answers=(409,)
    ),
    "POST /v1/appointments": c(
        b={
            "slot": {"service_id": "{service}", "place_id": "{B}", "starts_at": "{slot_book}"},
            "customer_id": "{marie}",
            "person": {"given_name": "Jeanne", "phone": "06 11 22 33 44"},
        },
        own=SHOP,
        answers=(409,),
    ),
    "GET /v1/appointments": c(q={"customer_id": "{marie}"}, leak="appointment_B"),
    "POST /v1/appointments/waitlist": c(
        b={
            "service_id": "{service}",
            "first_day": "2031-02-01",
            "last_day": "2031-02-02",
            "customer_id": "{marie}",
        }
    ),
    "GET /v1/appointments/waitlist": c(q={"customer_id": "{marie}"}, leak="waitlist_V"),
    "GET /v1/appointments/{appointment_id}": c(p={"appointment_id": "appointment_B"}, own=BOTH),
    "POST /v1/appointments/{appointment_id}/reschedule": c(
        p={"appointment_id": "appointment_B"}, b={"starts_at": "{slot_move}"}, own=BOTH, late=1
    ),
    "POST /v1/appointments/{appointment_id}/cancel": c(
        p={"appointment_id": "appointment_B"}, b={"reason": "matrice"}, own=BOTH, late=1
    ),
    "POST /v1/appointments/{appointment_id}/check-in": c(
        p={"appointment_id": "appointment_B"}, own=BOTH, late=1
    ),
    "POST /v1/appointments/{appointment_id}/complete": c(
        p={"appointment_id": "appointment_B"}, b={"notes": "robe bleue"}, own=BOTH, late=1
    ),
    "POST /v1/appointments/{appointment_id}/no-show": c(
        p={"appointment_id": "appointment_B"}, own=BOTH, late=1
    ),
    "GET /v1/appointments/{appointment_id}/invitation.ics": c(
        p={"appointment_id": "appointment_B"}, q={"token": "{invitation_token}"}
    ),
    # -- engagement --------------------------------------------------------------------------------------------
    "GET /v1/engagement/journeys": c(),
    "GET /v1/engagement/journeys/{code}": c(p={"code": "journey"}),
    "PUT /v1/engagement/journeys/{code}": c(p={"code": "journey"}, b=APPOINTMENT_JOURNEY, late=1),
    "GET /v1/engagement/pressure": c(),
    "PUT /v1/engagement/pressure": c(b=PRESSURE, late=1),
    "GET /v1/engagement/customers/{customer_id}/journeys": c(p={"customer_id": "marie"}, own=CUSTOMER),
    "GET /v1/engagement/customers/{customer_id}/messages": c(p={"customer_id": "marie"}, own=CUSTOMER),
    "GET /v1/engagement/preview/{template}": c(p={"template": "template"}),
    "POST /v1/engagement/send": c(),
    "POST /v1/engagement/unsubscribe": c(q={"token": "{unsubscribe_token}"}, late=1),
    # -- engagement: experiments -------------------------------------------------------------------------------
    "GET /v1/engagement/experiments": c(),
    "GET /v1/engagement/experiments/{experiment_id}": c(p={"experiment_id": "experiment"}),
    "POST /v1/engagement/experiments/{experiment_id}/decide": c(p={"experiment_id": "experiment"}),
    # -- engagement: devices -----------------------------------------------------------------------------------
    # a customer's own (another's token registering the same device takes it over: the last sign-in wins)
    "POST /v1/engagement/devices": c(b={"token": "matrix-tablet-token-0002", "platform": "android"}),
    "DELETE /v1/engagement/devices/{device_id}": c(p={"device_id": "device_V"}, own=CUSTOMER),
    "GET /v1/engagement/customers/{customer_id}/devices": c(p={"customer_id": "marie"}, own=CUSTOMER),
    # -- engagement: surveys -----------------------------------------------------------------------------------
    # what the surveys say: the retailer's staff (a shop manager of shop A asking for shop B is refused)
    "GET /v1/engagement/surveys/stats": c(q={"place_id": "{B}"}, own=SHOP),
    "GET /v1/engagement/surveys/answers": c(q={"place_id": "{B}"}, own=SHOP),
    # a customer answers their own survey message (another's answers 404)
    "POST /v1/engagement/surveys/answers": c(b={"message_id": "{survey_V}", "score": 9}, own=CUSTOMER),
    # -- engagement: launches ----------------------------------------------------------------------------------
    # the retailer's campaigns: launched by back office and administrators and secret keys, read by staff
    "POST /v1/engagement/journeys/{code}/launches": c(
        p={"code": "new_arrivals"}, b={"audience": {"segments_any": ["matrix"]}}
    ),
    "GET /v1/engagement/launches": c(),
    "GET /v1/engagement/launches/{launch_id}": c(p={"launch_id": "launch"}),
    # -- live ----------------------------------------------------------------------------------------------
    # A shopper's page acts with its request's ticket (X-Live-Ticket): Marie's, for her request and session
    # (with shop B's advisor). An advisor reaches their own sessions only (another answers 404); setting a
    # presence is for the live service's advisors (the matrix's employees are not: 403).
    "POST /v1/live/requests": c(b={"topic": "robe", "language": "fr"}),
    "GET /v1/live/requests/{request_id}": c(p={"request_id": "live_request"}, h=TICKET, own=CUSTOMER),
    "DELETE /v1/live/requests/{request_id}": c(
        p={"request_id": "live_request"}, h=TICKET, own=CUSTOMER, late=1
    ),
    "POST /v1/live/requests/{request_id}/message": c(
        p={"request_id": "live_request"},
        h=TICKET,
        own=CUSTOMER,
        b={"message": "Rappelez-moi", "contact": "marie.curie@orange.fr"},
    ),
    "PUT /v1/live/presence/me": c(b={"status": "away"}, owner_status=(403,), answers=(403,)),
    "GET /v1/live/offers/me": c(),
    "GET /v1/live/queue": c(),
    "POST /v1/live/requests/{request_id}/accept": c(p={"request_id": "live_request"}, answers=(409,)),
    "POST /v1/live/requests/{request_id}/decline": c(p={"request_id": "live_request"}, answers=(409,)),
    "GET /v1/live/sessions/{session_id}": c(
        p={"session_id": "live_session"}, h=TICKET, own=BOTH, answers=(404,)
    ),
    "POST /v1/live/sessions/{session_id}/pushes": c(
        p={"session_id": "live_session"}, b=SKU, own=SHOP, answers=(404,)
    ),
    "POST /v1/live/sessions/{session_id}/items": c(
        p={"session_id": "live_session"},
        h=TICKET,
        b={"sku": "{sku}", "kind": "compared"},
        own=BOTH,
        answers=(404,),
    ),
    "PUT /v1/live/sessions/{session_id}/notes": c(
        p={"session_id": "live_session"}, b={"notes": "Taille S"}, own=SHOP, answers=(404,)
    ),
    "POST /v1/live/sessions/{session_id}/chat": c(
        p={"session_id": "live_session"}, h=TICKET, b={"text": "Bonjour"}, own=BOTH, answers=(404,)
    ),
    "POST /v1/live/sessions/{session_id}/basket": c(
        p={"session_id": "live_session"}, b={"lines": [{"sku": "{sku}"}]}, own=SHOP, answers=(404,)
    ),
    "POST /v1/live/sessions/{session_id}/end": c(
        p={"session_id": "live_session"}, h=TICKET, own=BOTH, answers=(404,), late=1
    ),
}
