"""payments: reference pages for staff — look up a gift card's balance and history, or an order's
payments, refunds and every state change (same services as the API)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from comptoir.core.api import RequestContext
from comptoir.core.errors import NotFound
from comptoir.core.web import Pages, require_page
from comptoir.payments import policies, service

pages = Pages(__package__ or "comptoir.payments")
router = APIRouter(prefix="/pages/payments", include_in_schema=False)
PageReader = Annotated[RequestContext, Depends(require_page("payments", "read"))]

# (title message id, path) of this domain's entry pages, linked from the page menu.
PAGES: list[tuple[str, str]] = [("Gift cards and payments", "/pages/payments")]


def N_(message: str) -> str:
    """Marks a message for extraction; the template translates it."""
    return message


LABELS: dict[str, str] = {
    "pending": N_("Pending"),
    "authorised": N_("Authorised"),
    "captured": N_("Captured"),
    "partially_refunded": N_("Partially refunded"),
    "refunded": N_("Refunded"),
    "voided": N_("Voided"),
    "failed": N_("Failed"),
    "card": N_("Card"),
    "pay_in_store": N_("Pay in store"),
    "pay_at_pickup": N_("Pay at pickup"),
    "gift_card": N_("Gift card"),
    "voucher": N_("Voucher"),
    "loyalty_points": N_("Loyalty points"),
    "issue": N_("Issued"),
    "redeem": N_("Spent"),
    "refund": N_("Refund"),
    "reverse": N_("Given back"),
    "active": N_("Active"),
    "disabled": N_("Disabled"),
    "original": N_("To the original payment"),
}


@router.get("", response_class=HTMLResponse)
def lookup(
    request: Request,
    ctx: PageReader,
    code: Annotated[str, Query(max_length=40)] = "",
    order_id: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    context: dict[str, Any] = {
        "code": code,
        "order_id": order_id,
        "labels": LABELS,
        "mask": policies.mask_code,
    }
    with ctx.reader() as uow:
        if code.strip():
            try:
                context["card"] = service.gift_card(uow, code)
                context["movements"] = service.gift_card_movements(uow, code, limit=50)
            except NotFound:
                context["not_found"] = "card"
        if order_id.strip():
            view = service.order_payments(uow, order_id.strip())
            if view.payments:
                context["order"] = view
                context["journals"] = {p.id: service.payment_events(uow, p.id) for p in view.payments}
            else:
                context["not_found"] = "order"
    return pages.response(request, "payments/lookup.html", **context)
