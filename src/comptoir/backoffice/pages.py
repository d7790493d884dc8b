"""The back office's entry page (``/back-office``): the dashboard, and links to each area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from comptoir.core.access import Role
from comptoir.core.api import RequestContext
from comptoir.core.web import Pages, require_page

pages = Pages(__package__ or "comptoir.backoffice")
router = APIRouter(prefix="/back-office", include_in_schema=False)
BackOffice = Annotated[
    RequestContext, Depends(require_page(None, roles=[Role.BACK_OFFICE, Role.SHOP_MANAGER, Role.ADMIN]))
]

PAGES: list[tuple[str, str]] = [("Back office", "/back-office")]


@router.get("", response_class=HTMLResponse)
async def dashboard(request: Request, ctx: BackOffice) -> HTMLResponse:
    return pages.response(request, "backoffice/dashboard.html", actor=ctx.actor)
