"""The surveys page (``/back-office/surveys``): what customers answer to the satisfaction surveys — the NPS
(how likely they are to recommend the retailer, after an order) and the CSAT (how satisfied they are,
after an appointment) overall, by shop, employee, channel and touchpoint, and their trend by day, week or
month — for a period and a shop. Each chart is drawn on the server as SVG
(:mod:`comptoir.backoffice.survey_charts`) with a table of its figures. Back office, administrators and
shop managers (their own shops only), as the API lets them; sellers do not read their colleagues' scores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from babel.dates import format_date
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from comptoir.backoffice import survey_charts as charts
from comptoir.backoffice.common import N_, PERIODS, gettext, label, render, shop_scope, staff, visible_shops
from comptoir.core.api import RequestContext
from comptoir.core.i18n import babel_locale, format_number
from comptoir.core.web import page_language
from comptoir.engagement import service as engagement
from comptoir.engagement.schemas import CsatOut, NpsOut, SurveyGroupOut, SurveyStatsOut

router = APIRouter(prefix="/back-office/surveys", include_in_schema=False)
Reader = Annotated[RequestContext, staff("engagement")]
Every = Literal["day", "week", "month"]
TOUCHPOINTS = {
    "order": N_("After an order"),
    "appointment": N_("After an appointment"),
    "live_session": N_("After a live session"),
    "service_ticket": N_("After a service request"),
}
NPS_TICKS = ((-100.0, "−100"), (0.0, "0"), (100.0, "100"))
CSAT_TICKS = tuple((float(n), str(n)) for n in range(1, 6))


def _nps_text(value: float | None, lang: str) -> str:
    if value is None:
        return "—"
    shown = format_number(value, lang)
    return f"+{shown}" if value > 0 else shown.replace("-", "−")


def _mean_text(value: float | None, lang: str) -> str:
    return "—" if value is None else format_number(value, lang)


@dataclass(frozen=True)
class Row:
    """One line of a chart's table: a shop, an employee, a channel, a touchpoint or a period."""

    label: str
    nps: NpsOut
    csat: CsatOut
    nps_text: str
    mean_text: str


def _row(label: str, g: SurveyGroupOut, lang: str) -> Row:
    return Row(label, g.nps, g.csat, _nps_text(g.nps.nps, lang), _mean_text(g.csat.mean, lang))


def _group_rows(groups: list[SurveyGroupOut], names: dict[str | None, str], lang: str) -> dict[str, Any]:
    """A grouping's figures: its table's rows and its two bar charts."""
    rows = [_row(names.get(g.key, g.label or g.key or ""), g, lang) for g in groups]
    with_nps = [(r.label, r.nps.nps, r.nps_text) for r in rows if r.nps.answers]
    with_csat = [(r.label, r.csat.mean, r.mean_text) for r in rows if r.csat.answers]
    return {
        "rows": rows,
        "nps_chart": charts.bar_chart(with_nps, -100, 100, NPS_TICKS) if with_nps else None,
        "csat_chart": charts.bar_chart(with_csat, 1, 5, CSAT_TICKS) if with_csat else None,
    }


def _period_name(day: date, every: Every, lang: str) -> str:
    pattern = "MMM y" if every == "month" else "d MMM"
    return str(format_date(day, pattern, locale=babel_locale(lang)))


def figures(request: Request, stats: SurveyStatsOut) -> dict[str, Any]:
    """Every table and chart of the page, in the page's language."""
    _ = gettext(request)
    lang = page_language(request)
    groupings = {
        "shop": _group_rows(stats.by_shop, {None: _("No shop (ordered online)")}, lang),
        "advisor": _group_rows(stats.by_advisor, {None: _("No employee named")}, lang),
        "channel": _group_rows(
            stats.by_channel, {g.key: label(request, g.key) for g in stats.by_channel}, lang
        ),
        "touchpoint": _group_rows(
            stats.by_touchpoint,
            {g.key: _(TOUCHPOINTS[g.key]) for g in stats.by_touchpoint if g.key in TOUCHPOINTS},
            lang,
        ),
    }
    periods = [
        _row(_period_name(date.fromisoformat(g.key or ""), stats.period, lang), g, lang)
        for g in stats.by_period
    ]
    trend = {
        "rows": periods,
        "nps_chart": charts.line_chart(
            [(p.label, p.nps.nps, p.nps_text) for p in periods], -100, 100, NPS_TICKS
        ),
        "csat_chart": charts.line_chart(
            [(p.label, p.csat.mean, p.mean_text) for p in periods], 1, 5, CSAT_TICKS
        ),
    }
    overall = stats.overall
    return {
        "groupings": groupings,
        "trend": trend,
        "overall": {"nps": _nps_text(overall.nps.nps, lang), "mean": _mean_text(overall.csat.mean, lang)},
    }


def _every(days: int, asked: Every | None) -> Every:
    if asked is not None:
        return asked
    return "day" if days <= 30 else "week" if days <= 90 else "month"


@router.get("", response_class=HTMLResponse)
def surveys(
    request: Request,
    ctx: Reader,
    days: Annotated[int | None, Query()] = None,
    shop: Annotated[str | None, Query(max_length=40)] = None,
    every: Annotated[Every | None, Query()] = None,
) -> HTMLResponse:
    chosen = days if days in PERIODS else 30
    trend = _every(chosen, every)
    with ctx.reader() as uow:
        known = visible_shops(uow, ctx)
        scope = shop_scope(ctx, shop or None, known)
        last = engagement.survey_dates(ctx.settings, None, None).until
        dates = engagement.survey_dates(ctx.settings, last - timedelta(days=chosen - 1), last)
        stats = engagement.survey_stats(uow, ctx.settings, dates, trend, scope)
    return render(
        request,
        "backoffice/surveys.html",
        section="surveys",
        stats=stats,
        figures=figures(request, stats),
        days=chosen,
        periods=PERIODS,
        every=trend,
        shops=known,
        shop=shop or "",
    )
