"""A product as one channel shows it: published there, in one locale, with only the assets licensed
for that channel and territory now."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from comptoir.catalog import policies
from comptoir.catalog.models import Asset, Attribute, Category, Publication, Variant
from comptoir.catalog.products import load_product
from comptoir.catalog.publishing import rights_of
from comptoir.catalog.relations import get_relations
from comptoir.catalog.schemas import DeliveredAsset, DeliveredVariant, ProductView
from comptoir.catalog.urls import media_url
from comptoir.core import clock
from comptoir.core.errors import NotFound
from comptoir.core.i18n import translations
from comptoir.core.uow import UnitOfWork


def _display(value: Any, attribute: Attribute | None, locale: str) -> str:
    if attribute is not None and attribute.type == "boolean":
        t = translations(__package__, locale)
        return t.gettext("yes") if value else t.gettext("no")
    if attribute is not None and attribute.type == "enum":
        return policies.localised(attribute.option_labels.get(value), locale) or str(value)
    return policies.attribute_text(value, locale)


def product_view(
    uow: UnitOfWork, id_or_code: str, *, channel: str, locale: str, territory: str
) -> ProductView:
    """404 unless the product is active and published on ``channel`` in ``locale``."""
    try:
        product = load_product(uow, id_or_code)
    except NotFound:
        product = None
    published = product is not None and (
        product.status == "active" and uow.session.get(Publication, (product.id, channel, locale)) is not None
    )
    if product is None or not published:
        raise NotFound(
            f"Product {id_or_code} is not published on {channel} in {locale}.", slug="product-not-found"
        )
    shown = _Shown({a.code: a for a in uow.session.scalars(select(Attribute))}, locale)
    variants = uow.session.scalars(
        select(Variant).where(Variant.product_id == product.id).order_by(Variant.position, Variant.sku)
    )
    related: dict[str, list[str]] = defaultdict(list)
    for r in get_relations(uow, product.id, published_on=(channel, locale)):
        related[r.kind].append(r.product_id)
    return ProductView(
        id=product.id,
        code=product.code,
        locale=locale,
        name=policies.localised(product.name, locale),
        description=policies.localised(product.description, locale),
        brand=product.brand,
        origin=product.origin,
        tax_class=product.tax_class,
        category_path=_category_path(uow, product.category_id, locale),
        attributes=shown(product.attributes),
        composition=list(product.composition),
        labels=list(product.labels),
        axes=list(product.axes),
        variants=[_delivered_variant(v, shown) for v in variants],
        assets=_licensed_assets(uow, product.id, channel=channel, territory=territory),
        related=dict(related),
    )


class _Shown:
    """Attribute values as the channel shows them: localised label → display text (empty ones left out)."""

    def __init__(self, attributes: dict[str, Attribute], locale: str) -> None:
        self.attributes, self.locale = attributes, locale

    def __call__(self, values: dict[str, Any]) -> dict[str, str]:
        out = {}
        for code, value in values.items():
            attribute = self.attributes.get(code)
            label = (policies.localised(attribute.label, self.locale) if attribute else "") or code
            text = _display(value, attribute, self.locale)
            if text:
                out[label] = text
        return out


def _category_path(uow: UnitOfWork, category_id: str | None, locale: str) -> list[str]:
    """The names of the product's category and its ancestors, from the root."""
    if not category_id:
        return []
    path = uow.session.scalar(select(Category.path).where(Category.id == category_id))
    ids = str(path).split("/") if path else []
    names: dict[str, dict[str, str]] = {
        cid: name
        for cid, name in uow.session.execute(select(Category.id, Category.name).where(Category.id.in_(ids)))
    }
    return [policies.localised(names.get(cid), locale) for cid in ids]


def _delivered_variant(v: Variant, shown: _Shown) -> DeliveredVariant:
    return DeliveredVariant(
        sku=v.sku,
        gtin=v.gtin,
        size=v.size,
        colour=v.colour,
        weight_g=v.weight_g,
        dimensions_mm=[v.length_mm, v.width_mm, v.height_mm]
        if v.length_mm is not None and v.width_mm is not None and v.height_mm is not None
        else None,
        attributes=shown(v.attributes),
    )


def _licensed_assets(
    uow: UnitOfWork, product_id: str, *, channel: str, territory: str
) -> list[DeliveredAsset]:
    """The product's assets whose usage rights allow this channel and territory now."""
    now = clock.now()
    return [
        DeliveredAsset(
            id=a.id,
            kind=a.kind,
            role=a.role,
            title=a.title,
            colour=a.colour,
            url=media_url(a.id),
            renditions={name: media_url(a.id, name) for name in sorted(a.renditions)},
        )
        for a in uow.session.scalars(
            select(Asset).where(Asset.product_id == product_id).order_by(Asset.position, Asset.id)
        )
        if policies.rights_refusal(rights_of(a), channel_kind=channel, territory=territory, at=now) is None
    ]
