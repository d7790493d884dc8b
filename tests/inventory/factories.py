"""Places and stock for inventory tests."""

from __future__ import annotations

from typing import Any

from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service
from comptoir.inventory.schemas import MovementIn
from comptoir.stores import service as stores
from comptoir.stores.schemas import PlaceIn

WEEKDAYS_10_19 = [
    {"day": d, "opens": "10:00", "closes": "19:00"}
    for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
]

# Paris Opéra, Paris Bastille (≈ 3.6 km east), Lyon (≈ 390 km), a warehouse near Orléans.
PLACES: dict[str, dict[str, Any]] = {
    "st_opera": {"latitude": 48.8706, "longitude": 2.3322, "postal_code": "75009", "locality": "Paris"},
    "st_bastille": {"latitude": 48.8532, "longitude": 2.3692, "postal_code": "75011", "locality": "Paris"},
    "st_lyon": {"latitude": 45.7640, "longitude": 4.8357, "postal_code": "69002", "locality": "Lyon"},
}


def place_in(
    ident: str, *, kind: str = "store", services: list[str] | None = None, **overrides: Any
) -> PlaceIn:
    where = PLACES.get(
        ident, {"latitude": 47.90, "longitude": 1.90, "postal_code": "45000", "locality": "Orléans"}
    )
    data: dict[str, Any] = {
        "id": ident,
        "kind": kind,
        "name": f"Comptoir {ident}",
        "address": {
            "lines": ["1 rue de la Paix"],
            "postal_code": where["postal_code"],
            "locality": where["locality"],
        },
        "latitude": where["latitude"],
        "longitude": where["longitude"],
        "services": services if services is not None else ["click_and_collect", "returns"],
        "hours": {"weekly": WEEKDAYS_10_19},
    }
    data.update(overrides)
    return PlaceIn.model_validate(data)


def make_places(db: Database, *commands: PlaceIn) -> None:
    """Create the places and copy them into inventory's read model (as the handler would)."""
    with UnitOfWork(db) as uow:
        for command in commands:
            stores.create_place(uow, command)
        service.sync_places(uow)
        uow.commit()


def network(db: Database) -> None:
    make_places(
        db,
        place_in("st_opera"),
        place_in("st_bastille", services=["click_and_collect", "ship_from_store"]),
        place_in("st_lyon"),
        place_in("wh_orleans", kind="warehouse", services=[]),
    )


def receive(db: Database, sku: str, place_id: str, quantity: int, reference: str = "asn-1") -> None:
    with UnitOfWork(db) as uow:
        service.record_movement(
            uow,
            MovementIn(kind="receipt", sku=sku, place_id=place_id, quantity=quantity, reference=reference),
        )
        uow.commit()


def level(db: Database, sku: str, place_id: str) -> tuple[int, int, int]:
    """(on hand, reserved, available)."""
    with UnitOfWork(db, read_only=True) as uow:
        out = service.stock_level(uow, sku, place_id)
    return out.on_hand, out.reserved, out.available


def ledger_balances(db: Database) -> bool:
    """Every stock row equals the sum of its movements; reserved equals the open held lines."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        off = conn.execute(
            text(
                "SELECT s.sku, s.place_id FROM inventory_stock s LEFT JOIN ("
                " SELECT sku, place_id, SUM(delta) AS total FROM inventory_movements GROUP BY sku, place_id"
                ") m ON m.sku = s.sku AND m.place_id = s.place_id WHERE s.on_hand <> COALESCE(m.total, 0)"
            )
        ).all()
        held = conn.execute(
            text(
                "SELECT s.sku, s.place_id FROM inventory_stock s LEFT JOIN ("
                " SELECT l.sku, l.place_id, SUM(l.quantity - l.fulfilled) AS open FROM inventory_reservation_lines l"
                " JOIN inventory_reservations r ON r.reference = l.reference WHERE r.status = 'held'"
                " GROUP BY l.sku, l.place_id"
                ") h ON h.sku = s.sku AND h.place_id = s.place_id WHERE s.reserved <> COALESCE(h.open, 0)"
            )
        ).all()
    return not off and not held
