"""Pages the page walk (test_every_page.py) visits besides every GET page route without path parameters.

``EXAMPLES``: example URLs of pages whose route has parameters, by app, each a page of the demo retailer
(a product, a customer, an order…) that exists after ``comptoir demo``. ``XFAIL``: URLs that fail the
checks today, with the precise reason (the work that will fix them); remove an entry once it passes.
"""

from __future__ import annotations

EXAMPLES: dict[str, list[str]] = {
    "seller": [],
    "shop": [],
    "back-office": [],
    "pages": ["/pages/orders/picking?place_id=st_paris_rivoli"],
}

XFAIL: dict[str, str] = {
    # An employee bound to no shop (the admin of the walk) must name one: the page answers 422 "Choose a
    # store" instead of offering the shops to choose from (the example above gives one).
    "/pages/orders/picking": "asks an admin for ?place_id= with a 422 instead of a choice of shops",
}
