"""inventory: the demo retailer's stock — every active SKU of the demo catalogue in the two warehouses
and the stores (some sold out, some with a safety stock), shelf locations for Paris Rivoli by
department of the store, and a cycle count at Paris Rivoli with a few differences.

Quantities come from a hash of (SKU, place), so every demo load gives the same stock.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from comptoir.catalog import service as catalog
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import ledger, service
from comptoir.inventory.models import Stock
from comptoir.inventory.schemas import CountIn, CountLine
from comptoir.stores import service as stores

RIVOLI = "st_paris_rivoli"
REFERENCE = "demo:opening-stock"


def _roll(*parts: str) -> int:
    return int.from_bytes(hashlib.blake2b("|".join(parts).encode(), digest_size=4).digest(), "big")


def quantity(kind: str, sku: str, place_id: str) -> int:
    roll = _roll(sku, place_id)
    if kind == "warehouse":
        return 20 + roll % 181
    if roll % 4 == 0:
        return 0  # sold out here
    return 1 + (roll >> 3) % 12


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    if uow.session.execute(select(Stock.sku).limit(1)).first() is not None:
        return
    service.sync_places(uow)
    skus = list(catalog.iter_skus(uow))
    if not skus:
        return
    places = [p for p in stores.all_places(uow) if p.kind in ("store", "warehouse")]
    for place in places:
        wanted = {sku: quantity(place.kind, sku, place.id) for sku in skus}
        levels = ledger.set_levels(
            uow, place.id, wanted, reference=REFERENCE, reason="opening stock", kind="receipt"
        )
        uow.record(*(level.changed("receipt") for level in levels))
        for sku in skus[::7]:
            if place.kind == "store" and wanted[sku] > 2:
                ledger.set_safety(uow, sku, place.id, 1)
    _rivoli_shelves(uow, skus)
    if any(p.id == RIVOLI for p in places):
        _rivoli_count(uow, skus)


def _rivoli_shelves(uow: UnitOfWork, skus: list[str]) -> None:
    """Aisles follow the catalogue's top categories; shelves and bins are spread within the aisle."""
    aisles: dict[str, str] = {}
    for first in range(0, len(skus), 500):
        chunk = skus[first : first + 500]
        for sku, variant in catalog.get_variants(uow, chunk).items():
            top = variant.category_ids[0] if variant.category_ids else "other"
            aisle = aisles.setdefault(top, chr(ord("A") + len(aisles) % 26))
            roll = _roll(sku, "shelf")
            ledger.set_location(uow, sku, RIVOLI, aisle, str(1 + roll % 5), f"{1 + (roll >> 4) % 30:02d}")


def _rivoli_count(uow: UnitOfWork, skus: list[str]) -> None:
    """A cycle count where a few SKUs were off: two missing units, one found, one lost entirely."""
    levels = service.stock_levels(uow, skus, [RIVOLI])
    counted = {sku: rows[0].on_hand for sku, rows in levels.items() if rows and rows[0].on_hand}
    off = sorted(counted)[:: max(1, len(counted) // 4)][:4]
    for index, sku in enumerate(off):
        counted[sku] = max(0, counted[sku] + (-2, 1, -counted[sku], -1)[index])
    service.ingest_count(
        uow,
        CountIn(
            place_id=RIVOLI,
            reference="demo:cycle-count-1",
            lines=[CountLine(sku=sku, quantity=q) for sku, q in sorted(counted.items())],
            reason="cycle count",
        ),
    )
