"""The door (``/seller/exit``): a seller scans a scan & go shopper's exit pass (or pastes its code) and
sees whether it may leave — and the items paid for, with names and photos, to compare with the bag.

A valid pass is marked used by the orders domain (once, whatever the number of doors scanning it)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from comptoir.catalog import service as catalog_service
from comptoir.core import staff
from comptoir.core.api import RequestContext
from comptoir.core.web import Pages, page_language, require_page
from comptoir.orders import service as orders_service
from comptoir.orders.service import ExitPassVerdictOut
from comptoir.seller.common import page_image
from comptoir.stores import service as stores_service

pages = Pages(__package__ or "comptoir.seller")
router = APIRouter(prefix="/seller/exit", include_in_schema=False)
Door = Annotated[RequestContext, Depends(require_page("orders", "write"))]


def _shops(ctx: RequestContext) -> list[str]:
    """The shops whose door this employee may keep: their own (all open shops when unbound)."""
    if ctx.actor.shops is not None:
        return sorted(ctx.actor.shops)
    with ctx.reader() as uow:
        return [p.id for p in stores_service.all_places(uow) if p.kind == "store" and p.status == "open"]


def _page(
    request: Request, ctx: RequestContext, *, verdict: ExitPassVerdictOut | None = None, **context: Any
) -> HTMLResponse:
    shops = _shops(ctx)
    with ctx.reader() as uow:
        names = {p.id: p.name for p in stores_service.get_places(uow, shops).values()}
        items: list[dict[str, Any]] = []
        timezone = None
        if verdict is not None and verdict.lines:
            locale = "en_GB" if page_language(request) == "en" else "fr_FR"
            variants = catalog_service.get_variants(uow, [line.sku for line in verdict.lines], locale)
            for line in verdict.lines:
                v = variants.get(line.sku)
                items.append(
                    {
                        "name": v.name if v else line.sku,
                        "detail": " · ".join(x for x in (v.colour, v.size) if x) if v else "",
                        "image_url": page_image(v.image_url) if v else None,
                        "quantity": line.quantity,
                    }
                )
        if verdict is not None:
            place = stores_service.get_places(uow, [verdict.place_id]).get(verdict.place_id)
            timezone = place.timezone if place else None
    return pages.response(
        request,
        "seller/exit/door.html",
        shops=names,
        verdict=verdict,
        items=items,
        timezone=timezone,
        actor=ctx.actor,
        **context,
    )


@router.get("", response_class=HTMLResponse)
def door(request: Request, ctx: Door) -> HTMLResponse:
    return _page(request, ctx)


@router.post("", response_class=HTMLResponse)
def check(
    request: Request,
    ctx: Door,
    token: Annotated[str, Form(max_length=1000)] = "",
    place_id: Annotated[str, Form(max_length=40)] = "",
) -> HTMLResponse:
    """Check one pass at this shop's door."""
    shops = _shops(ctx)
    place = place_id or (ctx.actor.store_id or (shops[0] if len(shops) == 1 else ""))
    if not token.strip():
        return _page(request, ctx, error="no_token", place_id=place)
    if place not in shops:
        return _page(request, ctx, error="no_shop", place_id=place)
    assert ctx.actor.staff_id is not None
    with ctx.uow() as uow:
        name = staff.get_person(uow, ctx.actor.staff_id).name
        verdict = orders_service.verify_exit_pass(
            uow, token, place, ctx.settings.secret_key, verifier_id=ctx.actor.staff_id, verifier_name=name
        )
        uow.commit()
    return _page(request, ctx, verdict=verdict, place_id=place)
