"""The dashboard: sales by channel and by shop, the click & collect share, pickups ready on time and
returns, for a period and a shop — from the domains' aggregate reads, shaped for charts and tables."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from comptoir.backoffice.common import (
    CHANNELS,
    PERIODS,
    Reader,
    gettext,
    label,
    period,
    render,
    shop_scope,
    visible_shops,
)
from comptoir.orders import service as orders
from comptoir.returns import service as returns

router = APIRouter(prefix="/back-office", include_in_schema=False)
COLLECT_MODES = ("click_and_collect", "reserve_and_collect")


@dataclass
class Figure:
    """One row of a chart's table: a label, orders, revenue (per currency) and the chart's value."""

    label: str
    orders: int = 0
    revenue: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))


def _chart(labels: list[str], series: list[tuple[str, list[Any]]]) -> dict[str, Any]:
    return {"labels": labels, "series": [{"label": name, "values": values} for name, values in series]}


def _main_currency(rows: list[orders.SalesRow], default: str) -> str:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        totals[r.currency] += r.revenue
    return max(totals, key=lambda c: (totals[c], c)) if totals else default


def sales_figures(
    request: Request, rows: list[orders.SalesRow], shop_names: dict[str, str], currency: str
) -> dict[str, Any]:
    """Sales by channel and by shop, and the share of orders collected in a shop."""
    _ = gettext(request)
    by_channel: dict[str, Figure] = {}
    by_shop: dict[str, Figure] = {}
    by_mode: dict[str, int] = defaultdict(int)
    for r in rows:
        channel = by_channel.setdefault(r.channel, Figure(label(request, r.channel)))
        shop_key = r.shop_id or ""
        shop_label = shop_names.get(shop_key, shop_key) if r.shop_id else _("Online, delivered")
        shop = by_shop.setdefault(shop_key, Figure(shop_label))
        for fig in (channel, shop):
            fig.orders += r.orders
            fig.revenue[r.currency] += r.revenue
        by_mode[r.mode] += r.orders
    channels = [by_channel[c] for c in CHANNELS if c in by_channel] + [
        f for c, f in sorted(by_channel.items()) if c not in CHANNELS
    ]
    shops = sorted(by_shop.values(), key=lambda f: (-f.revenue[currency], f.label))
    total_orders = sum(by_mode.values())
    collected = sum(n for mode, n in by_mode.items() if mode in COLLECT_MODES)
    modes = sorted(by_mode.items(), key=lambda kv: (-kv[1], kv[0]))
    revenue_name = _("Revenue (%(currency)s)") % {"currency": currency}

    def revenue_chart(figures: list[Figure]) -> dict[str, Any]:
        return _chart(
            [f.label for f in figures], [(revenue_name, [float(f.revenue[currency]) for f in figures])]
        )

    def orders_chart(figures: list[Figure]) -> dict[str, Any]:
        return _chart([f.label for f in figures], [(_("Orders"), [f.orders for f in figures])])

    return {
        "channels": channels,
        "shops": shops,
        "channel_revenue": revenue_chart(channels),
        "channel_orders": orders_chart(channels),
        "shop_revenue": revenue_chart(shops),
        "shop_orders": orders_chart(shops),
        "orders": total_orders,
        "revenue": _totals(rows),
        "collect_orders": collected,
        "collect_share": collected / total_orders if total_orders else None,
        "modes": [(label(request, m), n) for m, n in modes],
        "mode_chart": _chart([label(request, m) for m, _n in modes], [(_("Orders"), [n for _m, n in modes])]),
        "units": sum(r.units for r in rows),
    }


def _totals(rows: list[orders.SalesRow]) -> list[tuple[str, Decimal]]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        totals[r.currency] += r.revenue
    return sorted(totals.items())


def pickup_figures(
    request: Request, parcels: list[orders.PickupReadiness], shop_names: dict[str, str]
) -> dict[str, Any]:
    """Click & collect parcels ready by the promise, late, ready at a time not recorded, or not ready yet
    — per shop."""
    _ = gettext(request)
    per_shop: dict[str, list[int]] = {}
    for p in parcels:
        counts = per_shop.setdefault(p.shop_id, [0, 0, 0, 0])
        if p.on_time is not None:
            counts[0 if p.on_time else 1] += 1
        else:
            counts[2 if p.ready else 3] += 1
    names = sorted(per_shop, key=lambda s: shop_names.get(s, s))
    rows = [(shop_names.get(s, s), *_four(per_shop[s])) for s in names]
    on_time, late = sum(r[1] for r in rows), sum(r[2] for r in rows)
    return {
        "rows": rows,
        "on_time": on_time,
        "late": late,
        "unrecorded": sum(r[3] for r in rows),
        "waiting": sum(r[4] for r in rows),
        "rate": on_time / (on_time + late) if on_time + late else None,
        "chart": _chart(
            [r[0] for r in rows],
            [
                (_("Ready on time"), [r[1] for r in rows]),
                (_("Ready late"), [r[2] for r in rows]),
                (_("Ready, time not recorded"), [r[3] for r in rows]),
                (_("Not ready yet"), [r[4] for r in rows]),
            ],
        ),
    }


def _four(counts: list[int]) -> tuple[int, int, int, int]:
    return counts[0], counts[1], counts[2], counts[3]


def return_figures(
    request: Request, reasons: list[returns.ReasonCount], sales: dict[str, Any]
) -> dict[str, Any]:
    """Units brought back in the period (returns started then) against units sold in the period."""
    _ = gettext(request)
    units, back = sales["units"], sum(r.units for r in reasons)
    named = [(label(request, r.reason), r.returns, r.units) for r in reasons]
    return {
        "rate": back / units if units else None,
        "units": units,
        "units_returned": back,
        "reasons": named,
        "chart": _chart([n[0] for n in named], [(_("Units returned"), [n[2] for n in named])]),
    }


@router.get("", response_class=HTMLResponse)
def dashboard(
    request: Request,
    ctx: Reader,
    days: Annotated[int | None, Query()] = None,
    shop: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    chosen = period(days)
    with ctx.reader() as uow:
        known = visible_shops(uow, ctx)
        scope = shop_scope(ctx, shop or None, known)
        rows = orders.sales_summary(uow, chosen.since, chosen.until, scope)
        parcels = orders.pickup_readiness(uow, chosen.since, chosen.until, scope)
        reasons = returns.returns_by_reason(uow, chosen.since, chosen.until, scope)
    names = {p.id: p.name for p in known}
    currency = _main_currency(rows, ctx.settings.default_currency)
    sales = sales_figures(request, rows, names, currency)
    return render(
        request,
        "backoffice/dashboard.html",
        section="dashboard",
        period=chosen,
        periods=PERIODS,
        shops=known,
        shop=shop or "",
        currency=currency,
        sales=sales,
        pickups=pickup_figures(request, parcels, names),
        returns=return_figures(request, reasons, sales),
    )
