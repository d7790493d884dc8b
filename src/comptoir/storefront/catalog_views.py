"""What the storefront's catalogue pages show, composed from the domains' services: product cards priced
for the web channel (and the signed-in customer), facet groups with their labels, a product with its
variants, photos and shelf prices (with the Omnibus reference when discounted), and its wishlist state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from comptoir.carts import service as carts_service
from comptoir.catalog import service as catalog_service
from comptoir.catalog.schemas import (
    CategoryOut,
    DeliveredAsset,
    ProductView,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from comptoir.core.api import RequestContext
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import service as pricing_service
from comptoir.pricing.schemas import ShelfPrice

CHANNEL = "web"
# Facets offered on listing pages, in this order, before the catalogue's own attribute facets.
MAIN_FACETS = ("brand", "size", "colour")
# Price bands (upper bounds, the last open-ended), in the shop's currency.
PRICE_BANDS: tuple[tuple[Decimal, Decimal | None], ...] = (
    (Decimal(0), Decimal(30)),
    (Decimal(30), Decimal(60)),
    (Decimal(60), Decimal(100)),
    (Decimal(100), Decimal(150)),
    (Decimal(150), None),
)
# A listing reads at most this many matches at once (the search's page limit): the price facet is
# exact up to there, and offered only then.
LISTING_WINDOW = 100


@dataclass
class Card:
    """A product as a listing shows it (``ui.product_card``)."""

    product_id: str
    code: str
    name: str
    brand: str | None
    image_url: str | None
    url: str
    price: dict[str, Any] | None = None

    @property
    def amount(self) -> Decimal | None:
        return Decimal(self.price["from_price"]) if self.price else None


@dataclass
class FacetGroup:
    name: str
    label: str
    values: list[dict[str, Any]] = field(default_factory=list)


API_MEDIA = "/v1/catalog/media/"


def product_url(code: str) -> str:
    return f"/shop/p/{code}"


def shop_media(url: str | None) -> str | None:
    """A catalogue media address as the storefront serves it (``/shop/media/…``: no API key in a page)."""
    if url and url.startswith(API_MEDIA):
        return "/shop/media/" + url[len(API_MEDIA) :]
    return url


def shelf_prices(ctx: RequestContext, uow: UnitOfWork, skus: Sequence[str]) -> dict[str, ShelfPrice]:
    """What each SKU sells at on the website for this shopper (their segments when signed in)."""
    if not skus:
        return {}
    return pricing_service.shelf_prices(
        uow,
        list(skus),
        currency=ctx.settings.default_currency,
        channel=CHANNEL,
        store_id=None,
        customer_id=ctx.actor.customer_id,
    )


def _from_price(prices: Iterable[ShelfPrice]) -> dict[str, Any] | None:
    mine = list(prices)
    if not mine:
        return None
    cheapest = min(mine, key=lambda p: p.price)
    return {
        "currency": cheapest.currency,
        "from_price": cheapest.price,
        "compare_at_price": cheapest.compare_at_price,
        "discounted": cheapest.discounted,
        "reference_price": cheapest.reference_price,
        "varies": len({p.price for p in mine}) > 1,
    }


def cards(ctx: RequestContext, uow: UnitOfWork, hits: Sequence[SearchHit]) -> list[Card]:
    """Search hits as priced cards: each product's cheapest variant ("from" when they differ)."""
    skus = catalog_service.skus_of_products(uow, [hit.product_id for hit in hits])
    prices = shelf_prices(ctx, uow, [sku for found in skus.values() for sku in found])
    return [
        Card(
            product_id=hit.product_id,
            code=hit.code,
            name=hit.name,
            brand=hit.brand,
            image_url=shop_media(hit.image_url),
            url=product_url(hit.code),
            price=_from_price(prices[s] for s in skus.get(hit.product_id, []) if s in prices),
        )
        for hit in hits
    ]


def search(
    uow: UnitOfWork, locale: str, q: str, filters: Mapping[str, list[str]], *, limit: int, offset: int
) -> SearchResult:
    return catalog_service.search(
        uow,
        SearchQuery(
            q=q,
            locale=locale,
            filters=dict(filters),
            channel=CHANNEL,
            limit=limit,
            offset=offset,
            exact_facets=True,
        ),
    )


def facet_labels(uow: UnitOfWork, locale: str) -> dict[str, str]:
    """The catalogue's facet attributes by code → their label in the locale."""
    out = {}
    for attribute in catalog_service.list_attributes(uow):
        if attribute.facet:
            out[attribute.code] = _localised(attribute.label, locale) or attribute.code
    return out


def _localised(texts: Mapping[str, str], locale: str) -> str:
    if texts.get(locale):
        return texts[locale]
    language = locale.split("_", 1)[0]
    return next((v for k, v in texts.items() if k.startswith(language) and v), next(iter(texts.values()), ""))


def facet_groups(
    result: SearchResult,
    chosen: Mapping[str, list[str]],
    main_labels: Mapping[str, str],
    attribute_labels: Mapping[str, str],
) -> list[FacetGroup]:
    """The facets of a listing, main ones first, each value with its count and whether it is chosen."""
    names = [n for n in MAIN_FACETS if n in result.facets]
    names += sorted(n for n in result.facets if n in attribute_labels and n not in names)
    groups = []
    for name in names:
        values = result.facets[name]
        if len(values) < 2 and not chosen.get(name):
            continue  # one value for every match narrows nothing
        label = main_labels.get(name) or attribute_labels[name]
        groups.append(
            FacetGroup(
                name=name,
                label=label,
                values=[
                    {
                        "value": v.value,
                        "label": v.label or v.value,
                        "count": v.count,
                        "chosen": v.value in chosen.get(name, []),
                    }
                    for v in values
                ],
            )
        )
    return groups


