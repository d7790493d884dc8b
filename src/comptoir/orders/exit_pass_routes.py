"""orders: scan & go exit passes over HTTP — the shopper's pass, and the check at the shop's door."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header

from comptoir.carts import service as carts_service
from comptoir.core import staff
from comptoir.core.api import PROBLEM_RESPONSES, RequestContext, allow
from comptoir.core.errors import InvalidInput
from comptoir.orders import service
from comptoir.orders.service import ExitPassOut, ExitPassVerdictOut, ExitPassVerifyIn

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=PROBLEM_RESPONSES)
# The pass of a sale: its customer, the anonymous shopper holding the cart's token, the sale's shop.
PassReader = Annotated[
    RequestContext, Depends(allow("orders", "read", "publishable", "customer", "staff", "shop", "secret"))
]
# The door: staff and shop devices, for their own shop.
Door = Annotated[RequestContext, Depends(allow("orders", "write", "staff", "shop", "secret"))]


@router.post("/exit-passes/verify")
def verify_exit_pass(body: ExitPassVerifyIn, ctx: Door) -> ExitPassVerdictOut:
    """Check a scan & go pass at a shop's door: ``valid`` marks it used (once); otherwise ``outcome``
    says why (invalid signature, expired, another shop, not paid, refunded, already used…)."""
    place_id = body.place_id or ctx.actor.store_id
    if place_id is None:
        raise InvalidInput("Say which shop's door checks the pass.", field="place_id")
    ctx.own_shop(place_id)
    with ctx.uow() as uow:
        name = None
        if ctx.actor.staff_id is not None:
            name = staff.get_person(uow, ctx.actor.staff_id).name
        verdict = service.verify_exit_pass(
            uow,
            body.token,
            place_id,
            ctx.settings.secret_key,
            verifier_id=ctx.actor.principal_id,
            verifier_name=name,
        )
        uow.commit()
    return verdict


@router.get("/{order_id}/exit-pass")
def get_exit_pass(
    order_id: str,
    ctx: PassReader,
    x_cart_token: Annotated[str | None, Header(max_length=200)] = None,
) -> ExitPassOut:
    """The exit pass of a paid scan & go sale (a store sale): shown as a QR code, valid two hours."""
    with ctx.uow() as uow:
        order = service.get_order(uow, order_id)
        if ctx.actor.kind == "publishable" and order.cart_id is not None:
            carts_service.read_cart(uow, order.cart_id, x_cart_token)  # 404 without the cart's token
        else:
            ctx.own_resource(order.customer_id, service.order_shops(order), "Order", order.id)
        out = service.issue_exit_pass(uow, order_id, ctx.settings.secret_key)
        uow.commit()
    return out
