"""Pages the page walk (test_every_page.py) visits besides every GET page route without path parameters.

``EXAMPLES``: example URLs of pages whose route has parameters, by app, each a page of the demo retailer
(a product, a customer, an order…) that exists after ``comptoir demo``. ``XFAIL``: URLs (``url@phone``:
at that size only) that fail the checks today, with the precise reason; remove an entry once it passes.
"""

from __future__ import annotations

EXAMPLES: dict[str, list[str]] = {
    "seller": [],
    "shop": [],
    "back-office": [
        # The demo's past orders are numbered by a seeded generator: the same after every `comptoir demo`.
        "/back-office/orders/CMD-D7MY5CJZ",  # web click & collect, collected, one item returned
        "/back-office/orders/CMD-6DCS5REA",  # a till sale at Montpellier, returned in Toulouse
        "/back-office/orders?channel=web",
        "/back-office/stock?shop=st_paris_rivoli",  # the shop whose stock was counted
        "/back-office?days=7",
        "/back-office/catalogue?q=bol",
    ],
    "pages": ["/pages/orders/picking?place_id=st_paris_rivoli"],
}

_PHONE_TABLE = (
    "its table is wider than a phone (390 px): a domain page from before the design system, whose tables "
    "do not scroll inside the page (the back office's pages replace it)"
)
_SHOP_IDS = "shows shops by their id (st_paris_rivoli…) where their names belong"

XFAIL: dict[str, str] = {
    # The staff home in French: the storefront's catalogue has no "Storefront" (the link's title).
    "/pages/": "the link to the storefront reads 'Storefront' in French (msgid missing from its catalogue)",
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
