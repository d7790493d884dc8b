"""pricing: reference pages for staff — running promotions with their budget used, price lists, and
stopping a promotion."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from comptoir.core.api import RequestContext
from comptoir.core.errors import Problem
from comptoir.core.web import Pages, require_page
from comptoir.pricing import service


def N_(message: str) -> str:
    """Marks a message id for extraction; translated where it is shown."""
    return message


pages = Pages(__package__ or "comptoir.pricing")
router = APIRouter(prefix="/pages/pricing", include_in_schema=False)

# (title message id, path) of this domain's entry pages, linked from the page menu.
PAGES: list[tuple[str, str]] = [(N_("Promotions and prices"), "/pages/pricing")]


def _render(
    request: Request, ctx: RequestContext, *, message: str | None = None, error: str | None = None
) -> HTMLResponse:
    with ctx.reader() as uow:
        promotions = service.list_promotions(uow)
        price_lists = service.list_price_lists(uow)
    running = [p for p in promotions if p.running]
    others = [p for p in promotions if not p.running]
    return pages.response(
        request,
        "pricing/promotions.html",
        running=running,
        others=others,
        price_lists=price_lists,
        message=message,
        error=error,
    )


@router.get("", response_class=HTMLResponse)
def promotions_page(
    request: Request, ctx: Annotated[RequestContext, Depends(require_page("pricing", "read"))]
) -> HTMLResponse:
    return _render(request, ctx)


@router.post("/promotions/{promotion_id}/stop", response_class=HTMLResponse)
def stop_promotion(
    request: Request,
    promotion_id: str,
    ctx: Annotated[RequestContext, Depends(require_page("pricing", "write", retailer_wide=True))],
    confirm: Annotated[str, Form()] = "",
) -> HTMLResponse:
    if confirm != "yes":
        return _render(request, ctx, error="confirm")
    try:
        with ctx.uow() as uow:
            out = service.stop_promotion(uow, promotion_id)
            uow.commit()
    except Problem as exc:
        return _render(request, ctx, error=exc.detail)
    return _render(request, ctx, message=out.name)
