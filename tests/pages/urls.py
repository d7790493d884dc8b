"""Example URLs of the reference pages on the demo retailer, by route path: what a browser test, a page
check or a person opens to see each page (``{…}`` parameters filled with the demo's own data)."""

from __future__ import annotations

EXAMPLES: dict[str, str] = {
    # -- storefront (/shop) -----------------------------------------------------------------------------
    "/shop": "/shop",
    "/shop/c/{code}": "/shop/c/femme-robes",
    "/shop/search": "/shop/search?q=robe",
    "/shop/p/{code}": "/shop/p/ROB0012",
    "/shop/p/{code}/near": "/shop/p/ROB0012/near?sku=ROB0012-ROSEPO-M&postcode=75001",
    "/shop/cart": "/shop/cart",
    "/shop/checkout": "/shop/checkout",
}
