"""Reference pages for staff: search the catalogue (seller tablet, back office) and the image rights
that expire soon. Same services as the API; the key signed in decides the channel and its rights."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from comptoir.catalog import service
from comptoir.catalog.route_helpers import delivery_channel
from comptoir.catalog.schemas import SearchQuery
from comptoir.catalog.urls import MEDIA_PREFIX
from comptoir.core.api import RequestContext
from comptoir.core.web import Pages, page_language, require_page

router = APIRouter(prefix="/pages/catalog", include_in_schema=False)
pages = Pages(__package__)
Staff = Annotated[RequestContext, Depends(require_page("catalog", "read"))]
PAGE_MEDIA = "/pages/catalog/media"


def _locale(request: Request) -> str:
    return "en_GB" if page_language(request) == "en" else "fr_FR"


def _page_url(url: str | None) -> str | None:
    """Media addresses the pages can show (signed in with the cookie, not a bearer token)."""
    return url.replace(MEDIA_PREFIX, PAGE_MEDIA, 1) if url else None


@router.get("", response_class=HTMLResponse)
def catalogue(request: Request, ctx: Staff) -> HTMLResponse:
    return pages.response(request, "catalog/search.html", actor=ctx.actor)


@router.get("/results", response_class=HTMLResponse)
def results(
    request: Request,
    ctx: Staff,
    q: Annotated[str, Query(max_length=200)] = "",
    brand: str | None = None,
    category: str | None = None,
) -> HTMLResponse:
    filters = {name: [value] for name, value in (("brand", brand), ("category", category)) if value}
    with ctx.reader() as uow:
        found = service.search(
            uow,
            SearchQuery(
                q=q,
                locale=_locale(request),
                filters=filters,
                channel=delivery_channel(ctx, None),
                limit=24,
            ),
            territory=ctx.settings.default_region,
        )
    hits = [(hit, _page_url(hit.image_url)) for hit in found.hits]
    return pages.response(request, "catalog/results.html", found=found, hits=hits, q=q)


@router.get("/rights", response_class=HTMLResponse)
def expiring_rights(
    request: Request, ctx: Staff, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> HTMLResponse:
    with ctx.reader() as uow:
        assets = service.list_assets(uow, expiring_within_days=days, limit=200).items
    ordered = sorted(assets, key=lambda a: (a.rights.valid_until, a.id))
    return pages.response(request, "catalog/rights.html", assets=ordered, days=days)


@router.get("/media/{asset_id}")
@router.get("/media/{asset_id}/{rendition}")
def media(asset_id: str, ctx: Staff, rendition: str | None = None) -> StreamingResponse:
    """An asset's file (its original, or a rendition) for the pages, rights checked as for the API."""
    with ctx.reader() as uow:
        found = service.open_media(
            uow,
            ctx.settings,
            asset_id,
            rendition,
            channel=delivery_channel(ctx, None),
            territory=ctx.settings.default_region,
        )
    return StreamingResponse(
        found.chunks,
        media_type=found.content_type,
        headers={"Cache-Control": "private, max-age=300"},
    )
