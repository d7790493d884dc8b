"""Availability: nearest places with stock (shelf, services, open status, pickup promise), network."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from comptoir.core.errors import InvalidInput
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service
from comptoir.inventory.schemas import SettingsIn
from comptoir.stores import service as stores
from comptoir.stores.schemas import CloseIn
from tests.inventory.factories import network, receive

SKU = "ROBE-LIN-S-BLEU"
OPERA = (48.8706, 2.3322)
MONDAY_NOON_PARIS = datetime(2026, 1, 12, 11, 0, tzinfo=UTC)
MONDAY_18_30_PARIS = datetime(2026, 1, 12, 17, 30, tzinfo=UTC)
SUNDAY_NOON_PARIS = datetime(2026, 1, 11, 11, 0, tzinfo=UTC)


@pytest.fixture
def stocked(db):  # type: ignore[no-untyped-def]
    network(db)
    for place, quantity in [("st_opera", 3), ("st_bastille", 1), ("st_lyon", 8), ("wh_orleans", 40)]:
        receive(db, SKU, place, quantity)
    with UnitOfWork(db) as uow:
        service.set_stock_settings(
            uow,
            SKU,
            "st_opera",
            SettingsIn.model_validate({"location": {"aisle": "A3", "shelf": "2", "bin": "14"}}),
        )
        uow.commit()
    return db


def _nearest(db, **options):  # type: ignore[no-untyped-def]
    with UnitOfWork(db, read_only=True) as uow:
        return service.nearest_with_stock(uow, SKU, **options)


def test_nearest_stores_with_stock_come_nearest_first_with_shelf_and_promise(stocked) -> None:  # type: ignore[no-untyped-def]
    out = _nearest(stocked, lat=OPERA[0], lon=OPERA[1], at=MONDAY_NOON_PARIS)
    assert [(p.place_id, p.available) for p in out.places] == [
        ("st_opera", 3),
        ("st_bastille", 1),
        ("st_lyon", 8),
    ]
    opera = out.places[0]
    assert opera.distance_km == 0.0
    assert opera.location is not None and (
        opera.location.aisle,
        opera.location.shelf,
        opera.location.bin,
    ) == ("A3", "2", "14")
    assert (opera.open_now, opera.closes_at) == (True, datetime(2026, 1, 12, 18, 0, tzinfo=UTC))
    assert opera.pickup is not None
    assert (opera.pickup.kind, opera.pickup.ready_by, opera.pickup.minutes) == (
        "within",
        datetime(2026, 1, 12, 13, 0, tzinfo=UTC),
        120,
    )
    assert opera.services == ["click_and_collect", "returns"]


def test_the_quantity_asked_leaves_out_places_that_cannot_promise_it(stocked) -> None:  # type: ignore[no-untyped-def]
    out = _nearest(stocked, lat=OPERA[0], lon=OPERA[1], quantity=2, limit=1, at=MONDAY_NOON_PARIS)
    assert [p.place_id for p in out.places] == ["st_opera"]
    out = _nearest(stocked, lat=OPERA[0], lon=OPERA[1], quantity=5, at=MONDAY_NOON_PARIS)
    assert [p.place_id for p in out.places] == ["st_lyon"]


def test_a_postcode_a_service_and_a_radius_narrow_the_search(stocked) -> None:  # type: ignore[no-untyped-def]
    out = _nearest(stocked, postcode="75011", at=MONDAY_NOON_PARIS)
    assert [p.place_id for p in out.places][:2] == ["st_bastille", "st_opera"]
    out = _nearest(stocked, postcode="75011", service="ship_from_store", at=MONDAY_NOON_PARIS)
    assert [p.place_id for p in out.places] == ["st_bastille"]
    out = _nearest(stocked, lat=OPERA[0], lon=OPERA[1], max_km=10, at=MONDAY_NOON_PARIS)
    assert [p.place_id for p in out.places] == ["st_opera", "st_bastille"]
    out = _nearest(stocked, lat=OPERA[0], lon=OPERA[1], kinds=("warehouse",), at=MONDAY_NOON_PARIS)
    assert [(p.place_id, p.available) for p in out.places] == [("wh_orleans", 40)]


def test_closing_soon_promises_the_next_opening_plus_preparation(stocked) -> None:  # type: ignore[no-untyped-def]
    opera = _nearest(stocked, lat=OPERA[0], lon=OPERA[1], limit=1, at=MONDAY_18_30_PARIS).places[0]
    assert opera.open_now is True
    assert opera.pickup is not None
    # Tuesday 10:00 in Paris (09:00 UTC) + 2 h
    assert (opera.pickup.kind, opera.pickup.ready_by) == ("from", datetime(2026, 1, 13, 11, 0, tzinfo=UTC))


def test_a_closed_store_promises_its_next_opening(stocked) -> None:  # type: ignore[no-untyped-def]
    opera = _nearest(stocked, lat=OPERA[0], lon=OPERA[1], limit=1, at=SUNDAY_NOON_PARIS).places[0]
    assert (opera.open_now, opera.next_opening) == (False, datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    assert opera.pickup is not None
    assert (opera.pickup.kind, opera.pickup.ready_by, opera.pickup.minutes) == (
        "from",
        datetime(2026, 1, 12, 11, 0, tzinfo=UTC),
        24 * 60,
    )


def test_a_permanently_closed_store_is_left_out_once_its_change_reaches_inventory(
    stocked, dispatcher
) -> None:  # type: ignore[no-untyped-def]
    # Given the stores domain closes the Opéra store for good
    with UnitOfWork(stocked) as uow:
        stores.set_status(
            uow, "st_opera", CloseIn(status="permanently_closed", reason="lease ended"), expected_version=None
        )
        uow.commit()
    # When the worker delivers stores.place_changed to inventory's handler
    dispatcher.drain()
    # Then the availability read no longer offers it
    out = _nearest(stocked, lat=OPERA[0], lon=OPERA[1], at=MONDAY_NOON_PARIS)
    assert [p.place_id for p in out.places] == ["st_bastille", "st_lyon"]


def test_reserved_units_and_safety_stock_are_not_promised(stocked) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(stocked) as uow:
        service.set_stock_settings(uow, SKU, "st_opera", SettingsIn(safety_stock=3))
        uow.commit()
    out = _nearest(stocked, lat=OPERA[0], lon=OPERA[1], limit=1, at=MONDAY_NOON_PARIS)
    assert [p.place_id for p in out.places] == ["st_bastille"]


def test_an_unknown_postcode_or_no_origin_is_refused_naming_the_field(stocked) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        _nearest(stocked, postcode="99999")
    assert refused.value.errors[0]["pointer"] == "#/postcode"
    with pytest.raises(InvalidInput):
        _nearest(stocked)


def test_network_availability_counts_warehouses_and_ship_from_store_places(stocked) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(stocked, read_only=True) as uow:
        out = service.network_availability(uow, [SKU, "NOPE"])
    by_sku = {x.sku: x for x in out}
    assert by_sku[SKU].available == 41
    assert [(p.place_id, p.available) for p in by_sku[SKU].places] == [("st_bastille", 1), ("wh_orleans", 40)]
    assert (by_sku["NOPE"].available, by_sku["NOPE"].places) == (0, [])


def test_the_hourly_job_brings_back_places_the_read_model_missed(stocked) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from comptoir.inventory.jobs import jobs, refresh_places

    with stocked.engine.begin() as conn:
        conn.execute(text("DELETE FROM inventory_places"))
    assert _nearest(stocked, lat=OPERA[0], lon=OPERA[1], at=MONDAY_NOON_PARIS).places == []
    with UnitOfWork(stocked) as uow:
        refresh_places(uow)
        uow.commit()
    assert len(_nearest(stocked, lat=OPERA[0], lon=OPERA[1], at=MONDAY_NOON_PARIS).places) == 3
    assert [job.name for job in jobs(None)] == ["inventory.release_lapsed_holds", "inventory.refresh_places"]  # type: ignore[arg-type]
