"""The authorisation matrix, generated from the OpenAPI document: every operation called as no key, a
read-only secret key, a publishable key with the owner's customer token, one with another customer's
token, shop A's key, and each staff role (sellers and managers of shop A), on real resources of the owner
(customer Marie) and of shop B (Opéra). What each principal may do is read from the operation's declared
policy (``x-comptoir-access``) and the resource's owner; a refused call answers 401, 403 or 404, an
admitted one never does, and the owner's own call succeeds. Both databases."""

from __future__ import annotations

import re
from typing import Any

from comptoir.core.access import scope_allows
from tests.orders.conftest import (  # noqa: F401 (fixtures)
    OPERA,
    PARIS_ADDRESS,
    SOIE_M,
    marie,
    shop,
    stocked,
)
from tests.security.cases import BOTH, CASES, CUSTOMER, SHOP, Case
from tests.security.world import Principal, World, build

OPEN = {"/healthz", "/readyz", "/metrics"}
REFUSED = (401, 403, 404)


def operations(client: Any) -> list[tuple[str, str, dict[str, Any]]]:
    ops = []
    for path, items in client.get("/openapi.json").json()["paths"].items():
        if path in OPEN:
            continue
        for method, op in items.items():
            ops.append((method.upper(), path, op["x-comptoir-access"]))
    return ops


def test_every_operation_has_a_case(client) -> None:  # type: ignore[no-untyped-def]
    missing = [f"{m} {p}" for m, p, _ in operations(client) if f"{m} {p}" not in CASES]
    assert missing == [], "operations without an authorisation case: add them to tests/security/cases.py"
    stale = set(CASES) - {f"{m} {p}" for m, p, _ in operations(client)}
    assert stale == set()


def admitted(policy: dict[str, Any], who: Principal, case: Case, world: World) -> bool:
    """What the declared policy and the resource's owner say of this principal."""
    kind = who.kind
    if kind not in policy["who"]:
        return False
    if kind == "public":
        return True
    if policy["area"] and not scope_allows(who.scopes, policy["area"], policy["access"]):
        return False
    if kind == "staff" and policy["roles"] is not None and who.role not in policy["roles"]:
        return False
    if policy["retailer_wide"] and who.shops is not None:
        return False
    if case.own in (CUSTOMER, BOTH) and kind == "customer" and who.customer != world["marie"]:
        return False
    return not (case.own in (SHOP, BOTH) and who.shops is not None and world["B"] not in who.shops)


def _fill(value: Any, world: World) -> Any:
    if value == "address":
        return PARIS_ADDRESS
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        if whole:
            return world.ids[whole.group(1)]
        return re.sub(r"\{(\w+)\}", lambda m: str(world.ids[m.group(1)]), value)
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


def call(client: Any, method: str, path: str, case: Case, world: World, headers: dict[str, str]) -> Any:
    url = path
    for name, ref in case.p.items():
        url = url.replace("{" + name + "}", str(world.ids.get(ref, ref)))
    body = _fill(case.b, world)
    kwargs: dict[str, Any] = {"headers": {**headers, **_fill(case.h, world)}, "params": _fill(case.q, world)}
    if body is not None:
        kwargs["json"] = body
    return client.request(method, url, **kwargs)


def owner_of(policy: dict[str, Any], case: Case, world: World) -> dict[str, str]:
    """Who owns the resource: the customer when the operation is theirs, else an administrator."""
    if case.own in (CUSTOMER, BOTH) and "customer" in policy["who"]:
        owner = next(p for p in world.principals if p.name == "owner's token")
        if not policy["area"] or scope_allows(owner.scopes, policy["area"], policy["access"]):
            return owner.headers
    if "staff" in policy["who"]:
        return next(p for p in world.principals if p.role == "admin").headers
    if "secret" in policy["who"]:
        return world.admin
    return {}


def owner_succeeded(method: str, case: Case, status: int) -> bool:
    if case.owner_status is not None:
        return status in case.owner_status
    if method == "GET":
        return 200 <= status < 300
    return status not in REFUSED and status < 500


