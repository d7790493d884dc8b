"""The seller's product lookup: search or scan a barcode, then the product with its photos, its price in
this shop, the stock here (with the aisle), in the network and in the nearest shops."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from comptoir.catalog import service as catalog_service
from comptoir.catalog.schemas import SearchQuery
from comptoir.core.api import RequestContext
from comptoir.core.errors import NotFound
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import require_page
from comptoir.inventory import service as inventory_service
from comptoir.pricing import service as pricing_service
from comptoir.seller.common import (
    CURRENCY,
    SellerRoute,
    catalogue_locale,
    gettext,
    keep_language,
    page_image,
    render,
    shop_of,
)
from comptoir.stores import service as stores_service

router = APIRouter(prefix="/seller/products", include_in_schema=False, route_class=SellerRoute)
media = APIRouter(prefix="/seller/media", include_in_schema=False, route_class=SellerRoute)
Reader = Annotated[RequestContext, Depends(require_page("catalog", "read"))]
CHANNEL = "store"  # the catalogue's publication channel for shops
BARCODE = re.compile(r"^\s*\d{8,14}\s*$")


def sku_of_code(uow: UnitOfWork, code: str) -> str | None:
    """A scanned barcode (GTIN) or a typed SKU → the SKU it names; None when neither is known."""
    code = code.strip()
    if not code:
        return None
    if BARCODE.match(code) and (sku := catalog_service.sku_for_gtin(uow, code)):
        return sku
    return code if catalog_service.get_variants(uow, [code]) else None


def _search(uow: UnitOfWork, request: Request, q: str) -> list[Any]:
    if not q.strip():
        return []
    query = SearchQuery(q=q.strip()[:200], locale=catalogue_locale(request), channel=CHANNEL, limit=24)
    return catalog_service.search(uow, query).hits


@router.get("")
def lookup(request: Request, ctx: Reader, q: str = "", code: str = "", customer_id: str = "") -> Response:
    """Search by words, or scan/type a barcode or SKU (``code``): a known one opens its product."""
    error = None
    with ctx.reader() as uow:
        scanned = code or (q if BARCODE.match(q) else "")
        if scanned:
            sku = sku_of_code(uow, scanned)
            if sku is not None:
                variant = catalog_service.get_variants(uow, [sku])[sku]
                target = f"/seller/products/{variant.product_id}?sku={sku}"
                if customer_id:
                    target += f"&customer_id={customer_id}"
                return RedirectResponse(keep_language(request, target), status_code=303)
            error = gettext(request)("No product has the barcode %(code)s.") % {"code": scanned.strip()}
        hits = _search(uow, request, q) if not scanned else []
    return render(
        request,
        "seller/products.html",
        status_code=404 if error else 200,
        active="products",
        q=q,
        code=code,
        hits=hits,
        error=error,
        customer_id=customer_id,
    )


@router.get("/results")
def results(request: Request, ctx: Reader, q: str = "", customer_id: str = "") -> Response:
    with ctx.reader() as uow:
        hits = _search(uow, request, q)
    return render(request, "seller/_product_results.html", q=q, hits=hits, customer_id=customer_id)


@media.get("/{asset_id}")
def photo(asset_id: str, ctx: Reader) -> StreamingResponse:
    """A product photo (its original, or ``/{rendition}``) for the seller's pages, under the asset's rights
    in shops."""
    return _photo(ctx, asset_id, None)


@media.get("/{asset_id}/{rendition}")
def photo_rendition(asset_id: str, rendition: str, ctx: Reader) -> StreamingResponse:
    return _photo(ctx, asset_id, rendition)


def _photo(ctx: RequestContext, asset_id: str, rendition: str | None) -> StreamingResponse:
    with ctx.reader() as uow:
        found = catalog_service.open_media(
            uow, ctx.settings, asset_id, rendition, channel=CHANNEL, territory=ctx.settings.default_region
        )
    return StreamingResponse(
        found.chunks, media_type=found.content_type, headers={"Cache-Control": "private, max-age=300"}
    )


@router.get("/{product_id}")
def product(request: Request, product_id: str, ctx: Reader, sku: str = "", customer_id: str = "") -> Response:
    shop = shop_of(ctx)
    locale = catalogue_locale(request)
    with ctx.reader() as uow:
        view = catalog_service.product_view(uow, product_id, channel=CHANNEL, locale=locale, territory="FR")
        skus = [v.sku for v in view.variants]
        if not skus:
            raise NotFound(f"Product {product_id} has no variant.")
        chosen = sku if sku in skus else skus[0]
        prices = pricing_service.shelf_prices(
            uow,
            skus,
            currency=CURRENCY,
            channel=f"store:{shop}" if shop else CHANNEL,
            store_id=shop,
            customer_id=None,
        )
        here = inventory_service.stock_levels(uow, skus, [shop]) if shop else {}
        network = {n.sku: n for n in inventory_service.network_availability(uow, [chosen])}
        place = stores_service.get_places(uow, [shop]).get(shop) if shop else None
        nearest = (
            inventory_service.nearest_with_stock(
                uow, chosen, lat=place.latitude, lon=place.longitude, limit=6
            ).places
            if place
            else []
        )
    images = [page_image(a.renditions.get("medium") or a.url) for a in view.assets if a.kind == "image"]
    return render(
        request,
        "seller/product.html",
        active="products",
        view=view,
        chosen=chosen,
        prices=prices,
        here={s: rows[0] for s, rows in here.items() if rows},
        network=network.get(chosen),
        nearest=[p for p in nearest if p.place_id != shop],
        images=[i for i in images if i],
        shop=place,
        customer_id=customer_id,
    )
