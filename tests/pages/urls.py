"""Example addresses of the pages, on the demo retailer, for the browser checks (layout, language,
accessibility, performance budget): page route → an address that shows it with real data. Each app adds
its own; routes whose example needs ids the demo generates at load time are left out."""

from __future__ import annotations

EXAMPLES: dict[str, str] = {
    # The seller app, as a seller of the demo's Paris Rivoli shop.
    "/seller": "/seller",
    "/seller/customers": "/seller/customers?q=Moreau",
    "/seller/customers/results": "/seller/customers/results?q=Moreau",
    "/seller/products": "/seller/products?q=robe",
    "/seller/products/results": "/seller/products/results?q=robe",
    "/seller/products/{product_id}": "/seller/products/ROB0000",
    "/seller/cart": "/seller/cart",
    "/seller/pickups": "/seller/pickups",
    "/seller/returns": "/seller/returns?q=Moreau",
}
