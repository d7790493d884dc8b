"""Demo stock across stores and warehouses, and the staff pages (in French and English)."""

from __future__ import annotations

from sqlalchemy import func, select

from comptoir.catalog import demo as catalog_demo
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import demo, service
from comptoir.inventory.models import Movement, Stock
from comptoir.stores import demo as stores_demo
from tests.inventory.factories import ledger_balances
from tests.support.staff import sign_in_pages


def _load(db, settings) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        stores_demo.load_demo(uow, settings)
        uow.commit()
    with UnitOfWork(db) as uow:
        catalog_demo.load_demo(uow, settings)
        uow.commit()
    for _ in range(2):  # loading twice adds nothing
        with UnitOfWork(db) as uow:
            demo.load_demo(uow, settings)
            uow.commit()


def test_the_demo_stocks_every_store_and_warehouse_and_shelves_rivoli(db, settings, client) -> None:  # type: ignore[no-untyped-def]
    _load(db, settings)
    with UnitOfWork(db, read_only=True) as uow:
        places = uow.session.scalar(select(func.count(func.distinct(Stock.place_id))))
        receipts = uow.session.scalar(
            select(func.count()).select_from(Movement).where(Movement.kind == "receipt")
        )
        shelved = uow.session.scalar(
            select(func.count())
            .select_from(Stock)
            .where(Stock.place_id == demo.RIVOLI, Stock.aisle.is_not(None))
        )
        rivoli = service.place_stock(uow, demo.RIVOLI, limit=5)
        accuracy = service.accuracy(uow, demo.RIVOLI)
        near = service.nearest_with_stock(uow, rivoli[0].sku, postcode="75001", limit=3)
    assert places == 24  # 22 stores and 2 warehouses; pickup points hold no stock
    assert receipts > 1000
    assert shelved == uow_count(db, demo.RIVOLI)
    assert all(level.location is not None for level in rivoli)
    assert len(accuracy.points) == 1 and accuracy.points[0].sku_accuracy < 1.0
    assert near.places and near.places[0].distance_km < 5
    assert ledger_balances(db)

    sign_in_pages(client, db)
    page = client.get(f"/pages/inventory?place_id={demo.RIVOLI}&lang=fr")
    assert page.status_code == 200
    assert "Stock du magasin" in page.text and "Allée" in page.text and rivoli[0].sku in page.text
    counts = client.get(f"/pages/inventory/counts?place_id={demo.RIVOLI}&lang=en")
    assert counts.status_code == 200
    assert "Variance of the latest count" in counts.text and "demo:cycle-count-1" in counts.text


def uow_count(db, place_id: str) -> int:  # type: ignore[no-untyped-def]
    with UnitOfWork(db, read_only=True) as uow:
        return int(
            uow.session.scalar(select(func.count()).select_from(Stock).where(Stock.place_id == place_id)) or 0
        )


def test_the_pages_need_a_signed_in_key(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pages/inventory", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
