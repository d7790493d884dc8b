"""Pages the page walk (test_every_page.py) visits besides every GET page route without path parameters.

``EXAMPLES``: example URLs of pages whose route has parameters, by app, each a page of the demo retailer
(a product, a customer, an order…) that exists after ``comptoir demo``. ``XFAIL``: URLs that fail the
checks today, with the precise reason (the work that will fix them); remove an entry once it passes.
"""

from __future__ import annotations

EXAMPLES: dict[str, list[str]] = {
    "seller": [],
    "shop": [
        "/shop/c/femme-robes",
        "/shop/search?q=robe",
        "/shop/p/ROB0012",
        "/shop/p/ROB0012/near?sku=ROB0012-ROSEPO-M&postcode=75001",
        "/shop/scan/st_paris_rivoli",
    ],
    "back-office": [],
    "pages": [],
}

XFAIL: dict[str, str] = {}
