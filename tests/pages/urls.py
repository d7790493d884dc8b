"""Pages the page walk (test_every_page.py) visits besides every GET page route without path parameters.

``EXAMPLES``: example URLs of pages whose route has parameters, by app, each a page of the demo retailer
(a product, a customer, an order…) that exists after ``comptoir demo``. ``XFAIL``: URLs that fail the
checks today, with the precise reason (the work that will fix them); remove an entry once it passes.
The customer's account (``/shop/account…``) needs a signed-in shopper: the walk, signed in as nobody,
meets its sign-in page; tests/storefront/test_account_journey.py checks the account's pages signed in.
"""

from __future__ import annotations

EXAMPLES: dict[str, list[str]] = {
    "seller": [],
    "shop": [
        "/shop/c/femme-robes",
        "/shop/search?q=robe",
        "/shop/p/ROB0012",
        "/shop/p/ROB0012/near?sku=ROB0012-ROSEPO-M&postcode=75001",
        "/shop/sign-in?next=/shop/account/orders",
        "/shop/reset-password?token=an-expired-or-unknown-token",
        "/shop/sign-in/link?token=an-expired-or-unknown-token",
    ],
    "back-office": [],
    "pages": [],
}

XFAIL: dict[str, str] = {}
