"""carts: HTTP API (thin: parse, call the service, map errors).

Any channel reads and changes a cart with ``carts:read`` / ``carts:write``. An anonymous cart is
reached with the token returned once at its creation, sent back as ``X-Cart-Token``; a signed-in
customer's with the customer token (``X-Customer-Token``); staff channels reach any cart by id.
Changes accept ``If-Match: "<version>"`` (412 when the cart moved on); POSTs accept ``Idempotency-Key``.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from comptoir.carts import service
from comptoir.carts.schemas import (
    AttachCustomerIn,
    CartCreatedOut,
    CartIn,
    CartOut,
    CouponIn,
    LineIn,
    LinePatch,
    MergeOut,
)
from comptoir.core.api import PROBLEM_RESPONSES, IfMatch, RequestContext, allow, etag
from comptoir.core.errors import InvalidInput, NotFound

router = APIRouter(prefix="/v1/carts", tags=["carts"], responses=PROBLEM_RESPONSES)
# A cart is reached by anyone shopping with its token (anonymous) or the customer's token (theirs), and
# by staff, shop and secret keys by id; the service checks the reach (``carts.policies.may_reach``).
Reader = Annotated[
    RequestContext, Depends(allow("carts", "read", "publishable", "customer", "staff", "shop", "secret"))
]
Writer = Annotated[
    RequestContext, Depends(allow("carts", "write", "publishable", "customer", "staff", "shop", "secret"))
]
CustomerReader = Annotated[
    RequestContext, Depends(allow("carts", "read", "customer", "staff", "shop", "secret"))
]
CustomerWriter = Annotated[RequestContext, Depends(allow("carts", "write", "customer"))]
StaffWriter = Annotated[RequestContext, Depends(allow("carts", "write", "staff", "shop", "secret"))]
CartToken = Annotated[
    str | None,
    Header(
        alias="X-Cart-Token", max_length=200, description="The anonymous cart's token (from its creation)"
    ),
]


def _with_etag(response: Response, out: CartOut) -> CartOut:
    response.headers["ETag"] = etag(out.version)
    return out


@router.post(
    "",
    status_code=201,
    summary="Start a cart (anonymous, the signed-in customer's, or for a customer a seller names)",
    responses={200: {"description": "The customer already had an open cart: the lines were added to it"}},
)
def create_cart(body: CartIn, ctx: Writer, response: Response) -> CartCreatedOut:
    with ctx.uow() as uow:
        out, created = service.create_cart(uow, body)
        uow.commit()
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/v1/carts/{out.id}"
    response.headers["ETag"] = etag(out.version)
    return out


@router.get("/current", summary="The customer's open cart, whichever channel started it")
def current_cart(
    ctx: CustomerReader,
    response: Response,
    customer_id: Annotated[str | None, Query(max_length=64, description="Staff channels")] = None,
) -> CartOut:
    customer_id = ctx.customer_filter(customer_id)
    with ctx.reader() as uow:
        out = service.current_cart(uow, customer_id)
    if out is None:
        raise NotFound("The customer has no open cart.", slug="no-open-cart")
    return _with_etag(response, out)


@router.post(
    "/merge",
    summary="Sign-in: merge the anonymous cart (X-Cart-Token) into the signed-in customer's cart",
)
def merge(ctx: CustomerWriter, cart_token: CartToken = None) -> MergeOut:
    if ctx.actor.customer_id is None:
        raise InvalidInput(
            "Send the customer token (X-Customer-Token) of the customer who signed in.",
            errors=[{"header": "X-Customer-Token", "detail": "required"}],
        )
    if not cart_token:
        raise InvalidInput(
            "Send the anonymous cart's token.", errors=[{"header": "X-Cart-Token", "detail": "required"}]
        )
    with ctx.uow() as uow:
        out = service.merge_anonymous(uow, ctx.actor.customer_id, cart_token)
        if out is None:
            raise NotFound("No open anonymous cart holds this token.", slug="no-anonymous-cart")
        uow.commit()
    return out


@router.post(
    "/{cart_id}/customer",
    summary="Staff: name the customer of an anonymous cart (it joins the customer's cart if there is one)",
)
def attach_customer(cart_id: str, body: AttachCustomerIn, ctx: StaffWriter, version: IfMatch) -> MergeOut:
    with ctx.uow() as uow:
        out = service.attach_customer(uow, cart_id, body.customer_id, expected_version=version)
        uow.commit()
    return out


@router.get("/{cart_id}", summary="A cart with its lines, coupons and prices (ETag = its version)")
def get_cart(cart_id: str, ctx: Reader, response: Response, cart_token: CartToken = None) -> CartOut:
    with ctx.reader() as uow:
        return _with_etag(response, service.read_cart(uow, cart_id, cart_token))


@router.post("/{cart_id}/lines", summary="Add a SKU (the same SKU again adds to its line)")
def add_line(
    cart_id: str,
    body: LineIn,
    ctx: Writer,
    version: IfMatch,
    response: Response,
    cart_token: CartToken = None,
) -> CartOut:
    with ctx.uow() as uow:
        out = service.add_line(uow, cart_id, body, cart_token=cart_token, expected_version=version)
        uow.commit()
    return _with_etag(response, out)


@router.patch("/{cart_id}/lines/{line_id}", summary="Change a line's quantity")
def set_quantity(
    cart_id: str,
    line_id: str,
    body: LinePatch,
    ctx: Writer,
    version: IfMatch,
    response: Response,
    cart_token: CartToken = None,
) -> CartOut:
    with ctx.uow() as uow:
        out = service.set_quantity(
            uow, cart_id, line_id, body.quantity, cart_token=cart_token, expected_version=version
        )
        uow.commit()
    return _with_etag(response, out)


@router.delete("/{cart_id}/lines/{line_id}", summary="Remove a line")
def remove_line(
    cart_id: str,
    line_id: str,
    ctx: Writer,
    version: IfMatch,
    response: Response,
    cart_token: CartToken = None,
) -> CartOut:
    with ctx.uow() as uow:
        out = service.remove_line(uow, cart_id, line_id, cart_token=cart_token, expected_version=version)
        uow.commit()
    return _with_etag(response, out)


@router.post("/{cart_id}/coupons", summary="Add a coupon code (refused when it can never apply)")
def add_coupon(
    cart_id: str,
    body: CouponIn,
    ctx: Writer,
    version: IfMatch,
    response: Response,
    cart_token: CartToken = None,
) -> CartOut:
    with ctx.uow() as uow:
        out = service.add_coupon(uow, cart_id, body.code, cart_token=cart_token, expected_version=version)
        uow.commit()
    return _with_etag(response, out)


@router.delete("/{cart_id}/coupons/{code}", summary="Remove a coupon code")
def remove_coupon(
    cart_id: str,
    code: str,
    ctx: Writer,
    version: IfMatch,
    response: Response,
    cart_token: CartToken = None,
) -> CartOut:
    with ctx.uow() as uow:
        out = service.remove_coupon(uow, cart_id, code, cart_token=cart_token, expected_version=version)
        uow.commit()
    return _with_etag(response, out)
