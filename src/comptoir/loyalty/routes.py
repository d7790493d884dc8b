"""loyalty: HTTP API (thin: parse, call the service, map errors).

A signed-in customer (website or app key with ``X-Customer-Token``) reaches only their own account;
staff channels (back office, stores, call centre, live) reach every member's. Adjustments and the
programme's rules are for staff only.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from comptoir.core.access import RETAILER_ROLES, Role
from comptoir.core.api import PROBLEM_RESPONSES, IfMatch, RequestContext, allow, etag
from comptoir.core.errors import Forbidden, NotFound
from comptoir.core.pagination import Page
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import policies, service
from comptoir.loyalty.schemas import (
    AdjustmentIn,
    LedgerEntryOut,
    LoyaltyAccountOut,
    ProgrammeOut,
    ProgrammeRules,
    RedeemIn,
    RedeemPointsIn,
    RewardExchangeIn,
    RewardExchangeOut,
    RewardOut,
)

router = APIRouter(prefix="/v1/loyalty", tags=["loyalty"], responses=PROBLEM_RESPONSES)
# The programme is public to anyone shopping; a customer reaches their own account; staff, shop and secret
# keys every member's. Rules and manual adjustments are the back office's.
Anyone = Annotated[
    RequestContext, Depends(allow("loyalty", "read", "publishable", "customer", "staff", "shop", "secret"))
]
Reader = Annotated[RequestContext, Depends(allow("loyalty", "read", "customer", "staff", "shop", "secret"))]
Writer = Annotated[RequestContext, Depends(allow("loyalty", "write", "customer", "staff", "shop", "secret"))]
StaffWriter = Annotated[RequestContext, Depends(allow("loyalty", "write", "staff", "shop", "secret"))]
Adjuster = Annotated[
    RequestContext,
    Depends(
        allow("loyalty", "write", "staff", "secret", roles=[Role.BACK_OFFICE, Role.ADMIN, Role.SERVICE_AGENT])
    ),
]
RulesWriter = Annotated[
    RequestContext,
    Depends(allow("loyalty", "write", "staff", "secret", roles=RETAILER_ROLES, retailer_wide=True)),
]
Limit = Annotated[int, Query(ge=1, le=200)]


def _member(ctx: RequestContext, uow: UnitOfWork, customer_id: str) -> str:
    """The id holding the customer's points, if the caller may reach it (403 otherwise)."""
    target = service.resolve_customer(uow, customer_id)
    signed_in = service.resolve_customer(uow, ctx.actor.customer_id) if ctx.actor.customer_id else None
    problem = policies.may_reach_account(ctx.actor.channel_kind, signed_in, target)
    if problem is None and ctx.actor.kind in ("customer", "publishable") and signed_in != target:
        problem = "A customer reaches only their own account."
    if problem is not None:
        raise Forbidden(problem, slug="not-your-loyalty-account")
    return target


def _staff_only(ctx: RequestContext) -> None:
    """Belt and braces under the route's policy: never a shopper."""
    if not ctx.actor.is_staff_side:
        raise Forbidden("This operation is for staff (back office, stores, call centre).", slug="staff-only")


def _channel(ctx: RequestContext) -> str:
    return ctx.actor.channel or "back-office"


# -- programme -----------------------------------------------------------------------------------------


@router.get("/programme", summary="The programme's rules: earning, tiers, rewards, expiry (ETag = version)")
def get_programme(ctx: Anyone, response: Response) -> ProgrammeOut:
    with ctx.reader() as uow:
        out = service.get_programme(uow)
    response.headers["ETag"] = etag(out.version)
    return out


@router.put("/programme", summary="Replace the programme's rules (staff; send If-Match)")
def set_programme(
    body: ProgrammeRules, ctx: RulesWriter, version: IfMatch, response: Response
) -> ProgrammeOut:
    _staff_only(ctx)
    with ctx.uow() as uow:
        out = service.set_programme(uow, body, expected_version=version)
        uow.commit()
    response.headers["ETag"] = etag(out.version)
    return out


@router.get("/rewards", summary="The rewards catalogue: vouchers to exchange for points")
def list_rewards(ctx: Anyone) -> list[RewardOut]:
    with ctx.reader() as uow:
        return service.rewards(uow)


# -- accounts -------------------------------------------------------------------------------------------------


@router.get("/accounts/{customer_id}", summary="A member's balance, tier and points expiring soon")
def get_account(customer_id: str, ctx: Reader) -> LoyaltyAccountOut:
    with ctx.reader() as uow:
        return service.account(uow, _member(ctx, uow, customer_id))


@router.get("/accounts/{customer_id}/history", summary="A member's ledger, newest first (cursor pages)")
def get_history(
    customer_id: str, ctx: Reader, cursor: str | None = None, limit: Limit = 50
) -> Page[LedgerEntryOut]:
    with ctx.reader() as uow:
        return service.history(uow, _member(ctx, uow, customer_id), cursor=cursor, limit=limit)


@router.post(
    "/accounts/{customer_id}/redemptions",
    status_code=201,
    summary="Spend points (409 insufficient-points); idempotent by reference",
)
def redeem(customer_id: str, body: RedeemIn, ctx: Writer) -> LedgerEntryOut:
    with ctx.uow() as uow:
        member = _member(ctx, uow, customer_id)
        out = service.redeem_points(
            uow,
            RedeemPointsIn(
                customer_id=member, points=body.points, reference=body.reference, channel=_channel(ctx)
            ),
        )
        uow.commit()
    return out


@router.post(
    "/accounts/{customer_id}/redemptions/{reference}/refund",
    summary="Give back a redemption's points (staff); idempotent",
)
def refund(customer_id: str, reference: str, ctx: StaffWriter) -> LedgerEntryOut:
    _staff_only(ctx)
    with ctx.uow() as uow:
        _member(ctx, uow, customer_id)
        out = service.refund_points(uow, reference)
        if out is None:
            raise NotFound(f"No redemption has the reference {reference!r}.", slug="redemption-not-found")
        uow.commit()
    return out


@router.post(
    "/accounts/{customer_id}/rewards",
    status_code=201,
    summary="Exchange points for a reward: a personal coupon usable on every channel",
)
def exchange_reward(customer_id: str, body: RewardExchangeIn, ctx: Writer) -> RewardExchangeOut:
    with ctx.uow() as uow:
        member = _member(ctx, uow, customer_id)
        out = service.exchange_reward(uow, member, body.reward, body.reference, _channel(ctx))
        uow.commit()
    return out


@router.post(
    "/accounts/{customer_id}/adjustments",
    status_code=201,
    summary="Add or remove points by hand, with a reason (staff)",
)
def adjust(customer_id: str, body: AdjustmentIn, ctx: Adjuster) -> LedgerEntryOut:
    _staff_only(ctx)
    with ctx.uow() as uow:
        out = service.adjust(uow, customer_id, body)
        uow.commit()
    return out
