"""Pages the page walk (test_every_page.py) visits besides every GET page route without path parameters.

``EXAMPLES``: example URLs of pages whose route has parameters, by app, each a page of the demo retailer
(a product, a customer, an order…) that exists after ``comptoir demo``. ``XFAIL``: URLs (``url@phone``,
``url@fr``: at that size or in that language only) that fail the checks today, with the precise reason;
remove an entry once it passes.
The customer's account (``/shop/account…``) needs a signed-in shopper: the walk, signed in as nobody,
meets its sign-in page; tests/storefront/test_account_journey.py checks the account's pages signed in.
"""

from __future__ import annotations

EXAMPLES: dict[str, list[str]] = {
    "seller": [
        "/seller/customers?q=Moreau",
        "/seller/products?q=robe",
        "/seller/products/ROB0000",
        "/seller/returns?q=Moreau",
        "/seller/exit",
    ],
    "shop": [
        "/shop/c/femme-robes",
        "/shop/search?q=robe",
        "/shop/p/ROB0012",
        "/shop/p/ROB0012/near?sku=ROB0012-ROSEPO-M&postcode=75001",
        "/shop/scan/st_paris_rivoli",
        "/shop/sign-in?next=/shop/account/orders",
        "/shop/reset-password?token=an-expired-or-unknown-token",
        "/shop/sign-in/link?token=an-expired-or-unknown-token",
    ],
    "back-office": [],
    "pages": ["/pages/orders/picking?place_id=st_paris_rivoli"],
}

_PHONE_TABLE = (
    "its table is wider than a phone (390 px): a domain page from before the design system, whose tables "
    "do not scroll inside the page"
)
_SHOP_IDS = "shows shops by their id (st_paris_rivoli…) where their names belong"

XFAIL: dict[str, str] = {
    # The staff home in French: the storefront's catalogue has no "Storefront" (the link's title).
    "/pages/@fr": "the link to the storefront reads 'Storefront' in French (msgid missing from its catalogue)",
    # An employee bound to no shop (the admin of the walk) must name one: the page answers 422 "Choose a
    # store" instead of offering the shops to choose from (the example above gives one).
    "/pages/orders/picking": "asks an admin for ?place_id= with a 422 instead of a choice of shops",
    "/pages/orders/picking?place_id=st_paris_rivoli": _SHOP_IDS,
    "/pages/orders": f"{_SHOP_IDS}; {_PHONE_TABLE}",
    "/pages/stores": f"{_SHOP_IDS}; {_PHONE_TABLE}",
    "/pages/catalog/rights@phone": _PHONE_TABLE,
    "/pages/inventory@phone": _PHONE_TABLE,
    "/pages/pricing@phone": _PHONE_TABLE,
    "/pages/receipts@phone": _PHONE_TABLE,
    "/pages/returns@phone": _PHONE_TABLE,
}
