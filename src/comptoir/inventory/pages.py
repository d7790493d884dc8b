"""inventory: reference pages for staff — a store's stock with shelf locations, and its counts
(variance of the latest count, accuracy over time)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from comptoir.catalog import service as catalog
from comptoir.core.api import RequestContext
from comptoir.core.web import Pages, page_language, require_page
from comptoir.inventory import service
from comptoir.stores import service as stores


def N_(message: str) -> str:
    """Marks a message id for extraction; translated where it is shown."""
    return message


pages = Pages(__package__ or "comptoir.inventory")
router = APIRouter(prefix="/pages/inventory", include_in_schema=False)

# (title message id, path) of this domain's entry pages, linked from the page menu.
PAGES: list[tuple[str, str]] = [
    (N_("Store stock"), "/pages/inventory"),
    (N_("Stock counts"), "/pages/inventory/counts"),
]
PAGE_SIZE = 100

Reader = Annotated[RequestContext, Depends(require_page("inventory", "read"))]


def _places(ctx: RequestContext) -> list[tuple[str, str]]:
    with ctx.reader() as uow:
        return [(p.id, p.name) for p in stores.all_places(uow) if p.kind in ("store", "warehouse")]


def _chosen(ctx: RequestContext, place_id: str, places: list[tuple[str, str]]) -> str:
    known = {pid for pid, _ in places}
    if place_id in known:
        return place_id
    if ctx.actor.store_id in known:  # a seller's tablet opens on its own store
        return ctx.actor.store_id or ""
    return places[0][0] if places else ""


@router.get("", response_class=HTMLResponse)
def store_stock(
    request: Request,
    ctx: Reader,
    place_id: str = "",
    sku: Annotated[str, Query(max_length=64)] = "",
    after: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    places = _places(ctx)
    chosen = _chosen(ctx, place_id, places)
    with ctx.reader() as uow:
        rows = (
            service.place_stock(uow, chosen, sku_prefix=sku.strip(), after=after, limit=PAGE_SIZE + 1)
            if chosen
            else []
        )
        locale = "en_GB" if page_language(request) == "en" else "fr_FR"
        variants = catalog.get_variants(uow, sorted({r.sku for r in rows}), locale)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return pages.response(
        request,
        "inventory/stock.html",
        places=places,
        chosen=chosen,
        sku=sku,
        rows=rows,
        variants=variants,
        next_after=rows[-1].sku if more and rows else None,
    )


@router.get("/counts", response_class=HTMLResponse)
def counts(request: Request, ctx: Reader, place_id: str = "") -> HTMLResponse:
    places = [p for p in _places(ctx) if not p[0].startswith("wh_")] or _places(ctx)
    chosen = _chosen(ctx, place_id, places)
    with ctx.reader() as uow:
        accuracy = service.accuracy(uow, chosen) if chosen else None
        latest = service.latest_count(uow, chosen) if chosen else None
        locale = "en_GB" if page_language(request) == "en" else "fr_FR"
        skus = sorted({v.sku for v in latest.variances}) if latest else []
        names = {sku: v.name for sku, v in catalog.get_variants(uow, skus, locale).items()}
    return pages.response(
        request,
        "inventory/counts.html",
        places=places,
        chosen=chosen,
        accuracy=accuracy,
        latest=latest,
        names=names,
    )
