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

XFAIL: dict[str, str] = {}
