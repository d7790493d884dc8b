"""Who may call what: the principals, the staff roles, and the access policy every route and page declares.

Every HTTP route takes exactly one :class:`Policy` as its context dependency (``Depends(allow(...))``):

- ``who`` lists the principals admitted — ``public`` (no credentials), ``publishable`` (a browser or app
  key, anonymous shopping), ``customer`` (a publishable key with that customer's token: their own data
  only), ``shop`` (a shop's device key: its own shop only), ``secret`` (a system's key) and ``staff``
  (an employee signed in as themselves);
- ``area``/``access`` is the scope keys and roles must hold (``orders:write``…);
- ``roles`` narrows staff to some roles (retailer-wide settings: back office and administrators);
- ``retailer_wide`` refuses every shop-bound principal (shop keys, shop-bound keys and employees).

Ownership and shop binding are then checked by the route on the resource it touches, with
:meth:`RequestContext.own_customer`, :meth:`~RequestContext.customer_filter`,
:meth:`~RequestContext.own_shop` and :meth:`~RequestContext.shop_filter`; the authorisation matrix
(``tests/security``) calls every operation as every principal on real resources of another to prove it.
Calls between domains inside Comptoir are not HTTP and are not restricted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal

from comptoir.core.context import Actor, Kind
from comptoir.core.errors import Forbidden, NotFound, Unauthorized

Who = Literal["public", "publishable", "customer", "shop", "secret", "staff"]
PRINCIPALS: tuple[Who, ...] = ("public", "publishable", "customer", "shop", "secret", "staff")


class Role(StrEnum):
    SELLER = "seller"
    SHOP_MANAGER = "shop_manager"
    ADVISOR = "advisor"
    SERVICE_AGENT = "service_agent"
    BACK_OFFICE = "back_office"
    ADMIN = "admin"


_SHOP_FLOOR = (
    "catalog:read",
    "stores:read",
    "pricing:read",
    "inventory:read",
    "customers:write",
    "carts:write",
    "orders:write",
    "payments:write",
    "returns:write",
    "receipts:write",
    "loyalty:write",
    "appointments:write",
    "engagement:read",
)
# What each role may do, as scopes (``<area>:read|write``; write implies read). Bound roles (seller,
# shop manager) also act only for their shops; the routes' policies narrow retailer-wide settings further.
ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.SELLER: frozenset(_SHOP_FLOOR),
    Role.SHOP_MANAGER: frozenset(
        (*_SHOP_FLOOR, "inventory:write", "stores:write", "staff:write", "live:write")
    ),
    Role.ADVISOR: frozenset((*_SHOP_FLOOR, "live:write")),
    Role.SERVICE_AGENT: frozenset(_SHOP_FLOOR),
    Role.BACK_OFFICE: frozenset(
        (
            *(f"{area}:write" for area in ("stores", "catalog", "customers", "pricing", "loyalty")),
            *(
                f"{area}:write"
                for area in (
                    "inventory",
                    "carts",
                    "orders",
                    "payments",
                    "returns",
                    "receipts",
                    "appointments",
                    "engagement",
                    "live",
                )
            ),
            "events:read",
            "webhooks:read",
            "staff:read",
        )
    ),
    Role.ADMIN: frozenset({"*"}),
}
# Roles that work in given shops (they must name at least one); the others may be unbound.
# What a browser or an app shops with (a channel's publishable key, the reference storefront): read the
# catalogue, stock, prices and stores; fill a cart, check out, sign up and in, exchange points, start a
# return. A customer's own data needs their token beside the key.
SHOPPING_SCOPES = (
    "catalog:read",
    "stores:read",
    "pricing:read",
    "inventory:read",
    "carts:write",
    "orders:write",
    "customers:write",
    "loyalty:write",
    "payments:read",
    "receipts:read",
    "returns:write",
    "appointments:write",
    "engagement:read",
    "live:write",
)

SHOP_ROLES = frozenset({Role.SELLER, Role.SHOP_MANAGER})
RETAILER_ROLES = frozenset({Role.BACK_OFFICE, Role.ADMIN})


@lru_cache(maxsize=4096)  # a few scope sets × areas × two accesses
def scope_allows(scopes: frozenset[str], area: str, access: str) -> bool:
    """``write`` implies ``read``; ``*`` allows everything; ``*:read``/``*:write`` cover every area."""
    if "*" in scopes:
        return True
    wanted = (access,) if access == "write" else ("read", "write")
    return any(f"{area}:{a}" in scopes or f"*:{a}" in scopes for a in wanted)


def _scope_parts(scope: str) -> tuple[str, str]:
    if scope == "*":
        return "*", "write"
    area, _, access = scope.partition(":")
    return area, access


def scopes_cover(held: frozenset[str], wanted: Iterable[str]) -> list[str]:
    """The scopes of ``wanted`` that ``held`` does not cover (empty: a subset). ``*`` needs ``*``."""
    missing = []
    for scope in wanted:
        if scope == "*":
            if "*" not in held:
                missing.append(scope)
            continue
        area, access = _scope_parts(scope)
        if area == "*":
            ok = "*" in held or f"*:{access}" in held or (access == "read" and "*:write" in held)
        else:
            ok = scope_allows(held, area, access)
        if not ok:
            missing.append(scope)
    return missing


@dataclass(frozen=True, eq=False)
class Policy:
    """One route's rule: who may call it and with which scope. Used as a FastAPI dependency (see
    :func:`comptoir.core.api.allow`), and read back by the OpenAPI document and the matrix test."""

    area: str | None
    access: Literal["read", "write"]
    who: frozenset[Who]
    roles: frozenset[Role] | None = None
    retailer_wide: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "access": self.access,
            "who": sorted(self.who),
            "roles": sorted(self.roles) if self.roles is not None else None,
            "retailer_wide": self.retailer_wide,
        }

    def admits(self, actor: Actor) -> None:
        """Raise 401/403 unless ``actor`` may call the route (ownership is the route's next check)."""
        kind: Kind = actor.kind
        if kind == "system":
            return
        if kind not in self.who:
            _refuse(self, actor)
        if kind == "public":
            return
        if self.area is not None and not scope_allows(actor.scopes, self.area, self.access):
            who = "your role" if kind == "staff" else "this API key"
            raise Forbidden(
                f"{who.capitalize()} lacks the scope {self.area}:{self.access}.", slug="missing-scope"
            )
        if kind == "staff" and self.roles is not None and actor.role not in self.roles:
            raise Forbidden(
                "Your role may not do this: " + ", ".join(sorted(self.roles)) + " only.", slug="wrong-role"
            )
        if self.retailer_wide and actor.shops is not None:
            raise Forbidden(
                "This is a retailer-wide setting: a shop-bound key or employee may not change it.",
                slug="retailer-wide",
            )


def _refuse(policy: Policy, actor: Actor) -> None:
    if actor.kind == "public":
        raise Unauthorized()
    if actor.kind == "publishable" and "customer" in policy.who:
        raise Unauthorized("Sign in: send the customer's X-Customer-Token with this publishable key.")
    names = {
        "publishable": "a publishable key",
        "customer": "a customer",
        "shop": "a shop key",
        "secret": "a secret key",
        "staff": "an employee",
    }
    allowed = ", ".join(names.get(w, w) for w in sorted(policy.who)) or "nobody"
    raise Forbidden(
        f"This operation is not for {names.get(actor.kind, actor.kind)}: {allowed} only.",
        slug="wrong-principal",
    )


def policy(
    area: str | None,
    access: Literal["read", "write"] = "read",
    *who: Who,
    roles: Iterable[Role] | None = None,
    retailer_wide: bool = False,
) -> Policy:
    if not who:
        raise ValueError("a policy names at least one principal")
    unknown = set(who) - set(PRINCIPALS)
    if unknown:
        raise ValueError(f"unknown principals {sorted(unknown)}")
    return Policy(
        area=area,
        access=access,
        who=frozenset(who),
        roles=frozenset(roles) if roles is not None else None,
        retailer_wide=retailer_wide,
    )


# -- ownership and shop binding, checked by routes on the resource -----------------------------------------


def own_customer(actor: Actor, customer_id: str | None, *, resource: str = "Resource", rid: str = "") -> None:
    """A customer acts on their own data only (another's answers 404: its existence is not revealed);
    a publishable key without a customer token acts on nobody's."""
    if actor.kind == "customer":
        if customer_id is None or customer_id != actor.customer_id:
            raise NotFound(f"{resource} {rid} does not exist.".replace("  ", " "), slug="not-found")
    elif actor.kind in ("publishable", "public"):
        raise Unauthorized("Sign in: send the customer's X-Customer-Token with this publishable key.")


def own_resource(
    actor: Actor, customer_id: str | None, shops: Iterable[str | None], *, resource: str, rid: str
) -> None:
    """A resource of a customer's, handled by some shops: its customer reaches it, and a shop-bound
    caller when one of its shops handles it (another's answers 404: its existence is not revealed)."""
    if actor.kind in ("customer", "publishable", "public"):
        own_customer(actor, customer_id, resource=resource, rid=rid)
    elif actor.shops is not None and not set(shops) & actor.shops:
        raise NotFound(f"{resource} {rid} does not exist.", slug="not-found")


def customer_filter(actor: Actor, requested: str | None) -> str | None:
    """The customer a list is restricted to: the signed-in customer's own, whatever was asked."""
    if actor.kind == "customer":
        return actor.customer_id
    if actor.kind in ("publishable", "public"):
        raise Unauthorized("Sign in: send the customer's X-Customer-Token with this publishable key.")
    return requested


def own_shop(actor: Actor, place_id: str | None) -> None:
    """A shop-bound principal acts for its own shops only."""
    if actor.shops is not None and place_id not in actor.shops:
        raise Forbidden(
            f"You act for {', '.join(sorted(actor.shops))} only, not {place_id}.", slug="other-shop"
        )


def shop_filter(actor: Actor, requested: str | None) -> tuple[str, ...] | None:
    """The shops a list is restricted to: a bound principal's own (the one asked for, if it is theirs)."""
    if actor.shops is None:
        return (requested,) if requested else None
    if requested is not None:
        own_shop(actor, requested)
        return (requested,)
    return tuple(sorted(actor.shops))
