"""Back-office page: every place with its status, hours and channel sync, and a bulk close/reopen form."""

from typing import Annotated, Any

from babel.dates import get_day_names
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from comptoir.core import clock
from comptoir.core.api import RequestContext
from comptoir.core.errors import Problem
from comptoir.core.web import Pages, page_language, require_page
from comptoir.stores import bulk, publishing, service
from comptoir.stores.policies import WEEKDAYS
from comptoir.stores.schemas import BulkStatusIn, PlaceOut

pages = Pages(__package__ or "comptoir.stores")
router = APIRouter(prefix="/pages/stores", include_in_schema=False)


def _render(
    request: Request, ctx: RequestContext, *, message: str | None = None, error: str | None = None
) -> HTMLResponse:
    now = clock.now()
    days = get_day_names("abbreviated", locale=page_language(request))
    with ctx.reader() as uow:
        places = service.all_places(uow)
        status = service.opening_status(uow, [p.id for p in places], now)
        sync = publishing.sync_summary(uow)
    rows = [
        {
            "place": p,
            "open": status[p.id],
            "weekly": _weekly(p, days),
        }
        for p in places
    ]
    regions = sorted({p.address.region for p in places if p.address.region})
    return pages.response(
        request, "stores/list.html", rows=rows, regions=regions, sync=sync, message=message, error=error
    )


def _weekly(place: PlaceOut, day_names: Any) -> str:
    """The weekly hours in the page's language: "lun. 10:00–19:30 · mar. 10:00–19:30 …" (open days)."""
    ranges: dict[int, list[str]] = {}
    for r in place.hours.weekly:
        ranges.setdefault(WEEKDAYS.index(r.day), []).append(f"{r.opens}–{r.closes}")
    return " · ".join(f"{day_names[d]} {', '.join(ranges[d])}" for d in sorted(ranges))


@router.get("", response_class=HTMLResponse)
def store_list(
    request: Request, ctx: Annotated[RequestContext, Depends(require_page("stores", "read"))]
) -> HTMLResponse:
    return _render(request, ctx)


@router.post("/bulk-status", response_class=HTMLResponse)
def bulk_status(
    request: Request,
    ctx: Annotated[RequestContext, Depends(require_page("stores", "write", retailer_wide=True))],
    status: Annotated[str, Form()],
    region: Annotated[str, Form()] = "",
    place_ids: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try:
        command = BulkStatusIn.model_validate(
            {
                "selector": {"region": region or None, "place_ids": place_ids or None},
                "status": status,
                "reason": reason,
            }
        )
        with ctx.uow() as uow:
            out = bulk.bulk_status(uow, command)
            uow.commit()
    except (ValidationError, Problem) as exc:
        detail = exc.detail if isinstance(exc, Problem) else "; ".join(e["msg"] for e in exc.errors())
        return _render(request, ctx, error=detail)
    return _render(request, ctx, message=f"{out.changed}/{out.matched}")
