"""Promotions and loyalty: the promotions (running first) with their budget used, a promotion's detail
in words, and the loyalty programme's tiers with their members."""

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from comptoir.backoffice.common import N_, catalog_locale, gettext, label, render, staff
from comptoir.catalog import service as catalog
from comptoir.core.api import RequestContext
from comptoir.core.i18n import format_money, format_number
from comptoir.core.web import page_language
from comptoir.loyalty import service as loyalty
from comptoir.pricing import service as pricing
from comptoir.pricing.schemas import PromotionOut

router = APIRouter(prefix="/back-office/promotions", include_in_schema=False)
PricingReader = Annotated[RequestContext, staff("pricing")]
KINDS = {
    "percent_off": N_("Percentage off"),
    "fixed_off": N_("Amount off"),
    "buy_x_get_y": N_("Buy X get Y"),
    "bundle": N_("Bundle price"),
    "gift": N_("Gift over a spend"),
    "free_shipping": N_("Free shipping"),
}


@router.get("", response_class=HTMLResponse)
def promotions_page(request: Request, ctx: PricingReader) -> HTMLResponse:
    with ctx.reader() as uow:
        promotions = pricing.list_promotions(uow)
        programme = loyalty.get_programme(uow)
        tiers = loyalty.members_by_tier(uow)
    _ = gettext(request)
    by_tier = {t.tier: t for t in tiers}
    tier_rows: list[tuple[str, int | None, Decimal | None, loyalty.TierStats | None]] = [
        (t.name, t.threshold, t.multiplier, by_tier.get(t.code)) for t in programme.tiers
    ]
    known = {t.code for t in programme.tiers}
    tier_rows += [(_("No tier"), None, None, stats) for code, stats in by_tier.items() if code not in known]
    members = sum(t.members for t in tiers)
    return render(
        request,
        "backoffice/promotions.html",
        section="promotions",
        running=[p for p in promotions if p.running],
        others=[p for p in promotions if not p.running],
        kinds={k: _(v) for k, v in KINDS.items()},
        programme=programme,
        tier_rows=tier_rows,
        members=members,
        tier_chart={
            "labels": [row[0] for row in tier_rows],
            "series": [
                {"label": _("Members"), "values": [row[3].members if row[3] else 0 for row in tier_rows]}
            ],
        },
    )


@router.get("/{promotion_id}", response_class=HTMLResponse)
def promotion_detail(request: Request, promotion_id: str, ctx: PricingReader) -> HTMLResponse:
    _ = gettext(request)
    with ctx.reader() as uow:
        promotion = pricing.get_promotion(uow, promotion_id)
        skus = _skus_of(promotion)
        names = {s: v.name for s, v in catalog.get_variants(uow, skus, catalog_locale(request)).items()}
    return render(
        request,
        "backoffice/promotion.html",
        section="promotions",
        p=promotion,
        kind=_(KINDS.get(promotion.kind, promotion.kind)),
        terms=_terms(request, promotion, names),
    )


def _skus_of(promotion: PromotionOut) -> list[str]:
    params = promotion.params
    skus = set((params.get("items") or {}).keys()) if isinstance(params.get("items"), dict) else set()
    if params.get("gift_sku"):
        skus.add(str(params["gift_sku"]))
    return sorted(skus)


def _terms(request: Request, p: PromotionOut, names: dict[str, str]) -> list[str]:
    """The promotion's parameters as sentences (never the stored structure)."""
    _ = gettext(request)
    lang = page_language(request)

    def money(value: Any) -> str:
        return format_money(Decimal(str(value)), p.currency, lang)

    params = p.params
    out = []
    if "percent" in params:
        out.append(
            _("%(percent)s %% off") % {"percent": format_number(Decimal(str(params["percent"])), lang)}
        )
    if "amount" in params:
        out.append(_("%(amount)s off") % {"amount": money(params["amount"])})
    if "buy" in params and "get" in params:
        out.append(_("Buy %(buy)s, get %(get)s") % {"buy": params["buy"], "get": params["get"]})
    if isinstance(params.get("items"), dict):
        items = ", ".join(f"{q} × {names.get(s, s)}" for s, q in sorted(params["items"].items()))
        out.append(_("Bundle: %(items)s") % {"items": items})
    if "price" in params:
        out.append(_("For %(price)s") % {"price": money(params["price"])})
    if params.get("gift_sku"):
        out.append(_("Gift: %(product)s") % {"product": names.get(params["gift_sku"], params["gift_sku"])})
    if params.get("min_subtotal") is not None:
        out.append(_("From a spend of %(amount)s") % {"amount": money(params["min_subtotal"])})
    if params.get("min_quantity"):
        out.append(_("From %(n)s items") % {"n": params["min_quantity"]})
    if params.get("scope") == "cart":
        out.append(_("On the whole cart"))
    if params.get("modes"):
        out.append(
            _("Delivery: %(modes)s") % {"modes": ", ".join(label(request, m) for m in params["modes"])}
        )
    return out
