"""The service other domains call: places, opening status, nearest places, events with snapshots."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from comptoir.core.context import Actor
from comptoir.core.errors import Conflict, Forbidden, InvalidInput, PreconditionFailed
from comptoir.core.events import parse_event
from comptoir.core.models import OutboxEvent
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service
from comptoir.stores.schemas import CloseIn, PlacePatch, SpecialDayIn
from tests.stores.factories import place_in

MONDAY_NOON = datetime(2026, 1, 12, 11, 0, tzinfo=UTC)  # 12:00 in Paris


def _events(db, prefix: str = "stores.") -> list:  # type: ignore[no-untyped-def]
    with UnitOfWork(db, read_only=True) as uow:
        rows = uow.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type.startswith(prefix)).order_by(OutboxEvent.seq)
        )
        return [parse_event(r.type, r.event_id, r.occurred_at, r.payload) for r in rows]


def _create(db, *commands) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        for command in commands:
            service.create_place(uow, command)
        uow.commit()


def test_create_then_read_one_and_many(db) -> None:  # type: ignore[no-untyped-def]
    _create(
        db,
        place_in("st_paris_opera"),
        place_in(
            "st_lyon",
            address={"lines": ["60 rue de la République"], "postal_code": "69002", "locality": "Lyon"},
        ),
    )
    with UnitOfWork(db, read_only=True) as uow:
        paris = service.get_place(uow, "st_paris_opera")
        many = service.get_places(uow, ["st_lyon", "st_paris_opera", "st_unknown"])
    assert paris.code == "st_paris_opera"
    assert paris.phone == "+33142601234"
    assert paris.department == "75"
    assert paris.timezone == "Europe/Paris"
    assert paris.address.country_code == "FR"
    assert paris.services == ["click_and_collect", "returns"]
    assert sorted(many) == ["st_lyon", "st_paris_opera"]
    assert many["st_lyon"].department == "69"


def test_creation_publishes_a_full_snapshot_and_one_event_per_channel(db) -> None:  # type: ignore[no-untyped-def]
    _create(db, place_in("st_paris_opera", special_days=[{"date": "2026-12-25", "closed": True}]))
    events = _events(db)
    assert [e.event_type for e in events] == [
        "stores.place_created",
        "stores.published_to_locator",
        "stores.published_to_jsonld",
        "stores.published_to_gbp",
        "stores.published_to_csv",
    ]
    created = events[0]
    assert created.place_id == "st_paris_opera"
    assert created.kind == "store"
    assert created.status == "open"
    assert (created.latitude, created.longitude) == (48.869, 2.331)
    assert (created.postcode, created.country, created.timezone) == ("75002", "FR", "Europe/Paris")
    assert created.weekly_hours == "Mo-Sa 10:00-19:00"
    assert created.special_days == "2026-12-25 closed"
    assert created.services == ["click_and_collect", "returns"]


def test_duplicates_are_conflicts(db) -> None:  # type: ignore[no-untyped-def]
    _create(db, place_in("st_a", code="A"))
    with UnitOfWork(db) as uow, pytest.raises(Conflict):
        service.create_place(uow, place_in("st_a"))
    with UnitOfWork(db) as uow, pytest.raises(Conflict):
        service.create_place(uow, place_in("st_b", code="A"))


def test_update_checks_the_version_and_records_what_changed(db) -> None:  # type: ignore[no-untyped-def]
    _create(db, place_in("st_a"))
    with UnitOfWork(db) as uow:
        out = service.update_place(
            uow, "st_a", PlacePatch(name="Comptoir Opéra", services=["returns"]), expected_version=1
        )
        uow.commit()
    assert (out.name, out.services, out.version) == ("Comptoir Opéra", ["returns"], 2)
    changed = _events(db, "stores.place_changed")[0]
    assert changed.changed == ["name", "services"]
    assert changed.name == "Comptoir Opéra"
    with UnitOfWork(db) as uow, pytest.raises(PreconditionFailed):
        service.update_place(uow, "st_a", PlacePatch(name="Stale"), expected_version=1)


def test_a_store_key_changes_its_own_store_only(db) -> None:  # type: ignore[no-untyped-def]
    _create(db, place_in("st_a"), place_in("st_b"))
    seller = Actor(key_id="key_x", channel="store:st_a", scopes=frozenset({"stores:write"}))
    with UnitOfWork(db, seller) as uow:
        service.set_status(uow, "st_a", CloseIn(reason="Inventaire"), expected_version=None)
        with pytest.raises(Forbidden):
            service.set_status(uow, "st_b", CloseIn(), expected_version=None)
        with pytest.raises(Forbidden):
            service.create_place(uow, place_in("st_c"))


def test_opening_status_in_batch_and_from_a_snapshot_agree(db) -> None:  # type: ignore[no-untyped-def]
    _create(
        db,
        place_in("st_open"),
        place_in("st_holiday", special_days=[{"date": "2026-01-12", "closed": True, "reason": "Inventaire"}]),
        place_in("st_closed", status="temporarily_closed"),
    )
    with UnitOfWork(db, read_only=True) as uow:
        status = service.opening_status(uow, ["st_open", "st_holiday", "st_closed", "st_none"], MONDAY_NOON)
    assert sorted(status) == ["st_closed", "st_holiday", "st_open"]
    assert status["st_open"].open is True
    assert status["st_open"].next_opening is None
    assert status["st_open"].closes_at == datetime(2026, 1, 12, 18, 0, tzinfo=UTC)
    assert status["st_holiday"].open is False
    assert status["st_holiday"].next_opening == datetime(2026, 1, 13, 9, 0, tzinfo=UTC)
    assert status["st_closed"].model_dump() == {
        "place_id": "st_closed",
        "open": False,
        "next_opening": None,
        "closes_at": None,
    }
    for event in _events(db, "stores.place_created"):
        assert service.opening_from_snapshot(event, MONDAY_NOON) == status[event.place_id]


def test_special_days_are_merged_by_date_and_removable(db) -> None:  # type: ignore[no-untyped-def]
    _create(db, place_in("st_a"))
    with UnitOfWork(db) as uow:
        service.set_special_days(
            uow,
            "st_a",
            [SpecialDayIn.model_validate({"date": "2030-12-25", "closed": True})],
            expected_version=1,
        )
        out = service.set_special_days(
            uow,
            "st_a",
            [
                SpecialDayIn.model_validate(
                    {"date": "2030-12-24", "ranges": [{"opens": "10:00", "closes": "17:00"}]}
                )
            ],
            expected_version=2,
        )
        assert [d.date.isoformat() for d in out.special_days] == ["2030-12-24", "2030-12-25"]
        out = service.delete_special_day(uow, "st_a", out.special_days[1].date, expected_version=3)
        assert [d.date.isoformat() for d in out.special_days] == ["2030-12-24"]


PLACES = {  # id: (locality, postcode, lat, lon, services)
    "st_paris": ("Paris", "75001", 48.8600, 2.3430, ["click_and_collect"]),
    "st_boulogne": ("Boulogne-Billancourt", "92100", 48.8370, 2.2400, ["ship_from_store"]),
    "st_lyon": ("Lyon", "69002", 45.7620, 4.8360, ["click_and_collect"]),
    "st_villeurbanne": ("Villeurbanne", "69100", 45.7667, 4.8803, ["click_and_collect"]),
    "st_marseille": ("Marseille", "13001", 43.2975, 5.3790, ["click_and_collect"]),
}


@pytest.fixture
def spread(db):  # type: ignore[no-untyped-def]
    _create(
        db,
        *(
            place_in(
                ident,
                address={"lines": ["1 place"], "postal_code": pc, "locality": loc},
                latitude=lat,
                longitude=lon,
                services=services,
                special_days=[{"date": "2026-01-12", "closed": True}] if ident == "st_villeurbanne" else [],
            )
            for ident, (loc, pc, lat, lon, services) in PLACES.items()
        ),
        place_in("wh_lyon", kind="warehouse", latitude=45.70, longitude=4.94),
    )
    return db


def test_nearest_to_a_point(spread) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(spread, read_only=True) as uow:
        near = service.nearest_places(uow, lat=45.7578, lon=4.8320, limit=3, open_at=None)
    assert [(n.place.id, round(n.distance_km, 1)) for n in near] == [
        ("st_lyon", 0.6),
        ("st_villeurbanne", 3.9),
        ("st_marseille", 277.0),
    ]


def test_nearest_to_a_postcode_filtered_by_service_and_open_status(spread) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(spread, read_only=True) as uow:
        out = service.nearest(uow, postcode="69003", service="click_and_collect", limit=2, at=MONDAY_NOON)
        open_only = service.nearest_places(
            uow, postcode="69003", service="click_and_collect", open_at=MONDAY_NOON, limit=2
        )
        warehouses = service.nearest_places(uow, postcode="69003", kinds=["warehouse"])
    assert (out.origin, out.postcode_precision) == ("postcode", "commune")
    assert [n.place.id for n in out.items] == ["st_lyon", "st_villeurbanne"]
    assert [n.open_now for n in out.items] == [True, False]
    assert out.items[1].next_opening == datetime(2026, 1, 13, 9, 0, tzinfo=UTC)
    assert [n.place.id for n in open_only] == ["st_lyon", "st_marseille"]  # Villeurbanne closed that day
    assert [n.place.id for n in warehouses] == ["wh_lyon"]


def test_nearest_within_a_radius_and_bad_origin(spread) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(spread, read_only=True) as uow:
        assert [n.place.id for n in service.nearest_places(uow, postcode="75008", max_km=20)] == [
            "st_paris",
            "st_boulogne",
        ]
        with pytest.raises(InvalidInput):
            service.nearest_places(uow, postcode="99999")


def test_geocode_postcode_needs_no_database() -> None:
    assert service.geocode_postcode(None, "69002") == (45.7542, 4.8309)
    assert service.geocode_postcode(None, "12") is None
