"""Counts: a full count of a store as one operation (quantities or RFID reads), variance, accuracy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from comptoir.catalog import service as catalog
from comptoir.core import clock
from comptoir.core.errors import InvalidInput
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import policies, service
from comptoir.inventory.schemas import CountIn, MovementIn
from tests.catalog.conftest import build_taxonomy, dress
from tests.inventory.factories import ledger_balances, level, network, receive

ROBE_S, ROBE_M, JUPE = "ROBE-LIN-S-BLEU", "ROBE-LIN-M-BLEU", "JUPE-M"


@pytest.fixture
def stocked(db):  # type: ignore[no-untyped-def]
    network(db)
    receive(db, ROBE_S, "st_opera", 5)
    receive(db, ROBE_M, "st_opera", 2)
    receive(db, JUPE, "st_opera", 4)
    return db


def _count(db, **data):  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        out = service.ingest_count(uow, CountIn.model_validate({"place_id": "st_opera", **data}))
        uow.commit()
    return out


def test_a_full_count_adjusts_stock_and_reports_the_variance(stocked) -> None:  # type: ignore[no-untyped-def]
    # Given 5 S, 2 M and 4 skirts on record; When the store counts 5 S, 3 M, a new SKU, and no skirt
    out = _count(
        stocked,
        reference="inv-2026-01",
        lines=[
            {"sku": ROBE_S, "quantity": 5},
            {"sku": ROBE_M, "quantity": 3},
            {"sku": "CHEMISE-L", "quantity": 1},
        ],
    )
    # Then each difference is one count movement and the report says how accurate the record was
    assert [(v.sku, v.expected, v.counted, v.delta) for v in out.variances] == [
        ("CHEMISE-L", 0, 1, 1),
        (JUPE, 4, 0, -4),
        (ROBE_M, 2, 3, 1),
    ]
    assert (out.skus_accurate, out.units_expected, out.units_counted, out.units_variance) == (1, 11, 9, 6)
    assert (out.sku_accuracy, out.unit_accuracy) == (0.25, 0.4545)
    assert level(stocked, JUPE, "st_opera") == (0, 0, 0)
    assert level(stocked, ROBE_M, "st_opera") == (3, 0, 3)
    assert level(stocked, "CHEMISE-L", "st_opera") == (1, 0, 1)
    assert ledger_balances(stocked)


def test_a_count_is_ingested_once_per_reference(stocked) -> None:  # type: ignore[no-untyped-def]
    first = _count(stocked, reference="inv-1", lines=[{"sku": ROBE_S, "quantity": 4}])
    again = _count(stocked, reference="inv-1", lines=[{"sku": ROBE_S, "quantity": 1}])
    assert again.replayed and again.id == first.id
    assert level(stocked, ROBE_S, "st_opera") == (4, 0, 4)


def test_sales_after_the_count_was_taken_are_kept(stocked) -> None:  # type: ignore[no-untyped-def]
    # Given the count was taken now and a sale of one S was recorded half an hour later
    counted_at = clock.now()
    clock.set_clock(lambda: counted_at + timedelta(minutes=30))
    try:
        with UnitOfWork(stocked) as uow:
            service.record_movement(
                uow, MovementIn(kind="sale", sku=ROBE_S, place_id="st_opera", quantity=1, reference="t-1")
            )
            uow.commit()
        clock.set_clock(lambda: counted_at + timedelta(hours=1))
        # When the count (5 S when taken) arrives an hour after it was taken
        out = _count(
            stocked,
            reference="inv-2",
            counted_at=counted_at.isoformat(),
            lines=[
                {"sku": ROBE_S, "quantity": 5},
                {"sku": ROBE_M, "quantity": 2},
                {"sku": JUPE, "quantity": 4},
            ],
        )
    finally:
        clock.set_clock(None)
    # Then the record was right when counted, and the sale since is not undone
    assert out.variances == []
    assert level(stocked, ROBE_S, "st_opera") == (4, 0, 4)


def test_rfid_reads_are_decoded_mapped_through_the_catalogue_and_counted_once_per_tag(stocked) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(stocked) as uow:
        build_taxonomy(uow)
        catalog.create_product(uow, dress("ROBE-LIN"))
        gtin = catalog.get_variants(uow, [ROBE_S])[ROBE_S].gtin
        uow.commit()
    assert gtin is not None
    tags = [policies.encode_sgtin96(gtin, serial) for serial in (1, 2, 3)]
    reads = [*tags, tags[0].upper(), "E280116060000209F2F3A1B2", policies.encode_sgtin96("3760000000017", 9)]
    out = _count(stocked, reference="rfid-1", epcs=reads, lines=[{"sku": JUPE, "quantity": 4}])
    assert (out.epcs_read, out.epcs_unknown) == (5, 2)
    assert [(v.sku, v.expected, v.counted) for v in out.variances] == [(ROBE_M, 2, 0), (ROBE_S, 5, 3)]
    assert level(stocked, ROBE_S, "st_opera") == (3, 0, 3)


def test_accuracy_is_tracked_per_store_over_time(stocked) -> None:  # type: ignore[no-untyped-def]
    _count(
        stocked,
        reference="c1",
        lines=[{"sku": ROBE_S, "quantity": 5}, {"sku": ROBE_M, "quantity": 2}, {"sku": JUPE, "quantity": 3}],
    )
    _count(
        stocked,
        reference="c2",
        lines=[{"sku": ROBE_S, "quantity": 5}, {"sku": ROBE_M, "quantity": 2}, {"sku": JUPE, "quantity": 3}],
    )
    with UnitOfWork(stocked, read_only=True) as uow:
        out = service.accuracy(uow, "st_opera")
    assert [(p.reference, p.sku_accuracy) for p in out.points] == [("c1", 0.6667), ("c2", 1.0)]
    assert out.average_sku_accuracy == 0.8334  # the mean of the rounded figures


def test_a_count_needs_lines_or_reads_and_a_known_place(stocked) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        CountIn.model_validate({"place_id": "st_opera", "reference": "x"})
    with UnitOfWork(stocked) as uow, pytest.raises(InvalidInput) as refused:
        service.ingest_count(
            uow,
            CountIn.model_validate(
                {"place_id": "st_nowhere", "reference": "x", "lines": [{"sku": "A", "quantity": 1}]}
            ),
        )
    assert refused.value.errors[0]["pointer"] == "#/place_id"
