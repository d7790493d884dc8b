"""Pricing's copy of what it needs from the catalogue per SKU (category path, tax class).

Filled when a SKU gets a price and refreshed from the catalogue's events, so pricing a cart reads
prices and facts in one query; a SKU missing here is asked of the catalogue on the spot.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from comptoir.catalog import service as catalog
from comptoir.core.uow import UnitOfWork
from comptoir.pricing.models import SkuFacts

BATCH = 500


def refresh(uow: UnitOfWork, skus: Sequence[str]) -> int:
    """Copy the catalogue's facts of these SKUs (unknown SKUs are left alone); returns how many."""
    count = 0
    wanted = list(dict.fromkeys(skus))
    for start in range(0, len(wanted), BATCH):
        variants = catalog.get_variants(uow, wanted[start : start + BATCH])
        rows = [
            {
                "sku": v.sku,
                "product_id": v.product_id,
                "category_ids": "/".join(v.category_ids),
                "tax_class": v.tax_class,
            }
            for v in variants.values()
        ]
        if not rows:
            continue
        stmt = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(SkuFacts)
        stmt = stmt.on_conflict_do_update(
            index_elements=["sku"],
            set_={
                "product_id": stmt.excluded.product_id,
                "category_ids": stmt.excluded.category_ids,
                "tax_class": stmt.excluded.tax_class,
            },
        )
        uow.session.execute(stmt, rows)
        count += len(rows)
    return count


def refresh_product(uow: UnitOfWork, product_id: str, extra_skus: Sequence[str] = ()) -> int:
    skus = list(uow.session.execute(select(SkuFacts.sku).where(SkuFacts.product_id == product_id)).scalars())
    return refresh(uow, skus + list(extra_skus))


def refresh_category(uow: UnitOfWork, category_id: str) -> int:
    skus = list(
        uow.session.execute(
            select(SkuFacts.sku).where(SkuFacts.category_ids.like(f"%{category_id}%"))
        ).scalars()
    )
    return refresh(uow, skus)


def refresh_all(uow: UnitOfWork) -> int:
    skus = list(uow.session.execute(select(SkuFacts.sku).order_by(SkuFacts.sku)).scalars())
    return refresh(uow, skus)
