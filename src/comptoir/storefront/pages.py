"""The storefront's pages under ``/shop``: the catalogue (open to everyone), the shopper's cart and the
checkout (their own cart and orders only). Each topic module declares its routes; this router holds them."""

from fastapi import APIRouter

from comptoir.storefront import browse, cart_pages, checkout_pages

router = APIRouter(include_in_schema=False)
router.include_router(browse.router)
router.include_router(cart_pages.router)
router.include_router(checkout_pages.router)

PAGES: list[tuple[str, str]] = [("Storefront", "/shop")]
