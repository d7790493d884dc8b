"""Pages the page walk (test_every_page.py) visits besides every GET page route without path parameters.

``EXAMPLES``: example URLs of pages whose route has parameters, by app, each a page of the demo retailer
(a product, a customer, an order…) that exists after ``comptoir demo``. ``XFAIL``: URLs (``url@phone``,
``url@fr``: at that size or in that language only) that fail the checks today, with the precise reason;
remove an entry once it passes.
The customer's account (``/shop/account…``) needs a signed-in shopper: the walk, signed in as nobody,
meets its sign-in page; tests/storefront/test_account_journey.py checks the account's pages signed in.
``every_page()``: those examples and every GET page route without path parameters, each with the role
to sign in with (the walk and ``bench/pages.py`` visit the same list).
"""

from __future__ import annotations

from collections.abc import Iterator

APPS = ("/seller", "/shop", "/back-office", "/pages")
PUBLIC_PREFIXES = ("/shop", "/pages/sign-in")

EXAMPLES: dict[str, list[str]] = {
    "seller": [
        "/seller/customers?q=Moreau",
        "/seller/products?q=robe",
        "/seller/products/ROB0000",
        "/seller/returns?q=Moreau",
        "/seller/exit",
        "/seller/appointments?shop=st_paris_rivoli&who=shop",
        "/seller/appointments/new?shop=st_paris_rivoli&service=conseil-style",
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
        "/shop/appointments/conseil-style?postcode=75001",  # the demo's services and shops
        "/shop/appointments/conseil-style/st_paris_rivoli",
    ],
    "back-office": [
        # The demo's past orders are numbered by a seeded generator: the same after every `comptoir demo`.
        "/back-office/orders/CMD-D7MY5CJZ",  # web click & collect, collected, one item returned
        "/back-office/orders/CMD-6DCS5REA",  # a till sale at Montpellier, returned in Toulouse
        "/back-office/orders?channel=web",
        "/back-office/stock?shop=st_paris_rivoli",  # the shop whose stock was counted
        "/back-office?days=7",
        "/back-office/catalogue?q=bol",
        "/back-office/appointments?place=st_paris_rivoli",
        "/back-office/messages/appointment_confirmation?language=fr",
        "/back-office/messages/order_ready_for_pickup?language=en",
    ],
    "pages": ["/pages/orders/picking?place_id=st_paris_rivoli"],
}

XFAIL: dict[str, str] = {}


def page_routes() -> Iterator[tuple[str, str | None]]:
    """(path, the role to sign in with, None for public pages) of every page route without parameters."""
    from comptoir.app import create_app
    from comptoir.core.access import ROLE_SCOPES, Role, scope_allows
    from comptoir.core.api import api_routes, route_policy
    from comptoir.core.settings import Settings

    app = create_app(
        Settings(env="test", database_url="sqlite:///never-opened.db", secret_key="x" * 40, dispatcher="off")
    )
    for route in api_routes(app.routes):
        if not route.path.startswith(APPS) or "{" in route.path or "GET" not in (route.methods or ()):
            continue
        if route.include_in_schema or any(
            param.field_info.is_required() for param in route.dependant.query_params
        ):
            continue  # an API route, or a page that needs a query (list an example URL in EXAMPLES)
        dep = route_policy(route)
        if dep is None or dep.policy.who != {"staff"}:
            yield route.path, None
            continue
        rule = dep.policy
        admitted = [
            role
            for role in Role
            if (rule.area is None or scope_allows(ROLE_SCOPES[role], rule.area, rule.access))
            and (rule.roles is None or role in rule.roles)
        ]
        role = Role.ADMIN if Role.ADMIN in admitted else (admitted[0] if admitted else Role.ADMIN)
        yield route.path, role.value


def every_page() -> dict[str, str | None]:
    """Every page the walk visits, sorted: URL -> the role to sign in with (None: public)."""
    found = dict(page_routes())
    for urls in EXAMPLES.values():
        for url in urls:
            found.setdefault(url, None if url.startswith(PUBLIC_PREFIXES) else "admin")
    return dict(sorted(found.items()))


def budget_viewport(url: str) -> str:
    """The size a page's performance budget is measured at (in French): the shop on a phone, the rest
    on a tablet."""
    return "phone" if url.startswith("/shop") else "tablet"
