"""Catalogue and assets: products found by name with their photos, status and price, and the assets
whose usage rights expire soon (renew the licence or replace the file before then)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from comptoir.backoffice.common import catalog_locale, gettext, media_url, render, staff
from comptoir.catalog import service as catalog
from comptoir.catalog.schemas import SearchHit, SearchQuery
from comptoir.core.api import RequestContext

router = APIRouter(prefix="/back-office/catalogue", include_in_schema=False)
CatalogReader = Annotated[RequestContext, staff("catalog")]
RIGHTS_WINDOWS = (7, 30, 90)
PAGE_SIZE = 24


@router.get("", response_class=HTMLResponse)
def catalogue_page(
    request: Request,
    ctx: CatalogReader,
    q: Annotated[str, Query(max_length=200)] = "",
    days: Annotated[int | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=400)] = 1,
) -> HTMLResponse:
    window = days if days in RIGHTS_WINDOWS else 30
    with ctx.reader() as uow:
        found = catalog.search(
            uow,
            SearchQuery(q=q, locale=catalog_locale(request), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE),
            territory=ctx.settings.default_region,
        )
        assets = catalog.list_assets(uow, expiring_within_days=window, limit=200).items
        product_ids = sorted({a.product_id for a in assets if a.product_id})
        products = {pid: catalog.get_product(uow, pid) for pid in product_ids}
    locale = catalog_locale(request)
    owners = {pid: _name(p.name, locale) for pid, p in products.items()}
    return render(
        request,
        "backoffice/catalogue.html",
        section="catalogue",
        q=q,
        page=page,
        found=found,
        cards=[_card(request, hit) for hit in found.hits],
        more=found.total > page * PAGE_SIZE,
        assets=sorted(assets, key=lambda a: (a.rights.valid_until, a.id)),
        owners=owners,
        days=window,
        windows=RIGHTS_WINDOWS,
    )


def _card(request: Request, hit: SearchHit) -> dict[str, Any]:
    """What the design system's product card shows of a search hit."""
    _ = gettext(request)
    status = {"active": (_("Active"), "ok"), "draft": (_("Draft"), "neutral")}.get(
        hit.status, (_("Archived"), "warn")
    )
    return {
        "name": hit.name,
        "brand": hit.brand,
        "image_url": media_url(hit.image_url),
        "price": hit.price,
        "badges": [status],
    }


def _name(names: dict[str, str], locale: str) -> str:
    """A product's name in the page's locale, else in any locale it has."""
    return names.get(locale) or next(iter(names.values()), "")
