"""pricing: the demo retailer's prices and promotions.

The same base prices on the website, the app and in the shops (two lists, so a store could differ);
a winter sale list whose dresses show their Omnibus reference (the lowest price of the 30 days before,
with a past price history); a running "linen week" with a budget, BIENVENUE10 (once per customer), three
cushions for the price of two, free delivery from 60 € online, and a VIP offer.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from decimal import Decimal

from comptoir.catalog import service as catalog
from comptoir.core import clock
from comptoir.core.errors import NotFound
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import lists, promotions
from comptoir.pricing.schemas import CouponIn, PriceListIn, PricesIn, PromotionIn

# Price bands (euros, VAT included) by top category code.
BANDS = {
    "femme": (39, 149),
    "homme": (45, 159),
    "accessoires": (19, 89),
    "maison": (15, 129),
}
# Online orders delivered home from 60 € ship free, whatever the method (tests/orders check it at checkout).
FREE_DELIVERY_FROM_60 = PromotionIn(
    name="Livraison offerte dès 60 €",
    label="Livraison offerte",
    kind="free_shipping",
    params={"min_subtotal": "60", "modes": ["home_delivery"]},
    channels=["web", "app"],
)


def demo_price(product_code: str, band: tuple[int, int]) -> Decimal:
    """One price per product, drawn in its category's band: every colour and size of it costs the same
    (but for `size_surcharge`)."""
    low, high = band
    euros = low + zlib.crc32(product_code.encode()) % (high - low)
    return Decimal(euros) + Decimal("0.90")


def size_surcharge(size: str | None, sizes: list[str]) -> Decimal:
    """What a retailer adds by size: 5 € on XXL clothing; 10 € per format above the smallest for linen
    sold by dimensions (a 260x240 duvet cover costs more than a 140x200)."""
    if not size:
        return Decimal(0)
    if size.upper() == "XXL":
        return Decimal(5)
    formats = sorted((s for s in sizes if _area(s) is not None), key=lambda s: _area(s) or 0)
    return Decimal(10 * formats.index(size)) if size in formats else Decimal(0)


def _area(size: str) -> int | None:
    width, sep, height = size.lower().partition("x")
    return int(width) * int(height) if sep and width.isdigit() and height.isdigit() else None


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    try:
        lists.get_price_list(uow, "web-app-eur")
        return  # loaded already
    except NotFound:
        pass
    skus = list(catalog.iter_skus(uow))
    if not skus:
        return
    categories = {c.id: c.code for c in catalog.list_categories(uow)}
    base, by_category = _base_prices(uow, skus, categories)
    now = clock.now()
    web = lists.create_price_list(
        uow,
        PriceListIn(
            code="web-app-eur",
            name="Prix web et appli",
            channels=["web", "app", "call-centre", "live"],
        ),
    )
    shops = lists.create_price_list(
        uow, PriceListIn(code="magasins-eur", name="Prix magasins", channels=["store"])
    )
    rows = [{"sku": sku, "amount": str(amount)} for sku, amount in sorted(base.items())]
    for plist in (web.id, shops.id):
        lists.set_prices(uow, plist, PricesIn.model_validate({"prices": rows}))
    _winter_sale(uow, now, base, sorted(by_category.get("femme-robes", []))[:8], [web.id, shops.id])
    _promotions(uow, now, {code: cid for cid, code in categories.items()}, by_category)


def _base_prices(
    uow: UnitOfWork, skus: list[str], categories: dict[str, str]
) -> tuple[dict[str, Decimal], dict[str, list[str]]]:
    """Each SKU's regular price (its product's price in its top category's band, plus its size's
    surcharge), and the SKUs of each category code."""
    variants = {}
    for start in range(0, len(skus), 500):
        variants.update(catalog.get_variants(uow, skus[start : start + 500]))
    base: dict[str, Decimal] = {}
    by_category: dict[str, list[str]] = {}
    sizes_of: dict[str, list[str]] = {}
    for v in variants.values():
        sizes_of.setdefault(v.product_code, []).append(v.size or "")
    for sku, v in variants.items():
        codes = [categories.get(c, "") for c in v.category_ids]
        top = codes[0] if codes else "maison"
        base[sku] = demo_price(v.product_code, BANDS.get(top, (19, 99))) + size_surcharge(
            v.size, sizes_of[v.product_code]
        )
        for code in codes:
            by_category.setdefault(code, []).append(sku)
    return base, by_category


def _winter_sale(
    uow: UnitOfWork, now: datetime, base: dict[str, Decimal], dresses: list[str], regular: list[str]
) -> None:
    """The winter sale list on these dresses, with the price history that sets their Omnibus reference
    in the ``regular`` lists."""
    # Price history: the dresses were dearer six weeks ago, then cheaper for ten days, before the sale.
    for sku in dresses:
        price = base[sku]
        for plist in regular:
            lists.backfill_history(
                uow,
                plist,
                sku,
                [
                    (price + 10, now - timedelta(days=90), now - timedelta(days=40)),
                    (price - 5, now - timedelta(days=40), now - timedelta(days=28)),
                    (price, now - timedelta(days=28), now - timedelta(seconds=1)),
                ],
            )
    sale = lists.create_price_list(
        uow,
        PriceListIn(
            code="soldes-hiver",
            name="Soldes d'hiver",
            # Named channels, as specific as the regular lists; its priority then wins.
            channels=["web", "app", "call-centre", "live", "store"],
            is_sale=True,
            priority=10,
            valid_from=now - timedelta(days=2),
            valid_until=now + timedelta(days=26),
        ),
    )
    lists.set_prices(
        uow,
        sale.id,
        PricesIn.model_validate(
            {
                "prices": [
                    {
                        "sku": sku,
                        "amount": str((base[sku] * Decimal("0.7")).quantize(Decimal(1)) - Decimal("0.10")),
                        "compare_at": str(base[sku]),
                    }
                    for sku in dresses
                ]
            }
        ),
    )


def _promotions(
    uow: UnitOfWork, now: datetime, category_ids: dict[str, str], by_category: dict[str, list[str]]
) -> None:
    """The running promotions: linen week, BIENVENUE10, three cushions for two, free delivery, VIP."""
    linen = [code for code in ("maison-lit", "maison-bain") if code in by_category]
    promotions.create_promotion(
        uow,
        PromotionIn(
            name="Semaine du blanc -20 %",
            label="Semaine du blanc : -20 % sur le linge de maison",
            kind="percent_off",
            params={"percent": "20", "category_ids": [category_ids[c] for c in linen]},
            starts_at=now - timedelta(days=3),
            ends_at=now + timedelta(days=11),
            priority=20,
            budget=Decimal("5000"),
        ),
    )
    welcome = promotions.create_promotion(
        uow,
        PromotionIn(
            name="Bienvenue -10 %",
            label="Bienvenue : -10 % sur votre commande",
            kind="percent_off",
            params={"percent": "10", "scope": "cart", "min_subtotal": "30"},
            requires_coupon=True,
            priority=5,
        ),
    )
    promotions.create_coupon(uow, welcome.id, CouponIn(code="BIENVENUE10", max_uses_per_customer=1))
    if "maison-coussins" in category_ids:
        promotions.create_promotion(
            uow,
            PromotionIn(
                name="3 coussins pour le prix de 2",
                label="3 pour 2 : le moins cher offert",
                kind="buy_x_get_y",
                params={"buy": 2, "get": 1, "category_ids": [category_ids["maison-coussins"]]},
                priority=10,
            ),
        )
    promotions.create_promotion(uow, FREE_DELIVERY_FROM_60)
    promotions.create_promotion(
        uow,
        PromotionIn(
            name="Clients VIP -15 % sur les manteaux",
            label="Avantage VIP : -15 %",
            kind="percent_off",
            params={
                "percent": "15",
                "category_ids": [
                    category_ids.get("femme-manteaux", ""),
                    category_ids.get("homme-vestes", ""),
                ],
            },
            segments=["vip"],
            priority=15,
        ),
    )
