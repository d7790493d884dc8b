"""Stock and counts: a shop's stock with product names and photos, its latest count's variances, and its
stock accuracy over its counts as a chart."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from comptoir.backoffice.common import catalog_locale, gettext, media_url, render, staff, visible_shops
from comptoir.catalog import service as catalog
from comptoir.core.api import RequestContext
from comptoir.core.i18n import format_when
from comptoir.core.web import page_language
from comptoir.inventory import service as inventory

router = APIRouter(prefix="/back-office/stock", include_in_schema=False)
StockReader = Annotated[RequestContext, staff("inventory")]
PAGE_SIZE = 50


@router.get("", response_class=HTMLResponse)
def stock_page(
    request: Request,
    ctx: StockReader,
    shop: Annotated[str | None, Query(max_length=40)] = None,
    after: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    _ = gettext(request)
    with ctx.reader() as uow:
        known = visible_shops(uow, ctx)
        chosen = next((p for p in known if p.id == shop), None) if shop else (known[0] if known else None)
        if chosen is None:
            return render(
                request,
                "backoffice/stock.html",
                section="stock",
                shops=known,
                shop=None,
                error=_("Choose one of your shops.") if shop else None,
            )
        levels = inventory.place_stock(uow, chosen.id, after=after, limit=PAGE_SIZE + 1)
        history = inventory.accuracy(uow, chosen.id)
        latest = inventory.latest_count(uow, chosen.id)
        skus = sorted({lv.sku for lv in levels} | {v.sku for v in (latest.variances if latest else [])})
        variants = catalog.get_variants(uow, skus, catalog_locale(request))
    more = len(levels) > PAGE_SIZE
    levels = levels[:PAGE_SIZE]
    return render(
        request,
        "backoffice/stock.html",
        section="stock",
        shops=known,
        shop=chosen,
        levels=[_row(lv.sku, variants, lv) for lv in levels],
        next_after=levels[-1].sku if more and levels else None,
        history=history,
        latest=latest,
        variances=[_row(v.sku, variants, v) for v in (latest.variances if latest else [])],
        accuracy_chart=_accuracy_chart(request, history),
        error=None,
    )


def _row(sku: str, variants: dict[str, Any], item: Any) -> dict[str, Any]:
    variant = variants.get(sku)
    return {
        "item": item,
        "name": variant.name if variant else sku,
        "detail": " · ".join(x for x in (variant.colour, variant.size) if x) if variant else "",
        "image": media_url(variant.image_url) if variant else None,
    }


def _accuracy_chart(request: Request, history: Any) -> dict[str, Any]:
    """Accuracy (in %) of each count, oldest first: by SKU and by unit."""
    _ = gettext(request)
    lang = page_language(request)
    points = history.points
    return {
        "labels": [format_when(p.counted_at, lang, "short") for p in points],
        "series": [
            {"label": _("SKUs right (%)"), "values": [round(p.sku_accuracy * 100, 1) for p in points]},
            {"label": _("Units right (%)"), "values": [round(p.unit_accuracy * 100, 1) for p in points]},
        ],
    }
