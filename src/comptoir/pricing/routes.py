"""pricing: HTTP API (thin: parse, call the service, map errors)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from comptoir.core.api import PROBLEM_RESPONSES, IfMatch, RequestContext, allow, etag
from comptoir.core.errors import InvalidInput
from comptoir.core.pagination import MAX_LIMIT, Page
from comptoir.core.types import AwareDatetime
from comptoir.pricing import service
from comptoir.pricing.schemas import (
    CouponBatchIn,
    CouponBatchOut,
    CouponIn,
    CouponOut,
    PriceCartIn,
    PricedCart,
    PriceHistoryOut,
    PriceListIn,
    PriceListOut,
    PriceListPatch,
    PriceOut,
    PriceResolution,
    PricesIn,
    PricesSetOut,
    PromotionIn,
    PromotionOut,
    PromotionPatch,
)

router = APIRouter(prefix="/v1/pricing", tags=["pricing"], responses=PROBLEM_RESPONSES)
# Anyone shopping prices a cart and reads a SKU's price; price lists, promotions and coupons are managed by
# the retailer's back office and systems (retailer-wide); a customer reads their own coupons.
Anyone = Annotated[
    RequestContext, Depends(allow("pricing", "read", "publishable", "customer", "staff", "shop", "secret"))
]
Reader = Annotated[RequestContext, Depends(allow("pricing", "read", "customer", "staff", "shop", "secret"))]
StaffReader = Annotated[RequestContext, Depends(allow("pricing", "read", "staff", "shop", "secret"))]
Writer = Annotated[RequestContext, Depends(allow("pricing", "write", "staff", "secret", retailer_wide=True))]
Limit = Annotated[int, Query(ge=1, le=1000)]
PageLimit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


# -- quote: one call prices a whole cart ------------------------------------------------------------------
@router.post(
    "/quote",
    summary="Price a cart: every line, every promotion, coupons, shipping, VAT, Omnibus",
    response_model=PricedCart,
)
def quote(body: PriceCartIn, ctx: Anyone) -> Response:
    """The answer depends only on the request (channel, store, customer, coupons), never on the key
    that asks, so a web key and a store key get the same prices for the same cart. A signed-in
    customer's token fills ``customer_id`` when the body leaves it out."""
    if body.customer_id is None and ctx.actor.customer_id is not None:
        body = body.model_copy(update={"customer_id": ctx.actor.customer_id})
    elif ctx.actor.kind in ("customer", "publishable") and body.customer_id != ctx.actor.customer_id:
        raise InvalidInput("customer_id must be the signed-in customer's.", field="customer_id")
    with ctx.reader() as uow:
        priced = service.price_cart(uow, body)
    # Serialised once, straight from the model (the hot path skips FastAPI's re-validation).
    return Response(priced.model_dump_json(), media_type="application/json")


# -- price resolution -------------------------------------------------------------------------------------
@router.get("/prices/{sku}", summary="Which price applies to a SKU here, from which list and why (Omnibus)")
def explain_price(
    sku: str,
    ctx: Anyone,
    channel: Annotated[str, Query(description="web, app, store:<id>, call-centre, live")] = "web",
    currency: Annotated[str, Query(min_length=3, max_length=3)] = "EUR",
    store_id: str | None = None,
    customer_id: str | None = None,
    at: AwareDatetime | None = None,
) -> PriceResolution:
    with ctx.reader() as uow:
        return service.explain_price(
            uow,
            sku,
            currency=currency.upper(),
            channel=channel,
            store_id=store_id,
            customer_id=customer_id,
            at=at,
        )


@router.get("/prices/{sku}/history", summary="Every price the SKU had (per list), newest first")
def price_history(
    sku: str, ctx: Anyone, price_list: str | None = None, limit: Limit = 100
) -> list[PriceHistoryOut]:
    with ctx.reader() as uow:
        return service.price_history(uow, sku, price_list, limit)


# -- price lists -------------------------------------------------------------------------------------------
@router.post("/price-lists", status_code=201, summary="Create a price list")
def create_price_list(body: PriceListIn, ctx: Writer, response: Response) -> PriceListOut:
    with ctx.uow() as uow:
        out = service.create_price_list(uow, body)
        uow.commit()
    response.headers["Location"] = f"/v1/pricing/price-lists/{out.id}"
    response.headers["ETag"] = etag(out.version)
    return out


@router.get("/price-lists", summary="Every price list with its number of prices")
def list_price_lists(ctx: StaffReader) -> list[PriceListOut]:
    with ctx.reader() as uow:
        return service.list_price_lists(uow)


@router.get("/price-lists/{id_or_code}", summary="One price list (ETag = its version)")
def get_price_list(id_or_code: str, ctx: StaffReader, response: Response) -> PriceListOut:
    with ctx.reader() as uow:
        out = service.get_price_list(uow, id_or_code)
    response.headers["ETag"] = etag(out.version)
    return out


