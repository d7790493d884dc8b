"""Stores and hours: each place with its status, weekly and exceptional hours; closing several shops
over a range of dates at once (the stores service's bulk special days); the channel audit (what the
store locator, Google and the other channels show against the source of truth)."""

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from comptoir.backoffice.common import N_, gettext, render, staff, visible_shops
from comptoir.core import clock
from comptoir.core.api import RequestContext
from comptoir.core.errors import Problem
from comptoir.stores import service as stores
from comptoir.stores.schemas import BulkSpecialDaysIn

router = APIRouter(prefix="/back-office/stores", include_in_schema=False)
StoresReader = Annotated[RequestContext, staff("stores")]
StoresWriter = Annotated[RequestContext, staff("stores", "write", retailer_wide=True)]
MAX_CLOSED_DAYS = 62
WEEKDAYS = {
    "monday": N_("Monday"),
    "tuesday": N_("Tuesday"),
    "wednesday": N_("Wednesday"),
    "thursday": N_("Thursday"),
    "friday": N_("Friday"),
    "saturday": N_("Saturday"),
    "sunday": N_("Sunday"),
}
AUDIT_CHANNELS = {
    "locator": N_("Store locator"),
    "jsonld": N_("Website (structured data)"),
    "gbp": N_("Google Business Profile"),
    "csv": N_("Partner feed"),
}
FINDINGS = {
    "missing_on_channel": N_("Missing on this channel"),
    "unknown_on_channel": N_("Shown but unknown to Comptoir"),
    "unreadable": N_("Unreadable"),
    "open_while_closed": N_("Shown open while closed"),
    "closed_while_open": N_("Shown closed while open"),
    "wrong_status": N_("Wrong status"),
    "wrong_hours": N_("Wrong opening hours"),
    "wrong_special_hours": N_("Wrong exceptional hours"),
    "missing_service": N_("A service is missing"),
    "unexpected_service": N_("A service shown is not offered"),
    "wrong_phone": N_("Wrong phone number"),
    "wrong_address": N_("Wrong address"),
    "wrong_name": N_("Wrong name"),
    "wrong_location": N_("Wrong location on the map"),
}


def _render(
    request: Request,
    ctx: RequestContext,
    *,
    status_code: int = 200,
    closed: tuple[int, date, date] | None = None,
    error: str | None = None,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    _ = gettext(request)
    today = clock.now().date()
    with ctx.reader() as uow:
        places = visible_shops(uow, ctx)
        status = stores.opening_status(uow, [p.id for p in places], clock.now())
        findings = stores.audit(uow).contradictions if ctx.actor.shops is None else []
    names = {p.id: p.name for p in places}
    rows = [
        {
            "place": p,
            "open_now": status[p.id].open if p.id in status else False,
            "weekly": _weekly(request, p),
            "special": [d for d in p.special_days if d.date >= today][:5],
        }
        for p in places
    ]
    audit = [
        {
            "channel": _(AUDIT_CHANNELS[f.channel]),
            "place": names.get(f.place_id or "", f.store_code),
            "finding": _(FINDINGS.get(f.kind, f.kind)),
            "expected": _shown(request, f.expected),
            "shown": _shown(request, f.shown),
        }
        for f in findings
    ]
    return render(
        request,
        "backoffice/stores.html",
        status_code=status_code,
        section="stores",
        rows=rows,
        audit=audit,
        may_close=ctx.actor.shops is None,
        closed=closed,
        error=error,
        form=form or {"start": today.isoformat(), "end": today.isoformat(), "reason": "", "place_ids": []},
    )


def _weekly(request: Request, place: Any) -> list[tuple[str, str]]:
    """Each weekday's opening ranges in words ("09:00–19:00"), or closed."""
    _ = gettext(request)
    by_day: dict[str, list[str]] = {day: [] for day in WEEKDAYS}
    for r in place.hours.weekly:
        by_day[r.day].append(f"{r.opens}–{r.closes}")
    return [(_(WEEKDAYS[day]), ", ".join(ranges) or _("Closed")) for day, ranges in by_day.items()]


def _shown(request: Request, value: Any) -> str:
    """An audit value in words: present/absent, or the value itself (never a raw structure)."""
    _ = gettext(request)
    if value is None:
        return "—"
    if value == "present":
        return _("Present")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{v}" for v in value.values())
    return str(value)


@router.get("", response_class=HTMLResponse)
def store_list(request: Request, ctx: StoresReader) -> HTMLResponse:
    return _render(request, ctx)


@router.post("/close", response_class=HTMLResponse)
def close_shops(
    request: Request,
    ctx: StoresWriter,
    start: Annotated[str, Form(max_length=10)] = "",
    end: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=200)] = "",
    place_ids: Annotated[list[str] | None, Form()] = None,
) -> HTMLResponse:
    """Close the chosen shops every day from ``start`` to ``end`` (included)."""
    _ = gettext(request)
    form = {"start": start, "end": end, "reason": reason, "place_ids": place_ids or []}
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        return _render(
            request, ctx, status_code=422, error=_("Give the first and last days as dates."), form=form
        )
    if last < first:
        return _render(
            request, ctx, status_code=422, error=_("The last day comes before the first."), form=form
        )
    if (last - first).days >= MAX_CLOSED_DAYS:
        error = _("Close at most %(n)s days at once.") % {"n": MAX_CLOSED_DAYS}
        return _render(request, ctx, status_code=422, error=error, form=form)
    if not place_ids:
        return _render(request, ctx, status_code=422, error=_("Choose at least one shop."), form=form)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    try:
        command = BulkSpecialDaysIn.model_validate(
            {
                "selector": {"place_ids": place_ids},
                "days": [{"date": d, "closed": True, "reason": reason} for d in days],
            }
        )
        with ctx.uow() as uow:
            out = stores.bulk_special_days(uow, command)
            uow.commit()
    except ValidationError:
        return _render(request, ctx, status_code=422, error=_("These dates cannot be closed."), form=form)
    except Problem as exc:
        return _render(request, ctx, status_code=exc.status, error=exc.detail, form=form)
    return _render(request, ctx, closed=(out.matched, first, last))
