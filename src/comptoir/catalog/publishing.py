"""Publication per channel and locale, gated by completeness (the family's required values there)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select

from comptoir.catalog import indexing, policies
from comptoir.catalog.events import ProductPublished, ProductUnpublished
from comptoir.catalog.models import Asset, Product, Publication, Variant
from comptoir.catalog.schemas import (
    BulkPublicationIn,
    BulkPublicationOut,
    CompletenessOut,
    IncompletePublication,
    PublicationIn,
    PublicationOut,
)
from comptoir.catalog.taxonomy import Taxonomy
from comptoir.core import clock
from comptoir.core.errors import Conflict, InvalidInput, not_found
from comptoir.core.uow import UnitOfWork


def rights_of(asset: Any) -> policies.Rights:
    """The usage rights of an asset row (ORM object or Core row with the ``rights_*`` columns)."""
    return policies.Rights(
        holder=asset.rights_holder,
        valid_from=asset.rights_valid_from,
        valid_until=asset.rights_valid_until,
        channels=tuple(asset.rights_channels) if asset.rights_channels is not None else None,
        territories=tuple(asset.rights_territories) if asset.rights_territories is not None else None,
    )


class _Facts:
    """What completeness needs of a batch of products, loaded in three queries."""

    def __init__(self, uow: UnitOfWork, product_ids: Sequence[str]) -> None:
        self.variant_counts: dict[str, int] = dict(
            uow.session.execute(
                select(Variant.product_id, func.count())
                .where(Variant.product_id.in_(product_ids))
                .group_by(Variant.product_id)
            ).all()
        )
        self.images: dict[str, list[policies.Rights]] = defaultdict(list)
        for asset in uow.session.scalars(
            select(Asset).where(Asset.product_id.in_(product_ids), Asset.kind == "image")
        ):
            self.images[str(asset.product_id)].append(rights_of(asset))

    def image_count(self, product_id: str, channel: str, at: datetime) -> int:
        """Images the channel may show now (an image licensed for the web only does not count in store)."""
        # Territories are where shoppers are, not a property of the channel: they do not count here.
        return sum(
            1
            for rights in self.images.get(product_id, [])
            if policies.rights_refusal(
                replace(rights, territories=None), channel_kind=channel, territory="", at=at
            )
            is None
        )


def _completeness(
    product: Product, tax: Taxonomy, facts: _Facts, channel: str, locale: str, at: datetime
) -> policies.Completeness:
    return policies.completeness(
        channel=channel,
        locale=locale,
        family_attributes=tax.families.get(product.family_code, []),
        localised_attributes=tax.localised_attributes(),
        fields={
            "name": product.name,
            "description": product.description,
            "brand": product.brand,
            "origin": product.origin,
            "composition": product.composition,
            "labels": product.labels,
            "category": product.category_id,
        },
        attributes=product.attributes,
        image_count=facts.image_count(product.id, channel, at),
        variant_count=facts.variant_counts.get(product.id, 0),
    )


def completeness(uow: UnitOfWork, product: Product, locales: Sequence[str]) -> list[CompletenessOut]:
    """The score and missing values for every channel and locale."""
    tax = Taxonomy.load(uow)
    facts = _Facts(uow, [product.id])
    now = clock.now()
    out = []
    for channel in policies.PUBLICATION_CHANNELS:
        for locale in locales:
            result = _completeness(product, tax, facts, channel, locale, now)
            out.append(
                CompletenessOut(
                    channel=channel, locale=locale, score=result.score, missing=list(result.missing)
                )
            )
    return out


def publish(uow: UnitOfWork, product: Product, cmd: PublicationIn) -> PublicationOut:
    if cmd.locale not in policies.LOCALES:
        raise InvalidInput(f"Unknown locale {cmd.locale}: use {', '.join(policies.LOCALES)}.", field="locale")
    if product.status != "active":
        raise Conflict(
            f"Product {product.code} is {product.status}: activate it before publishing.",
            slug="product-not-active",
        )
    existing = uow.session.get(Publication, (product.id, cmd.channel, cmd.locale))
    if existing is not None:
        return PublicationOut(channel=cmd.channel, locale=cmd.locale, published_at=existing.published_at)
    result = _completeness(
        product, Taxonomy.load(uow), _Facts(uow, [product.id]), cmd.channel, cmd.locale, clock.now()
    )
    if result.missing:
        raise InvalidInput(
            f"Product {product.code} is incomplete for {cmd.channel} in {cmd.locale}: "
            f"missing {', '.join(result.missing)}.",
            errors=[{"pointer": "#/channel", "detail": f"missing {m}"} for m in result.missing],
            slug="product-incomplete",
            missing=list(result.missing),
            completeness=result.score,
        )
    now = clock.now()
    uow.session.add(
        Publication(product_id=product.id, channel=cmd.channel, locale=cmd.locale, published_at=now)
    )
    uow.session.flush()
    indexing.reindex_products(uow, [product.id])  # publications are search filters
    uow.record(
        ProductPublished(product_id=product.id, code=product.code, channel=cmd.channel, locale=cmd.locale)
    )
    return PublicationOut(channel=cmd.channel, locale=cmd.locale, published_at=now)


def unpublish(uow: UnitOfWork, product: Product, channel: str, locale: str) -> None:
    deleted = uow.session.execute(
        delete(Publication).where(
            Publication.product_id == product.id, Publication.channel == channel, Publication.locale == locale
        )
    )
    if not deleted.rowcount:  # type: ignore[attr-defined]
        raise not_found("Publication", f"{product.code} on {channel} in {locale}")
    indexing.reindex_products(uow, [product.id])
    uow.record(
        ProductUnpublished(
            product_id=product.id, code=product.code, channel=channel, locale=locale, reason="requested"
        )
    )


def withdraw(uow: UnitOfWork, product: Product, *, reason: str) -> int:
    """Withdraw every publication of the product (archiving)."""
    rows = uow.session.execute(
        select(Publication.channel, Publication.locale).where(Publication.product_id == product.id)
    ).all()
    if not rows:
        return 0
    uow.session.execute(delete(Publication).where(Publication.product_id == product.id))
    indexing.reindex_products(uow, [product.id])
    uow.record(
        *(
            ProductUnpublished(product_id=product.id, code=product.code, channel=c, locale=loc, reason=reason)
            for c, loc in rows
        )
    )
    return len(rows)


def withdraw_incomplete(uow: UnitOfWork, product_ids: Sequence[str]) -> int:
    """Withdraw the publications a change left incomplete (a required value emptied, an image removed)."""
    publications = uow.session.execute(
        select(Publication.product_id, Publication.channel, Publication.locale).where(
            Publication.product_id.in_(product_ids)
        )
    ).all()
    if not publications:
        return 0
    ids = sorted({p for p, _, _ in publications})
    products = {p.id: p for p in uow.session.scalars(select(Product).where(Product.id.in_(ids)))}
    tax = Taxonomy.load(uow)
    facts = _Facts(uow, ids)
    now = clock.now()
    withdrawn: set[str] = set()
    for product_id, channel, locale in publications:
        product = products[product_id]
        if not _completeness(product, tax, facts, channel, locale, now).missing:
            continue
        uow.session.execute(
            delete(Publication).where(
                Publication.product_id == product_id,
                Publication.channel == channel,
                Publication.locale == locale,
            )
        )
        uow.record(
            ProductUnpublished(
                product_id=product_id, code=product.code, channel=channel, locale=locale, reason="incomplete"
            )
        )
        withdrawn.add(product_id)
    indexing.reindex_products(uow, withdrawn)
    return len(withdrawn)


def publish_where_complete(uow: UnitOfWork, cmd: BulkPublicationIn) -> BulkPublicationOut:
    """Publish active products (all, or those listed) on each channel and locale where complete.

    What is incomplete somewhere is reported with what it misses there; the rest is published.
    """
    for index, locale in enumerate(cmd.locales):
        if locale not in policies.LOCALES:
            raise InvalidInput(
                f"Unknown locale {locale}: use {', '.join(policies.LOCALES)}.", field=f"locales/{index}"
            )
    stmt = select(Product).where(Product.status == "active").order_by(Product.code)
    if cmd.products is not None:
        stmt = stmt.where(Product.id.in_(cmd.products) | Product.code.in_(cmd.products))
    tax = Taxonomy.load(uow)
    now = clock.now()
    out = BulkPublicationOut(published=0, already=0, incomplete=[])
    products = list(uow.session.scalars(stmt))
    for start in range(0, len(products), 500):
        batch = products[start : start + 500]
        ids = [p.id for p in batch]
        facts = _Facts(uow, ids)
        existing = {
            (product_id, channel, locale)
            for product_id, channel, locale in uow.session.execute(
                select(Publication.product_id, Publication.channel, Publication.locale).where(
                    Publication.product_id.in_(ids)
                )
            )
        }
        rows = []
        for product in batch:
            for channel in cmd.channels:
                for locale in cmd.locales:
                    if (product.id, channel, locale) in existing:
                        out.already += 1
                        continue
                    result = _completeness(product, tax, facts, channel, locale, now)
                    if result.missing:
                        out.incomplete.append(
                            IncompletePublication(
                                code=product.code,
                                channel=channel,
                                locale=locale,
                                missing=list(result.missing),
                            )
                        )
                        continue
                    rows.append(
                        {"product_id": product.id, "channel": channel, "locale": locale, "published_at": now}
                    )
                    uow.record(
                        ProductPublished(
                            product_id=product.id, code=product.code, channel=channel, locale=locale
                        )
                    )
        if rows:
            uow.session.execute(insert(Publication), rows)
            out.published += len(rows)
            indexing.reindex_products(uow, {str(r["product_id"]) for r in rows})
    return out