def price_band_of(amount: Decimal) -> int:
    for index, (low, high) in enumerate(PRICE_BANDS):
        if amount >= low and (high is None or amount < high):
            return index
    return len(PRICE_BANDS) - 1


def price_bands(listed: Sequence[Card], chosen: Sequence[int]) -> list[dict[str, Any]]:
    """How many products fall in each price band (by their "from" price)."""
    counts = [0] * len(PRICE_BANDS)
    for card in listed:
        if card.amount is not None:
            counts[price_band_of(card.amount)] += 1
    return [
        {"index": i, "low": low, "high": high, "count": counts[i], "chosen": i in chosen}
        for i, (low, high) in enumerate(PRICE_BANDS)
        if counts[i] or i in chosen
    ]


# -- categories ----------------------------------------------------------------------------------------------


def category_tree(uow: UnitOfWork, locale: str) -> list[dict[str, Any]]:
    """Root categories with their children, named in the locale."""
    every = catalog_service.list_categories(uow)
    roots = [c for c in every if c.parent_id is None]
    return [
        {
            "code": root.code,
            "name": _localised(root.name, locale),
            "children": [
                {"code": c.code, "name": _localised(c.name, locale)} for c in every if c.parent_id == root.id
            ],
        }
        for root in roots
    ]


def category(uow: UnitOfWork, code: str) -> CategoryOut:
    return catalog_service.get_category(uow, code)


def category_trail(uow: UnitOfWork, found: CategoryOut, locale: str) -> list[dict[str, str]]:
    """The category's ancestors and itself, root first, as breadcrumb links."""
    every = {c.id: c for c in catalog_service.list_categories(uow)}
    chain = [every[i] for i in found.ancestor_ids if i in every] + [found]
    return [{"code": c.code, "name": _localised(c.name, locale)} for c in chain]


# -- a product -----------------------------------------------------------------------------------------------


@dataclass
class ProductPage:
    view: ProductView
    colour: str | None
    colours: list[str]
    sizes: list[dict[str, Any]]
    selected: dict[str, Any] | None
    price: ShelfPrice | None
    from_price: dict[str, Any] | None
    photos: list[DeliveredAsset]
    wishlisted: bool
    related: list[Card]


def _pick(view: ProductView, sku: str | None, colour: str | None, size: str | None) -> dict[str, Any] | None:
    variants = [v.model_dump() for v in view.variants]
    if sku:
        found = next((v for v in variants if v["sku"] == sku), None)
        if found:
            return found
    if colour or size:
        for v in variants:
            if (not colour or v["colour"] == colour) and (not size or v["size"] == size):
                return v
    return variants[0] if len(variants) == 1 else None


def product_page(
    ctx: RequestContext,
    uow: UnitOfWork,
    code: str,
    locale: str,
    *,
    sku: str | None = None,
    colour: str | None = None,
    size: str | None = None,
) -> ProductPage:
    """A product as the website shows it, with the variant chosen by SKU, or colour and size."""
    view = catalog_service.product_view(
        uow, code, channel=CHANNEL, locale=locale, territory=ctx.settings.default_region
    )
    prices = shelf_prices(ctx, uow, [v.sku for v in view.variants])
    selected = _pick(view, sku, colour, size)
    colours = list(dict.fromkeys(v.colour for v in view.variants if v.colour))
    # the sizes and photos of one colour: the chosen one, else the first
    colour = (
        (selected or {}).get("colour") or (colour if colour in colours else None) or next(iter(colours), None)
    )
    sizes = [
        {"size": v.size, "sku": v.sku, "priced": v.sku in prices}
        for v in view.variants
        if v.size and (colour is None or v.colour == colour)
    ]
    images = [a for a in view.assets if a.kind == "image"]
    shown = [a for a in images if colour and a.colour == colour] or images
    wished = False
    if selected and ctx.actor.customer_id:
        wished = bool(carts_service.wishlisted(uow, ctx.actor.customer_id, [selected["sku"]]))
    related_ids = [pid for ids in view.related.values() for pid in ids][:4]
    return ProductPage(
        view=view,
        colour=colour,
        colours=colours,
        sizes=sizes,
        selected=selected,
        price=prices.get(selected["sku"]) if selected else None,
        from_price=_from_price(prices.values()),
        photos=shown,
        wishlisted=wished,
        related=_related(ctx, uow, related_ids, locale),
    )


def _related(ctx: RequestContext, uow: UnitOfWork, product_ids: list[str], locale: str) -> list[Card]:
    if not product_ids:
        return []
    skus = catalog_service.skus_of_products(uow, product_ids)
    firsts = [found[0] for found in skus.values() if found]
    variants = catalog_service.get_variants(uow, firsts, locale, channel=CHANNEL)
    hits = [
        SearchHit(
            product_id=v.product_id,
            code=v.product_code,
            name=v.name,
            brand=v.brand,
            status=v.status,
            image_url=v.image_url,
        )
        for v in variants.values()
        if v.sellable
    ]
    return cards(ctx, uow, hits)


def photo_url(asset: DeliveredAsset, rendition: str = "listing") -> str:
    """A rendition's address when it exists (``ui.img`` offers the others in its srcset), else the original."""
    return shop_media(asset.renditions.get(rendition) or asset.url) or ""
