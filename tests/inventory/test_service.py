"""The service other domains call: levels, movements, transfers, reservations, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.context import Actor
from comptoir.core.errors import Forbidden, InvalidInput, NotFound
from comptoir.core.events import parse_event
from comptoir.core.models import OutboxEvent
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service
from comptoir.inventory.jobs import release_lapsed_holds
from comptoir.inventory.schemas import MovementIn, ReserveIn, ReserveLine, SettingsIn, TransferIn
from tests.inventory.factories import ledger_balances, level, network, receive

SKU = "ROBE-LIN-S-BLEU"


def _events(db, event_type: str) -> list:  # type: ignore[no-untyped-def]
    with UnitOfWork(db, read_only=True) as uow:
        rows = uow.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == event_type).order_by(OutboxEvent.seq)
        )
        return [parse_event(r.type, r.event_id, r.occurred_at, r.payload) for r in rows]


def _reserve(db, reference: str, *lines: tuple[str, str, int], kind: str = "cart", expires_at=None):  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        out = service.reserve(
            uow,
            ReserveIn(
                reference=reference,
                kind=kind,  # type: ignore[arg-type]
                expires_at=expires_at,
                lines=[ReserveLine(sku=s, place_id=p, quantity=q) for s, p, q in lines],
            ),
        )
        uow.commit()
    return out


@pytest.fixture
def stocked(db):  # type: ignore[no-untyped-def]
    network(db)
    receive(db, SKU, "st_opera", 10)
    receive(db, "JUPE-M", "st_opera", 2)
    return db


def test_a_receipt_raises_on_hand_and_writes_the_ledger(stocked) -> None:  # type: ignore[no-untyped-def]
    assert level(stocked, SKU, "st_opera") == (10, 0, 10)
    with UnitOfWork(stocked, read_only=True) as uow:
        page = service.movements(uow, sku=SKU)
    assert [(m.kind, m.delta, m.on_hand_after, m.reference) for m in page.items] == [
        ("receipt", 10, 10, "asn-1")
    ]
    changed = _events(stocked, "inventory.stock_changed")
    assert [(e.sku, e.place_id, e.on_hand, e.available, e.cause) for e in changed] == [
        (SKU, "st_opera", 10, 10, "receipt"),
        ("JUPE-M", "st_opera", 2, 2, "receipt"),
    ]
    assert ledger_balances(stocked)


def test_movements_are_idempotent_by_reference_sku_place_and_kind(stocked) -> None:  # type: ignore[no-untyped-def]
    receive(stocked, SKU, "st_opera", 10)  # same reference "asn-1": a replay
    assert level(stocked, SKU, "st_opera") == (10, 0, 10)
    receive(stocked, SKU, "st_opera", 4, reference="asn-2")
    assert level(stocked, SKU, "st_opera") == (14, 0, 14)


def test_a_sale_cannot_take_on_hand_below_zero(stocked) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(stocked) as uow, pytest.raises(service.OutOfStock) as refused:
        service.record_movement(
            uow, MovementIn(kind="sale", sku=SKU, place_id="st_opera", quantity=11, reference="t-1")
        )
    assert refused.value.extensions == {"sku": SKU, "place_id": "st_opera", "requested": 11, "available": 10}
    with UnitOfWork(stocked) as uow:
        service.record_movement(
            uow,
            MovementIn(
                kind="adjustment",
                sku=SKU,
                place_id="st_opera",
                quantity=-3,
                reference="damaged-1",
                reason="damaged",
            ),
        )
        service.record_movement(
            uow, MovementIn(kind="return", sku=SKU, place_id="st_opera", quantity=1, reference="ret-1")
        )
        uow.commit()
    assert level(stocked, SKU, "st_opera") == (8, 0, 8)
    assert ledger_balances(stocked)


def test_movements_at_an_unknown_place_are_refused_naming_the_field(stocked) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(stocked) as uow, pytest.raises(InvalidInput) as refused:
        service.record_movement(
            uow, MovementIn(kind="receipt", sku=SKU, place_id="st_nowhere", quantity=1, reference="x")
        )
    assert refused.value.errors == [{"pointer": "#/place_id", "detail": "Place st_nowhere does not exist."}]


def test_a_store_key_cannot_move_another_stores_stock(stocked) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(stocked, Actor(key_id="k", channel="store:st_lyon")) as uow, pytest.raises(Forbidden):
        service.record_movement(
            uow, MovementIn(kind="sale", sku=SKU, place_id="st_opera", quantity=1, reference="t")
        )


def test_a_transfer_moves_units_out_of_one_place_and_into_another(stocked) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(stocked) as uow:
        service.transfer(
            uow,
            TransferIn(
                sku=SKU, from_place_id="st_opera", to_place_id="st_bastille", quantity=4, reference="tr-1"
            ),
        )
        service.transfer(
            uow,
            TransferIn(
                sku=SKU, from_place_id="st_opera", to_place_id="st_bastille", quantity=4, reference="tr-1"
            ),
        )
        uow.commit()
    assert level(stocked, SKU, "st_opera") == (6, 0, 6)
    assert level(stocked, SKU, "st_bastille") == (4, 0, 4)
    with UnitOfWork(stocked) as uow, pytest.raises(service.OutOfStock):
        service.transfer(
            uow,
            TransferIn(
                sku=SKU, from_place_id="st_bastille", to_place_id="st_opera", quantity=5, reference="tr-2"
            ),
        )
    assert ledger_balances(stocked)


def test_safety_stock_and_location_shape_what_is_shown(stocked) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(stocked) as uow:
        out = service.set_stock_settings(
            uow,
            SKU,
            "st_opera",
            SettingsIn.model_validate(
                {"safety_stock": 2, "location": {"aisle": "A3", "shelf": "2", "bin": "14"}}
            ),
        )
        uow.commit()
    assert (out.on_hand, out.safety_stock, out.available) == (10, 2, 8)
    assert out.location is not None and (out.location.aisle, out.location.shelf, out.location.bin) == (
        "A3",
        "2",
        "14",
    )
    with UnitOfWork(stocked, read_only=True) as uow:
        levels = service.stock_levels(uow, [SKU, "NOPE"])
    assert [(x.place_id, x.available) for x in levels[SKU]] == [("st_opera", 8)]
    assert levels["NOPE"] == []


def test_a_reservation_holds_every_line_or_none(stocked) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(service.OutOfStock) as refused:
        _reserve(stocked, "cart-1", (SKU, "st_opera", 2), ("JUPE-M", "st_opera", 3))
    assert refused.value.extensions["sku"] == "JUPE-M"
    assert level(stocked, SKU, "st_opera") == (10, 0, 10)

    out = _reserve(stocked, "cart-1", (SKU, "st_opera", 2), ("JUPE-M", "st_opera", 2), (SKU, "st_opera", 1))
    assert out.status == "held"
    assert [(x.sku, x.quantity) for x in out.lines] == [("JUPE-M", 2), (SKU, 3)]
    assert level(stocked, SKU, "st_opera") == (10, 3, 7)
    assert level(stocked, "JUPE-M", "st_opera") == (2, 2, 0)
    assert ledger_balances(stocked)


def test_a_refused_line_leaves_nothing_even_if_the_caller_carries_on(stocked) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(stocked) as uow:
        with pytest.raises(service.OutOfStock):
            service.reserve(
                uow,
                ReserveIn(
                    reference="c",
                    lines=[
                        ReserveLine(sku="JUPE-M", place_id="st_opera", quantity=1),
                        ReserveLine(sku=SKU, place_id="st_opera", quantity=99),
                    ],
                ),
            )
        uow.commit()
    assert level(stocked, "JUPE-M", "st_opera") == (2, 0, 2)
    with UnitOfWork(stocked, read_only=True) as uow, pytest.raises(NotFound):
        service.get_reservation(uow, "c")


def test_without_its_savepoint_a_hold_is_the_same_and_a_refusal_is_undone_by_the_caller(stocked) -> None:  # type: ignore[no-untyped-def]
    lines = [
        ReserveLine(sku="JUPE-M", place_id="st_opera", quantity=1),
        ReserveLine(sku=SKU, place_id="st_opera", quantity=99),
    ]
    # a caller that rolls back on a refusal (a checkout): nothing is left
    with pytest.raises(service.OutOfStock), UnitOfWork(stocked) as uow:
        service.reserve(uow, ReserveIn(reference="c", lines=lines), savepoint=False)
        uow.commit()
    assert level(stocked, "JUPE-M", "st_opera") == (2, 0, 2)
    # and a hold that fits is the same as with the savepoint
    with UnitOfWork(stocked) as uow:
        out = service.reserve(uow, ReserveIn(reference="c", lines=lines[:1]), savepoint=False)
        uow.commit()
    assert (out.status, [(x.sku, x.quantity) for x in out.lines]) == ("held", [("JUPE-M", 1)])
    assert level(stocked, "JUPE-M", "st_opera") == (2, 1, 1)
    assert [(e.sku, e.reserved) for e in _events(stocked, "inventory.stock_changed")][-1] == ("JUPE-M", 1)
    assert ledger_balances(stocked)


def test_reserving_again_with_the_same_reference_returns_the_first_hold(stocked) -> None:  # type: ignore[no-untyped-def]
    first = _reserve(stocked, "cart-1", (SKU, "st_opera", 2))
    again = _reserve(stocked, "cart-1", (SKU, "st_opera", 2))
    assert again == first
    assert level(stocked, SKU, "st_opera") == (10, 2, 8)
    with pytest.raises(service.ReservationMismatch):
        _reserve(stocked, "cart-1", (SKU, "st_opera", 3))


def test_release_is_idempotent_and_a_released_reference_may_hold_again(stocked) -> None:  # type: ignore[no-untyped-def]
    _reserve(stocked, "cart-1", (SKU, "st_opera", 2))
    for _ in range(2):
        with UnitOfWork(stocked) as uow:
            service.release(uow, "cart-1")
            service.release(uow, "never-held")
            uow.commit()
    assert level(stocked, SKU, "st_opera") == (10, 0, 10)
    again = _reserve(stocked, "cart-1", (SKU, "st_opera", 4))
    assert (again.status, again.lines[0].quantity) == ("held", 4)
    assert level(stocked, SKU, "st_opera") == (10, 4, 6)
    assert ledger_balances(stocked)


def test_lapsed_holds_are_released_by_the_job_and_announced(stocked) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
    clock.set_clock(lambda: now)
    try:
        _reserve(stocked, "cart-1", (SKU, "st_opera", 2))  # a cart hold: 60 minutes
        _reserve(stocked, "order-1", (SKU, "st_opera", 1), kind="order")  # kept until fulfilled
        _reserve(
            stocked, "chk-1", (SKU, "st_opera", 1), kind="checkout", expires_at=now + timedelta(minutes=90)
        )
        clock.set_clock(lambda: now + timedelta(minutes=61))
        with UnitOfWork(stocked) as uow:
            release_lapsed_holds(uow)
            uow.commit()
    finally:
        clock.set_clock(None)
    assert level(stocked, SKU, "st_opera") == (10, 2, 8)
    expired = _events(stocked, "inventory.reservation_expired")
    assert [(e.reference, e.kind, e.lines) for e in expired] == [
        ("cart-1", "cart", [{"sku": SKU, "place_id": "st_opera", "quantity": 2}])
    ]
    with UnitOfWork(stocked, read_only=True) as uow:
        assert service.get_reservation(uow, "cart-1").status == "expired"
    with UnitOfWork(stocked) as uow, pytest.raises(service.ReservationNotHeld) as refused:
        service.confirm(uow, "cart-1")
    body = refused.value.to_dict()
    assert (body["status"], body["state"], body["reference"]) == (409, "expired", "cart-1")


def test_confirm_keeps_the_hold_and_fulfil_takes_the_units_out(stocked) -> None:  # type: ignore[no-untyped-def]
    _reserve(stocked, "chk-1", (SKU, "st_opera", 3), kind="checkout")
    with UnitOfWork(stocked) as uow:
        kept = service.confirm(uow, "chk-1")
        uow.commit()
    assert kept.expires_at is None
    with UnitOfWork(stocked) as uow:
        service.fulfil(
            uow, "chk-1", [ReserveLine(sku=SKU, place_id="st_opera", quantity=1)], movement_reference="ship-1"
        )
        service.fulfil(
            uow, "chk-1", [ReserveLine(sku=SKU, place_id="st_opera", quantity=1)], movement_reference="ship-1"
        )
        uow.commit()
    assert level(stocked, SKU, "st_opera") == (9, 2, 7)
    with UnitOfWork(stocked) as uow:
        service.fulfil(uow, "chk-1", movement_reference="ship-2")
        uow.commit()
    assert level(stocked, SKU, "st_opera") == (7, 0, 7)
    with UnitOfWork(stocked, read_only=True) as uow:
        out = service.get_reservation(uow, "chk-1")
        sales = service.movements(uow, sku=SKU, kind="sale").items
    assert (out.status, out.lines[0].fulfilled) == ("fulfilled", 3)
    assert sorted((m.reference, m.delta) for m in sales) == [("ship-1", -1), ("ship-2", -2)]
    with UnitOfWork(stocked) as uow:
        service.release(uow, "chk-1")  # nothing left to give back
        uow.commit()
    assert level(stocked, SKU, "st_opera") == (7, 0, 7)
    assert ledger_balances(stocked)


def test_fulfilling_more_than_is_held_is_refused_naming_the_line(stocked) -> None:  # type: ignore[no-untyped-def]
    _reserve(stocked, "o-1", (SKU, "st_opera", 1), kind="order")
    with UnitOfWork(stocked) as uow, pytest.raises(InvalidInput) as refused:
        service.fulfil(
            uow, "o-1", [ReserveLine(sku=SKU, place_id="st_opera", quantity=2)], movement_reference="m"
        )
    assert refused.value.errors[0]["pointer"] == "#/lines/0/quantity"