@router.patch("/price-lists/{id_or_code}", summary="Change a price list (If-Match)")
def update_price_list(
    id_or_code: str, body: PriceListPatch, ctx: Writer, version: IfMatch, response: Response
) -> PriceListOut:
    with ctx.uow() as uow:
        out = service.update_price_list(uow, id_or_code, body, expected_version=version)
        uow.commit()
    response.headers["ETag"] = etag(out.version)
    return out


@router.put(
    "/price-lists/{id_or_code}/prices",
    summary="Set many prices at once (amount null removes a SKU); each change is kept in the history",
)
def set_prices(id_or_code: str, body: PricesIn, ctx: Writer) -> PricesSetOut:
    with ctx.uow() as uow:
        out = service.set_prices(uow, id_or_code, body)
        uow.commit()
    return out


@router.get("/price-lists/{id_or_code}/prices", summary="Prices of a list (filter by SKU)")
def prices_of(
    id_or_code: str,
    ctx: StaffReader,
    sku: Annotated[list[str] | None, Query()] = None,
    cursor: str | None = None,
    limit: PageLimit = 200,
) -> Page[PriceOut]:
    with ctx.reader() as uow:
        return service.prices_page(uow, id_or_code, sku, cursor=cursor, limit=limit)


# -- promotions ------------------------------------------------------------------------------------------
@router.post("/promotions", status_code=201, summary="Create a promotion (commercial operation)")
def create_promotion(body: PromotionIn, ctx: Writer, response: Response) -> PromotionOut:
    with ctx.uow() as uow:
        out = service.create_promotion(uow, body)
        uow.commit()
    response.headers["Location"] = f"/v1/pricing/promotions/{out.id}"
    response.headers["ETag"] = etag(out.version)
    return out


@router.get("/promotions", summary="Promotions, highest priority first (running=true: only those live now)")
def list_promotions(
    ctx: StaffReader,
    status: str | None = None,
    running: bool = False,
    cursor: str | None = None,
    limit: PageLimit = 50,
) -> Page[PromotionOut]:
    with ctx.reader() as uow:
        return service.promotions_page(uow, status=status, running_only=running, cursor=cursor, limit=limit)


@router.get("/promotions/{promotion_id}", summary="One promotion with its budget used")
def get_promotion(promotion_id: str, ctx: StaffReader, response: Response) -> PromotionOut:
    with ctx.reader() as uow:
        out = service.get_promotion(uow, promotion_id)
    response.headers["ETag"] = etag(out.version)
    return out


@router.patch("/promotions/{promotion_id}", summary="Change a promotion (If-Match)")
def update_promotion(
    promotion_id: str, body: PromotionPatch, ctx: Writer, version: IfMatch, response: Response
) -> PromotionOut:
    with ctx.uow() as uow:
        out = service.update_promotion(uow, promotion_id, body, expected_version=version)
        uow.commit()
    response.headers["ETag"] = etag(out.version)
    return out


@router.post("/promotions/{promotion_id}/stop", summary="Stop a promotion now")
def stop_promotion(promotion_id: str, ctx: Writer) -> PromotionOut:
    with ctx.uow() as uow:
        out = service.stop_promotion(uow, promotion_id)
        uow.commit()
    return out


# -- coupons ---------------------------------------------------------------------------------------------
@router.post("/promotions/{promotion_id}/coupons", status_code=201, summary="Create one coupon code")
def create_coupon(promotion_id: str, body: CouponIn, ctx: Writer) -> CouponOut:
    with ctx.uow() as uow:
        out = service.create_coupon(uow, promotion_id, body)
        uow.commit()
    return out


@router.post(
    "/promotions/{promotion_id}/coupon-batches", status_code=201, summary="Generate a batch of unique codes"
)
def create_coupon_batch(promotion_id: str, body: CouponBatchIn, ctx: Writer) -> CouponBatchOut:
    with ctx.uow() as uow:
        out = service.create_coupon_batch(uow, promotion_id, body)
        uow.commit()
    return out


@router.get("/coupons", summary="A customer's personal coupons and vouchers (usable on every channel)")
def customer_coupons(ctx: Reader, customer_id: str | None = None) -> list[CouponOut]:
    owner = ctx.customer_filter(customer_id)  # a signed-in customer's own, whatever was asked
    if owner is None:
        raise InvalidInput("Name the customer (customer_id).", field="customer_id")
    with ctx.reader() as uow:
        return service.coupons_of(uow, owner)


@router.get("/coupons/{code}", summary="A coupon and how often it was used")
def get_coupon(code: str, ctx: StaffReader) -> CouponOut:
    with ctx.reader() as uow:
        return service.get_coupon(uow, code)


@router.post("/coupons/{code}/disable", summary="Disable a coupon code")
def disable_coupon(code: str, ctx: Writer) -> CouponOut:
    with ctx.uow() as uow:
        out = service.disable_coupon(uow, code)
        uow.commit()
    return out
