"""The storefront's catalogue pages, open to everyone: home, categories, search with facets, a product
(variants, photos, price with its Omnibus reference, stock near a postcode or a position), and the
signed-in shopper's "add to wishlist"."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from comptoir.carts import service as carts_service
from comptoir.catalog import service as catalog_service
from comptoir.catalog.schemas import SearchResult
from comptoir.core.errors import InvalidInput, NotFound
from comptoir.inventory import service as inventory_service
from comptoir.storefront import catalog_views as views
from comptoir.storefront.rendering import ShopRoute, catalog_locale, gettext, pages
from comptoir.storefront.session import Shopper

router = APIRouter(prefix="/shop", include_in_schema=False, route_class=ShopRoute)

PAGE_SIZE = 24
# Query parameters that are not facet filters.
RESERVED = {"q", "lang", "page", "price"}


def _main_labels(request: Request) -> dict[str, str]:
    _ = gettext(request)
    return {"brand": _("Brand"), "size": _("Size"), "colour": _("Colour")}


@router.get("", response_class=HTMLResponse)
def home(request: Request, shop: Shopper) -> HTMLResponse:
    locale = catalog_locale(shop.lang)
    with shop.ctx.reader() as uow:
        tree = views.category_tree(uow, locale)
        found = views.search(uow, locale, "", {}, limit=8, offset=0)
        featured = views.cards(shop.ctx, uow, found.hits)
    return pages.response(request, "storefront/home.html", shop=shop, tree=tree, featured=featured)


def _filters(request: Request, known: set[str]) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key not in RESERVED and key in known and value:
            chosen.setdefault(key, []).append(value[:100])
    return chosen


def _bands(request: Request) -> list[int]:
    out = []
    for raw in request.query_params.getlist("price"):
        if raw.isdigit() and int(raw) < len(views.PRICE_BANDS):
            out.append(int(raw))
    return out


def _listing(request: Request, shop: Any, *, q: str, category: str | None, page: int) -> dict[str, Any]:
    """A listing's matches, facets and page: read in one window when it holds every match (then the
    price facet is offered and exact), else page by page from the search."""
    locale = catalog_locale(shop.lang)
    with shop.ctx.reader() as uow:
        attribute_labels = views.facet_labels(uow, locale)
        known = set(views.MAIN_FACETS) | set(attribute_labels)
        chosen = _filters(request, known)
        filters = dict(chosen)
        if category:
            filters["category"] = [category]
        bands = _bands(request)
        window = views.search(uow, locale, q, filters, limit=views.LISTING_WINDOW, offset=0)
        whole = window.total <= views.LISTING_WINDOW
        if whole:
            listed = views.cards(shop.ctx, uow, window.hits)
            price_facet = views.price_bands(listed, bands)
            if bands:
                listed = [
                    c for c in listed if c.amount is not None and views.price_band_of(c.amount) in bands
                ]
            total = len(listed)
            shown = listed[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        else:
            price_facet = []
            found: SearchResult = views.search(
                uow, locale, q, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
            )
            total = found.total
            shown = views.cards(shop.ctx, uow, found.hits)
    return {
        "cards": shown,
        "total": total,
        "facets": views.facet_groups(window, chosen, _main_labels(request), attribute_labels),
        "price_facet": price_facet,
        "chosen": chosen,
        "bands": bands,
        "page": page,
        "next_url": _page_url(request, page + 1) if page * PAGE_SIZE < total else None,
        "prev_url": _page_url(request, page - 1) if page > 1 else None,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "toggle": lambda name, value: _toggle_url(request, name, str(value)),
        "currency": shop.ctx.settings.default_currency,
    }


def _toggle_url(request: Request, name: str, value: str) -> str:
    """The listing with one facet value chosen, or no longer chosen (back to its first page)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    query = (
        [item for item in query if item != (name, value)]
        if (name, value) in query
        else [*query, (name, value)]
    )
    return f"{request.url.path}?{urlencode(query)}" if query else request.url.path


def _page_url(request: Request, page: int) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return f"{request.url.path}?{urlencode([*query, ('page', str(page))])}"


Page = Annotated[int, Query(ge=1, le=400)]


@router.get("/c/{code}", response_class=HTMLResponse)
def category_page(request: Request, shop: Shopper, code: str, page: Page = 1) -> HTMLResponse:
    locale = catalog_locale(shop.lang)
    with shop.ctx.reader() as uow:
        try:
            found = views.category(uow, code)
        except NotFound:
            raise NotFound(f"No category {code}.") from None
        trail = views.category_trail(uow, found, locale)
    listing = _listing(request, shop, q="", category=found.code, page=page)
    return pages.response(
        request, "storefront/listing.html", shop=shop, title=trail[-1]["name"], trail=trail, q="", **listing
    )


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, shop: Shopper, q: Annotated[str, Query(max_length=200)] = "", page: Page = 1
) -> HTMLResponse:
    listing = _listing(request, shop, q=q.strip(), category=None, page=page)
    _ = gettext(request)
    title = _("Results for “%(q)s”") % {"q": q.strip()} if q.strip() else _("All products")
    return pages.response(
        request, "storefront/listing.html", shop=shop, title=title, trail=[], q=q, **listing
    )


