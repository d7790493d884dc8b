"""Every route and page declares who may call it (``allow(...)``, ``require_page(...)`` or ``Public``);
a route without a declared policy fails here. The OpenAPI document carries each policy."""

from __future__ import annotations

from comptoir.core.api import api_routes, route_policy

# Operations with no caller to check: liveness, readiness and the Prometheus scrape.
OPEN = {"/healthz", "/readyz", "/metrics"}


def test_every_route_and_page_declares_its_policy(app) -> None:  # type: ignore[no-untyped-def]
    missing, legacy = [], []
    routes = list(api_routes(app.routes))
    assert len(routes) > 200
    for route in routes:
        if route.path in OPEN:
            continue
        dep = route_policy(route)
        name = f"{sorted(route.methods)} {route.path}"
        if dep is None:
            missing.append(name)
        elif not dep.declared:
            legacy.append(name)
    assert missing == [], f"routes without an access policy: {missing}"
    assert legacy == [], f"routes on the legacy require(): declare who may call them: {legacy}"


def test_the_openapi_document_states_each_operations_policy(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/openapi.json").json()["paths"]
    checkout = paths["/v1/orders/checkout"]["post"]
    assert checkout["x-comptoir-access"]["who"] == ["customer", "publishable", "secret", "shop", "staff"]
    rules = paths["/v1/orders/rules"]["put"]["x-comptoir-access"]
    assert rules == {
        "area": "orders",
        "access": "write",
        "who": ["secret", "staff"],
        "roles": ["admin", "back_office"],
        "retailer_wide": True,
    }
    keys = paths["/v1/keys"]["get"]["x-comptoir-access"]
    assert "publishable" not in keys["who"] and "shop" not in keys["who"]
    for path, operations in paths.items():
        if path in OPEN:
            continue
        for method, operation in operations.items():
            assert "x-comptoir-access" in operation, f"{method.upper()} {path}"


def test_pages_are_for_signed_in_employees_and_public_pages_say_so(app) -> None:  # type: ignore[no-untyped-def]
    for route in api_routes(app.routes):
        if route.path.startswith("/pages"):
            dep = route_policy(route)
            assert dep is not None, route.path
            assert dep.policy.who in ({"staff"}, {"public"}), (route.path, dep.policy.who)