def test_the_matrix(client, stocked, marie, settings, db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    world = build(client, db, settings, marie)
    _more_resources(client, world)
    ops = sorted(operations(client), key=lambda op: CASES[f"{op[0]} {op[1]}"].late)
    failures: list[str] = []
    for method, path, policy in ops:
        case = CASES[f"{method} {path}"]
        if case.late >= 3:
            world.sign_in_again(db)
            world.owner_signs_in_again(db, settings)
        # refused principals first (they must change nothing), then the owner, then the others admitted
        ordered = sorted(world.principals, key=lambda p: admitted(policy, p, case, world))
        refused = [p for p in ordered if not admitted(policy, p, case, world)]
        # a retailer's operation is refused by its policy (401/403); a resource of the owner's or of
        # shop B may also answer 404, so as not to reveal that it exists
        refusals = REFUSED if case.own else (401, 403)
        for who in refused:
            response = call(client, method, path, case, world, who.headers)
            if case.leak and response.status_code == 200 and who.kind == "customer":
                if str(world.ids[case.leak]) in response.text:
                    failures.append(f"{method} {path} as {who.name}: shows the owner's {case.leak}")
                continue  # a list of the caller's own items
            if response.status_code not in refusals:
                failures.append(f"{method} {path} as {who.name}: {response.status_code}, expected a refusal")
        owner = owner_of(policy, case, world)
        if owner:
            response = call(client, method, path, case, world, owner)
            if not owner_succeeded(method, case, response.status_code):
                failures.append(f"{method} {path} as its owner: {response.status_code} {response.text[:200]}")
        for who in ordered[len(refused) :]:
            if who.headers is owner:
                continue
            status = call(client, method, path, case, world, who.headers).status_code
            if status in case.answers:
                continue
            if status in (401, 403) or (status == 404 and method == "GET" and case.owner_status is None):
                failures.append(f"{method} {path} as {who.name}: {status}, expected it admitted")
            if status >= 500:
                failures.append(f"{method} {path} as {who.name}: server error {status}")
    assert failures == [], "\n".join(failures)


def _more_resources(client: Any, world: World) -> None:
    """The retailer's resources the cases name, read back from the world's data."""
    admin = world.admin
    ids = world.ids
    categories = client.get("/v1/catalog/categories", headers=admin).json()
    ids["category"] = categories[0]["id"]
    attributes = client.get("/v1/catalog/attributes", headers=admin).json()
    ids["attribute"] = attributes[0]["code"] if attributes else "colour"
    families = client.get("/v1/catalog/families", headers=admin).json()
    ids["family"] = families[0]["code"] if families else "dress"
    products = client.get("/v1/catalog/products", headers=admin).json()["items"]
    ids["product"], ids["product2"] = products[0]["code"], products[-1]["code"]
    sub = client.post(
        "/v1/webhooks/subscriptions",
        json={"url": "https://hooks.example.com/orders", "event_types": ["orders.*"]},
        headers=admin,
    )
    ids["subscription"] = sub.json()["id"]
    ids["delivery"] = 1
    ids["may_day"] = "2027-05-01"
    ids["missing"] = "does-not-exist"
    ids["sandbox_name"] = "sandbox"
    redeemed = client.post(
        f"/v1/loyalty/accounts/{ids['marie']}/redemptions",
        json={"points": 50, "reference": "matrix-points"},
        headers=world.owner,
    )
    assert redeemed.status_code == 201, redeemed.text
    ids["redemption"] = "matrix-points"
    held = client.post(
        "/v1/inventory/reservations",
        json={"reference": "matrix-hold-b", "lines": [{"sku": SOIE_M, "place_id": OPERA, "quantity": 1}]},
        headers=admin,
    )
    assert held.status_code == 201, held.text
    ids["hold_B"] = "matrix-hold-b"
    rewards = client.get("/v1/loyalty/rewards", headers=admin).json()
    ids["reward"] = rewards[0]["code"]