@router.get("/p/{code}", response_class=HTMLResponse)
def product_page(
    request: Request,
    shop: Shopper,
    code: str,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    colour: Annotated[str | None, Query(max_length=100)] = None,
    size: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    locale = catalog_locale(shop.lang)
    with shop.ctx.reader() as uow:
        product = views.product_page(shop.ctx, uow, code, locale, sku=sku, colour=colour, size=size)
    return pages.response(
        request, "storefront/product.html", shop=shop, p=product, photo_url=views.photo_url, near=None
    )


@router.get("/p/{code}/near", response_class=HTMLResponse)
def available_near(
    request: Request,
    shop: Shopper,
    code: str,
    sku: Annotated[str, Query(min_length=1, max_length=64)],
    postcode: Annotated[str, Query(max_length=10)] = "",
    lat: Annotated[str, Query(max_length=20)] = "",
    lon: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """The nearest shops that can promise the SKU for collection, with their pickup promise; a whole page
    without HTMX, the fragment in the product page with it."""
    _ = gettext(request)
    error = None
    near = None
    postcode = postcode.strip()
    position = _position(lat, lon)  # the form sends both empty until the shopper shares a position
    with shop.ctx.reader() as uow:
        if not postcode and position is None:
            error = _("Enter a postcode, or share your position.")
        else:
            try:
                near = inventory_service.nearest_with_stock(
                    uow,
                    sku,
                    postcode=postcode or None,
                    lat=None if postcode or position is None else position[0],
                    lon=None if postcode or position is None else position[1],
                    service="click_and_collect",
                    limit=5,
                )
            except InvalidInput:
                error = _(
                    "We do not know the postcode %(postcode)s: enter a French postcode such as 75001."
                ) % {"postcode": postcode}
    status = 422 if error else 200
    context = {
        "shop": shop,
        "near": near,
        "near_error": error,
        "postcode": postcode,
        "sku": sku,
        "code": code,
    }
    if request.headers.get("hx-request"):
        return pages.response(request, "storefront/_near.html", status_code=status, **context)
    locale = catalog_locale(shop.lang)
    with shop.ctx.reader() as uow:
        product = views.product_page(shop.ctx, uow, code, locale, sku=sku)
    return pages.response(
        request,
        "storefront/product.html",
        status_code=status,
        p=product,
        photo_url=views.photo_url,
        **context,
    )


def _position(lat: str, lon: str) -> tuple[float, float] | None:
    try:
        point = float(lat), float(lon)
    except ValueError:
        return None
    return point if -90 <= point[0] <= 90 and -180 <= point[1] <= 180 else None


@router.post("/wishlist")
def add_to_wishlist(
    shop: Shopper,
    sku: Annotated[str, Form(min_length=1, max_length=64)],
    code: Annotated[str, Form(min_length=1, max_length=64)],
    remove: Annotated[bool, Form()] = False,
) -> Response:
    """Keep (or take off) the chosen variant on the signed-in shopper's wishlist, then back to the product
    (a shopper not signed in signs in first, and comes back to the product)."""
    back = f"{views.product_url(code)}?{urlencode({'sku': sku})}"
    if shop.customer_id is None:
        return RedirectResponse(f"/shop/sign-in?{urlencode({'next': back})}", status_code=303)
    with shop.ctx.uow() as uow:
        if remove:
            carts_service.remove_from_wishlist(uow, shop.customer_id, sku)
        else:
            carts_service.add_to_wishlist(uow, shop.customer_id, sku)
        uow.commit()
    return RedirectResponse(back, status_code=303)


@router.get("/media/{asset_id}")
def media(shop: Shopper, asset_id: str) -> StreamingResponse:
    """A product photo as the website may show it (its usage rights for the web channel)."""
    return _media(shop, asset_id, None)


@router.get("/media/{asset_id}/{rendition}")
def media_rendition(shop: Shopper, asset_id: str, rendition: str) -> StreamingResponse:
    return _media(shop, asset_id, rendition)


def _media(shop: Any, asset_id: str, rendition: str | None) -> StreamingResponse:
    settings = shop.ctx.settings
    with shop.ctx.reader() as uow:
        found = catalog_service.open_media(
            uow, settings, asset_id, rendition, channel=views.CHANNEL, territory=settings.default_region
        )
    return StreamingResponse(
        found.chunks,
        media_type=found.content_type,
        headers={
            "Cache-Control": "public, max-age=300",
            "Content-Disposition": f'inline; filename="{found.filename}"',
        },
    )
