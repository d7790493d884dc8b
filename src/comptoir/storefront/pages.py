"""The storefront's home page (``/shop``): open to everyone."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from comptoir.core.web import Pages
from comptoir.storefront.session import Shopper

pages = Pages(__package__ or "comptoir.storefront")
router = APIRouter(prefix="/shop", include_in_schema=False)

PAGES: list[tuple[str, str]] = [("Storefront", "/shop")]


@router.get("", response_class=HTMLResponse)
async def home(request: Request, shop: Shopper) -> HTMLResponse:
    return pages.response(request, "storefront/home.html")
