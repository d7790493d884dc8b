"""The storefront's pages under ``/shop``: the catalogue (open to everyone), the shopper's cart and the
checkout (their own cart and orders only). Each topic module declares its routes and the domain lists
those routers (``storefront/domain.py``), so each page is dispatched by its own area."""

PAGES: list[tuple[str, str]] = [("Storefront", "/shop")]
