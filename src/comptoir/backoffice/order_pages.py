"""Orders: the list with its filters (channel, shop, status, dates) and an order's detail page (lines
with product names and photos, payments, fulfilment and pickup, returns, the timeline of events)."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from comptoir.backoffice.common import (
    CHANNELS,
    ORDER_STATUSES,
    Reader,
    catalog_locale,
    gettext,
    label,
    media_url,
    render,
    shop_scope,
    visible_shops,
)
from comptoir.catalog import service as catalog
from comptoir.core.errors import NotFound
from comptoir.orders import service as orders
from comptoir.payments import service as payments
from comptoir.returns import service as returns
from comptoir.stores import service as stores

router = APIRouter(prefix="/back-office/orders", include_in_schema=False)
PAGE_SIZE = 50


def _day(value: str | None) -> date | None:
    """A date typed in the filter (``YYYY-MM-DD``); anything else is ignored, and said so."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@router.get("", response_class=HTMLResponse)
def order_list(
    request: Request,
    ctx: Reader,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    shop: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=24)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    before: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    _ = gettext(request)
    errors = []
    first, last = _day(start), _day(end)
    if start and first is None:
        errors.append(_("Give the first day as a date."))
    if end and last is None:
        errors.append(_("Give the last day as a date."))
    channel = channel if channel in CHANNELS else None
    status = status if status in ORDER_STATUSES else None
    with ctx.reader() as uow:
        known = visible_shops(uow, ctx)
        scope = shop_scope(ctx, shop or None, known)
        found = orders.search_orders(
            uow,
            channel=channel,
            shops=scope,
            status=status,
            since=datetime.combine(first, time(), UTC) if first else None,
            until=datetime.combine(last + timedelta(days=1), time(), UTC) if last else None,
            limit=PAGE_SIZE + 1,
            before=before or None,
        )
        names = _shop_names(uow, {o.shop_id for o in found if o.shop_id}, known)
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    filters = {
        "channel": channel or "",
        "shop": shop or "",
        "status": status or "",
        "from": start or "",
        "to": end or "",
    }
    return render(
        request,
        "backoffice/orders.html",
        section="orders",
        orders=found,
        shop_names=names,
        shops=known,
        channels=CHANNELS,
        statuses=ORDER_STATUSES,
        filters=filters,
        next_before=found[-1].id if more and found else None,
        errors=errors,
    )


def _shop_names(uow: Any, ids: set[str], known: list[Any]) -> dict[str, str]:
    names = {p.id: p.name for p in known}
    missing = ids - names.keys()
    if missing:
        names.update({pid: p.name for pid, p in stores.get_places(uow, missing).items()})
    return names


@router.get("/{order_id}", response_class=HTMLResponse)
def order_detail(request: Request, order_id: str, ctx: Reader) -> HTMLResponse:
    _ = gettext(request)
    with ctx.reader() as uow:
        order = orders.find_order(uow, order_id) or orders.find_order_by_number(uow, order_id)
        if order is None or (ctx.actor.shops is not None and not orders.order_shops(order) & ctx.actor.shops):
            raise NotFound(_("This order does not exist, or belongs to another shop."))
        variants = catalog.get_variants(
            uow, sorted({line.sku for line in order.lines}), catalog_locale(request)
        )
        paid = payments.order_payments(uow, order.id)
        its_returns = returns.returns_of_order(uow, order.id)
        places = stores.get_places(uow, orders.order_shops(order) | {r.place_id for r in its_returns})
        timeline = orders.order_timeline(uow, order.id)
    lines = [
        {
            "line": line,
            "name": variants[line.sku].name if line.sku in variants else line.sku,
            "variant": variants.get(line.sku),
            "image": media_url(variants[line.sku].image_url) if line.sku in variants else None,
        }
        for line in order.lines
    ]
    names = {pid: p.name for pid, p in places.items()}
    return render(
        request,
        "backoffice/order.html",
        section="orders",
        order=order,
        lines=lines,
        names=names,
        product_names={sku: v.name for sku, v in variants.items()},
        payments=paid,
        returns=its_returns,
        events=_events(request, order, timeline, names),
    )


def _events(
    request: Request, order: Any, timeline: list[Any], names: dict[str, str]
) -> list[tuple[datetime, str]]:
    """The order's story in words, oldest first: placed, paid, and each status change of a parcel."""
    _ = gettext(request)
    kinds = {f.id: f for f in order.fulfilments}
    events: list[tuple[datetime, str]] = [(order.created_at, _("Order placed"))]
    if order.paid_at:
        events.append((order.paid_at, _("Paid")))
    for at, fulfilment_id, _from, to in timeline:
        parcel = kinds.get(fulfilment_id) if fulfilment_id else None
        text = label(request, to)
        if parcel is not None:
            text = _("%(kind)s at %(place)s: %(status)s") % {
                "kind": label(request, parcel.kind),
                "place": names.get(parcel.place_id, parcel.place_id),
                "status": text,
            }
        else:
            text = _("Order: %(status)s") % {"status": text}
        events.append((at, text))
    return sorted(events, key=lambda e: e[0])
