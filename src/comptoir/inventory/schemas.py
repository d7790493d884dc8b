"""inventory: pydantic types in and out — with service.py and events.py, the public interface.

Quantities are whole units (``int``). A stock level is per SKU and place: ``on_hand`` (physically
there), ``reserved`` (held for carts, checkouts, orders, reserve & collect), ``safety_stock`` (kept back
from promises) and ``available`` = on hand − reserved − safety stock, never shown below zero.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from comptoir.core.types import AwareDatetime, Schema

SKU = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")
PLACE = Field(min_length=1, max_length=40)
REFERENCE = Field(min_length=1, max_length=120)

MovementKind = Literal["receipt", "sale", "return", "transfer_out", "transfer_in", "adjustment", "count"]
# The kinds a caller may record with record_movement (counts come through ingest_count only).
RecordableKind = Literal["receipt", "sale", "return", "transfer_out", "transfer_in", "adjustment"]
ReservationKind = Literal["cart", "checkout", "order", "reserve_collect"]
ReservationStatus = Literal["held", "released", "expired", "fulfilled"]


class Location(Schema):
    """Where a SKU sits in a store: aisle / shelf / bin (any may be empty)."""

    model_config = ConfigDict(extra="forbid")
    aisle: str = Field(default="", max_length=20)
    shelf: str = Field(default="", max_length=20)
    bin: str = Field(default="", max_length=20)

    @model_validator(mode="after")
    def _something(self) -> Location:
        if not (self.aisle or self.shelf or self.bin):
            raise ValueError("give at least one of aisle, shelf or bin")
        return self


class StockLevelOut(Schema):
    sku: str
    place_id: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int = Field(description="Available to promise: on hand − reserved − safety stock (≥ 0)")
    location: Location | None = None


# -- reservations ----------------------------------------------------------------------------------------


class ReserveLine(Schema):
    model_config = ConfigDict(extra="forbid")
    sku: str = SKU
    place_id: str = PLACE
    quantity: int = Field(gt=0, le=100_000)


class ReserveIn(Schema):
    """Hold units for a reference (cart id, checkout id, order id…); all lines or none."""

    model_config = ConfigDict(extra="forbid")
    reference: str = REFERENCE
    lines: list[ReserveLine] = Field(min_length=1, max_length=500)
    kind: ReservationKind = "cart"
    expires_at: AwareDatetime | None = None

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the time with its offset, e.g. 2026-03-29T10:00:00+02:00")
        return value


class ReservationLineOut(Schema):
    sku: str
    place_id: str
    quantity: int
    fulfilled: int = 0


class ReservationOut(Schema):
    reference: str
    kind: ReservationKind
    status: ReservationStatus
    lines: list[ReservationLineOut]
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    channel: str | None = None


class ConfirmIn(Schema):
    model_config = ConfigDict(extra="forbid")
    expires_at: AwareDatetime | None = None


class FulfilIn(Schema):
    model_config = ConfigDict(extra="forbid")
    movement_reference: str = REFERENCE
    lines: list[ReserveLine] | None = Field(default=None, max_length=500)


# -- movements --------------------------------------------------------------------------------------------


class MovementIn(Schema):
    """One change of on-hand stock. ``quantity`` is the number of units moved, positive, for every kind
    but ``adjustment``, where it is signed (+ found, − lost/damaged). Idempotent by
    (reference, sku, place_id, kind)."""

    model_config = ConfigDict(extra="forbid")
    kind: RecordableKind
    sku: str = SKU
    place_id: str = PLACE
    quantity: int = Field(ge=-1_000_000, le=1_000_000)
    reference: str = REFERENCE
    reason: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _sign(self) -> MovementIn:
        if self.quantity == 0:
            raise ValueError("quantity must not be 0")
        if self.kind != "adjustment" and self.quantity < 0:
            raise ValueError(f"quantity of a {self.kind} is the number of units moved, > 0")
        return self


class TransferIn(Schema):
    model_config = ConfigDict(extra="forbid")
    sku: str = SKU
    from_place_id: str = PLACE
    to_place_id: str = PLACE
    quantity: int = Field(gt=0, le=1_000_000)
    reference: str = REFERENCE

    @model_validator(mode="after")
    def _two_places(self) -> TransferIn:
        if self.from_place_id == self.to_place_id:
            raise ValueError("from_place_id and to_place_id must differ")
        return self


class MovementOut(Schema):
    id: str
    kind: MovementKind
    sku: str
    place_id: str
    delta: int = Field(description="Signed change of on hand")
    on_hand_after: int
    reference: str
    reason: str
    channel: str | None
    api_key_id: str | None
    occurred_at: datetime


class SettingsIn(Schema):
    """Safety stock and/or shelf location of one SKU at one place."""

    model_config = ConfigDict(extra="forbid")
    safety_stock: int | None = Field(default=None, ge=0, le=1_000_000)
    location: Location | None = None
    clear_location: bool = False


# -- counts -------------------------------------------------------------------------------------------------


class CountLine(Schema):
    model_config = ConfigDict(extra="forbid")
    sku: str = SKU
    quantity: int = Field(ge=0, le=1_000_000)


class CountIn(Schema):
    """A full count of one place: every SKU not listed is counted at zero. Give SKU quantities (cycle
    count, scanner) and/or raw RFID reads as SGTIN-96 EPCs in hex (each distinct tag is one unit)."""

    model_config = ConfigDict(extra="forbid")
    place_id: str = PLACE
    reference: str = REFERENCE
    lines: list[CountLine] = Field(default_factory=list, max_length=200_000)
    epcs: list[str] = Field(default_factory=list, max_length=2_000_000)
    counted_at: AwareDatetime | None = None
    reason: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _something(self) -> CountIn:
        if not self.lines and not self.epcs:
            raise ValueError("give count lines or EPC reads")
        if self.counted_at is not None and self.counted_at.tzinfo is None:
            raise ValueError("give counted_at with its offset")
        return self


class VarianceLine(Schema):
    sku: str
    expected: int
    counted: int
    delta: int


class CountOut(Schema):
    id: str
    place_id: str
    reference: str
    counted_at: datetime
    skus_counted: int
    skus_expected: int
    skus_accurate: int
    units_expected: int
    units_counted: int
    units_variance: int = Field(description="Sum of |counted − expected| over every SKU")
    sku_accuracy: float = Field(description="Share of SKUs whose record matched the count, 0..1")
    unit_accuracy: float = Field(description="1 − units_variance / max(units_expected, units_counted)")
    epcs_read: int
    epcs_unknown: int = Field(description="Tags that are not SGTIN-96 or whose GTIN is not in the catalogue")
    variances: list[VarianceLine] = Field(description="SKUs whose count differed from the record")
    replayed: bool = False


class AccuracyPoint(Schema):
    count_id: str
    reference: str
    counted_at: datetime
    sku_accuracy: float
    unit_accuracy: float
    units_variance: int


class AccuracyOut(Schema):
    place_id: str
    points: list[AccuracyPoint]
    average_sku_accuracy: float | None


# -- availability -------------------------------------------------------------------------------------------


class PickupPromise(Schema):
    """When an order placed now could be collected: ``within`` when the store is open now long enough,
    ``from`` (next opening + preparation) otherwise."""

    kind: Literal["within", "from"]
    ready_by: datetime
    minutes: int


class PlaceAvailability(Schema):
    place_id: str
    code: str
    name: str
    kind: str
    distance_km: float | None = None
    available: int
    on_hand: int
    location: Location | None = None
    services: list[str]
    open_now: bool | None = None
    next_opening: datetime | None = None
    closes_at: datetime | None = None
    pickup: PickupPromise | None = None


class NetworkAvailability(Schema):
    """Units that can be promised for delivery: warehouses and ship-from-store places."""

    sku: str
    available: int
    places: list[PlaceAvailability]


class SkuAvailability(Schema):
    sku: str
    levels: list[StockLevelOut]
    total_available: int


class NearestOut(Schema):
    sku: str
    quantity: int
    origin_latitude: float
    origin_longitude: float
    places: list[PlaceAvailability]


class StockImportReport(Schema):
    rows: int
    changed: int
    errors: list[dict[str, str | int]]
