"""What other domains read of the catalogue, in batches with SQLAlchemy Core (carts, orders, pricing,
inventory, recommendations call these on hot paths)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select

from comptoir.catalog import policies
from comptoir.catalog.models import Category, Product, Publication, Variant
from comptoir.catalog.schemas import VariantSummary
from comptoir.catalog.search import licensed_images, pick_image
from comptoir.core.uow import UnitOfWork

DEFAULT_TERRITORY = "FR"


def get_variants(
    uow: UnitOfWork,
    skus: list[str],
    locale: str | None = None,
    *,
    channel: str | None = None,
    territory: str = DEFAULT_TERRITORY,
) -> dict[str, VariantSummary]:
    """The variants with these SKUs, by SKU (unknown SKUs are simply absent). Two queries.

    The image is the product's first image of the variant's colour (else its first image) whose
    rights allow ``channel`` — by default the channel of the unit of work's actor — in ``territory``.
    """
    wanted = list(dict.fromkeys(skus))
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(
            Variant.id,
            Variant.sku,
            Variant.gtin,
            Variant.size,
            Variant.colour,
            Variant.weight_g,
            Product.id.label("product_id"),
            Product.code,
            Product.name,
            Product.brand,
            Product.status,
            Product.tax_class,
            Product.category_id,
            Category.path,
        )
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(Category, Category.id == Product.category_id)
        .where(Variant.sku.in_(wanted))
    ).all()
    if not rows:
        return {}
    if channel is None and uow.actor.channel not in (None, "system"):
        channel = uow.actor.channel_kind
    images = licensed_images(uow, sorted({r.product_id for r in rows}), channel=channel, territory=territory)
    return {
        r.sku: VariantSummary(
            sku=r.sku,
            variant_id=r.id,
            gtin=r.gtin,
            product_id=r.product_id,
            product_code=r.code,
            name=policies.localised(r.name, locale),
            brand=r.brand,
            category_id=r.category_id,
            category_ids=r.path.split("/") if r.path else [],
            status=r.status,
            sellable=policies.sellable(r.status),
            size=r.size,
            colour=r.colour,
            weight_g=r.weight_g,
            tax_class=r.tax_class,
            image_url=pick_image(images.get(r.product_id, []), r.colour),
        )
        for r in rows
    }


def sku_page(
    uow: UnitOfWork, *, status: str | None = "active", after: str = "", limit: int = 1000
) -> list[str]:
    """Up to ``limit`` SKUs after ``after`` in SKU order, of products in ``status`` (None: any)."""
    stmt = select(Variant.sku).where(Variant.sku > after).order_by(Variant.sku).limit(limit)
    if status is not None:
        stmt = stmt.join(Product, Product.id == Variant.product_id).where(Product.status == status)
    return list(uow.session.scalars(stmt))


def iter_skus(uow: UnitOfWork, status: str | None = "active", *, batch: int = 1000) -> Iterator[str]:
    """Every SKU of products in ``status`` (None: any), in SKU order, fetched ``batch`` at a time."""
    after = ""
    while True:
        page = sku_page(uow, status=status, after=after, limit=batch)
        yield from page
        if len(page) < batch:
            return
        after = page[-1]


def skus_of_products(uow: UnitOfWork, product_ids: list[str]) -> dict[str, list[str]]:
    """The SKUs of each product (one query), for search hits that show a price."""
    found: dict[str, list[str]] = {pid: [] for pid in product_ids}
    if not product_ids:
        return found
    rows = uow.session.execute(
        select(Variant.product_id, Variant.sku)
        .where(Variant.product_id.in_(product_ids))
        .order_by(Variant.sku)
    ).all()
    for product_id, sku in rows:
        found[product_id].append(sku)
    return found


def newest_skus(
    uow: UnitOfWork, *, channel: str = "web", since: datetime | None = None, limit: int = 6
) -> list[str]:
    """One SKU (the first variant) of each of the ``limit`` active products most recently published on
    ``channel`` — newest first, by their first publication there in any locale — published after ``since``
    when given. Two queries, bounded by ``limit``."""
    first = (
        select(Publication.product_id, func.min(Publication.published_at).label("at"))
        .where(Publication.channel == channel)
        .group_by(Publication.product_id)
        .subquery()
    )
    stmt = (
        select(first.c.product_id)
        .join(Product, Product.id == first.c.product_id)
        .where(Product.status == "active")
        .order_by(first.c.at.desc(), first.c.product_id)
        .limit(max(limit, 0))
    )
    if since is not None:
        stmt = stmt.where(first.c.at > since)
    product_ids = list(uow.session.scalars(stmt))
    if not product_ids:
        return []
    rows = uow.session.execute(
        select(Variant.product_id, Variant.sku)
        .where(Variant.product_id.in_(product_ids))
        .order_by(Variant.product_id, Variant.position, Variant.sku)
    ).all()
    firsts: dict[str, str] = {}
    for product_id, sku in rows:
        firsts.setdefault(product_id, sku)
    return [firsts[p] for p in product_ids if p in firsts]
