"""The seller app's entry page (``/seller``): the day in this shop and one navigation across domains."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from comptoir.core.api import RequestContext
from comptoir.core.web import Pages, require_page

pages = Pages(__package__ or "comptoir.seller")
router = APIRouter(prefix="/seller", include_in_schema=False)
Seller = Annotated[RequestContext, Depends(require_page(None))]

PAGES: list[tuple[str, str]] = [("Seller app", "/seller")]


@router.get("", response_class=HTMLResponse)
async def home(request: Request, ctx: Seller) -> HTMLResponse:
    return pages.response(request, "seller/home.html", actor=ctx.actor)
