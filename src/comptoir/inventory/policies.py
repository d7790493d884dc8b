"""inventory: pure rules, no I/O — available to promise, hold lifetimes, pickup promises, counts, EPCs."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

# The kernel's great-circle distance (one copy for every domain), re-exported for this domain's callers.
from comptoir.core.geo import EARTH_RADIUS_KM as EARTH_RADIUS_KM
from comptoir.core.geo import GeoPoint as GeoPoint
from comptoir.core.geo import distances_km as distances_km

# How long a hold lasts when the caller gives no expiry (an order's hold is kept until fulfilled).
DEFAULT_HOLD: dict[str, timedelta | None] = {
    "cart": timedelta(minutes=60),
    "checkout": timedelta(minutes=20),
    "reserve_collect": timedelta(hours=72),
    "order": None,
}
# Minutes a store needs to prepare a click & collect order.
DEFAULT_PREPARATION_MINUTES = 120


def available_to_promise(on_hand: int, reserved: int, safety_stock: int) -> int:
    """What may still be promised: on hand − reserved − safety stock, never shown below zero."""
    return max(0, on_hand - reserved - safety_stock)


def may_write_place(key_store_id: str | None, place_id: str) -> bool:
    """A key bound to a store records movements, counts and settings for that store only (a transfer
    leaves from it); back-office and other channel keys may write anywhere."""
    return key_store_id is None or key_store_id == place_id


def hold_expiry(kind: str, now: datetime, requested: datetime | None) -> datetime | None:
    if requested is not None:
        return requested
    lifetime = DEFAULT_HOLD.get(kind)
    return None if lifetime is None else now + lifetime


def merge_lines(lines: Iterable[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """Lines for the same SKU and place added together, in key order (the order rows are locked in)."""
    total: dict[tuple[str, str], int] = {}
    for sku, place_id, quantity in lines:
        total[(sku, place_id)] = total.get((sku, place_id), 0) + quantity
    return [(sku, place, qty) for (sku, place), qty in sorted(total.items())]


# -- pickup promise -------------------------------------------------------------------------------------------


class Promise(NamedTuple):
    kind: str  # "within" (open now, long enough) or "from" (next opening + preparation)
    ready_by: datetime
    minutes: int


@lru_cache(maxsize=64)
def _minutes(count: int) -> timedelta:
    return timedelta(minutes=count)


class PromisePlan(NamedTuple):
    """A place's pickup promise worked out for a stretch of time in which its opening status holds
    (e.g. one minute): what is left to do per order is one comparison."""

    within_until: datetime | None  # orders placed until then are ready within the preparation time
    open_ended: bool  # open with no closing time: always ready within the preparation time
    later_ready: datetime | None  # otherwise ready then; None when the place never opens again
    preparation_minutes: int


def promise_plan(
    open_now: bool,
    closes_at: datetime | None,
    next_opening: datetime | None,
    *,
    preparation_minutes: int = DEFAULT_PREPARATION_MINUTES,
    next_after_close: datetime | None = None,
) -> PromisePlan:
    """Open now and still open ``preparation`` later: ready within that time. Otherwise: the next
    opening (``next_opening`` when closed now, ``next_after_close`` when it closes too soon) plus the
    preparation; never when the place never opens again."""
    preparation = _minutes(preparation_minutes)
    start = next_after_close if open_now else next_opening
    return PromisePlan(
        within_until=closes_at - preparation if open_now and closes_at is not None else None,
        open_ended=open_now and closes_at is None,
        later_ready=None if start is None else start + preparation,
        preparation_minutes=preparation_minutes,
    )


def promise_at(plan: PromisePlan, now: datetime) -> Promise | None:
    """When an order placed at ``now`` can be collected, by ``plan``."""
    if plan.open_ended or (plan.within_until is not None and now <= plan.within_until):
        return Promise("within", now + _minutes(plan.preparation_minutes), plan.preparation_minutes)
    ready = plan.later_ready
    if ready is None:
        return None
    return Promise("from", ready, max(0, math.ceil((ready - now).total_seconds() / 60)))


def pickup_promise(
    now: datetime,
    open_now: bool,
    closes_at: datetime | None,
    next_opening: datetime | None,
    *,
    preparation_minutes: int = DEFAULT_PREPARATION_MINUTES,
    next_after_close: datetime | None = None,
) -> Promise | None:
    """When an order placed at ``now`` can be collected (:func:`promise_plan` at ``now``)."""
    plan = promise_plan(
        open_now,
        closes_at,
        next_opening,
        preparation_minutes=preparation_minutes,
        next_after_close=next_after_close,
    )
    return promise_at(plan, now)


# -- distance ----------------------------------------------------------------------------------------------------


# -- counts -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variance:
    sku: str
    expected: int
    counted: int

    @property
    def delta(self) -> int:
        return self.counted - self.expected


@dataclass(frozen=True)
class CountResult:
    variances: list[Variance]  # only the SKUs whose count differed
    skus_counted: int  # SKUs counted above zero
    skus_expected: int  # SKUs the record expected above zero
    skus_accurate: int
    units_expected: int
    units_counted: int
    units_variance: int

    @property
    def skus_compared(self) -> int:
        return self.skus_accurate + len(self.variances)

    @property
    def sku_accuracy(self) -> float:
        compared = self.skus_compared
        return 1.0 if compared == 0 else round(self.skus_accurate / compared, 4)

    @property
    def unit_accuracy(self) -> float:
        base = max(self.units_expected, self.units_counted)
        return 1.0 if base == 0 else round(max(0.0, 1 - self.units_variance / base), 4)


def compare_count(expected: Mapping[str, int], counted: Mapping[str, int]) -> CountResult:
    """A full count against the record: a SKU on record but not counted was counted at zero.

    SKUs at zero on both sides do not take part (an empty slot of the assortment is not "accurate").
    """
    variances: list[Variance] = []
    accurate = 0
    for sku in sorted(set(expected) | set(counted)):
        e, c = expected.get(sku, 0), counted.get(sku, 0)
        if e == 0 and c == 0:
            continue
        if e == c:
            accurate += 1
        else:
            variances.append(Variance(sku, e, c))
    return CountResult(
        variances=variances,
        skus_counted=sum(1 for q in counted.values() if q > 0),
        skus_expected=sum(1 for q in expected.values() if q > 0),
        skus_accurate=accurate,
        units_expected=sum(q for q in expected.values() if q > 0),
        units_counted=sum(counted.values()),
        units_variance=sum(abs(v.delta) for v in variances),
    )


# -- RFID: SGTIN-96 ------------------------------------------------------------------------------------------

SGTIN96_HEADER = 0x30
# partition → (company prefix bits, company prefix digits, item reference bits, item reference digits)
_PARTITIONS = {
    0: (40, 12, 4, 1),
    1: (37, 11, 7, 2),
    2: (34, 10, 10, 3),
    3: (30, 9, 14, 4),
    4: (27, 8, 17, 5),
    5: (24, 7, 20, 6),
    6: (20, 6, 24, 7),
}


def gtin_check_digit(digits: str) -> int:
    """GS1 check digit of the digits before it (weights 3,1,3,… from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


@dataclass(frozen=True)
class Sgtin:
    gtin14: str
    serial: int
    filter: int

    @property
    def gtin13(self) -> str | None:
        """The EAN-13 form when the indicator digit is 0 (how most catalogues store a GTIN)."""
        return self.gtin14[1:] if self.gtin14[0] == "0" else None


def decode_sgtin96(epc_hex: str) -> Sgtin | None:
    """Decode a 96-bit SGTIN EPC given as 24 hex digits; ``None`` if it is not a valid SGTIN-96."""
    text = epc_hex.strip().lower()
    if text.startswith("urn:") or len(text) != 24:
        return None
    try:
        value = int(text, 16)
    except ValueError:
        return None
    if value >> 88 != SGTIN96_HEADER:
        return None
    filter_value = (value >> 85) & 0b111
    partition = (value >> 82) & 0b111
    if partition not in _PARTITIONS:
        return None
    _, cp_digits, ir_bits, ir_digits = _PARTITIONS[partition]
    rest = value & ((1 << 82) - 1)
    serial = rest & ((1 << 38) - 1)
    item = (rest >> 38) & ((1 << ir_bits) - 1)
    company = rest >> (38 + ir_bits)
    if company >= 10**cp_digits or item >= 10**ir_digits:
        return None
    item_text = str(item).zfill(ir_digits)
    body = item_text[0] + str(company).zfill(cp_digits) + item_text[1:]
    return Sgtin(gtin14=body + str(gtin_check_digit(body)), serial=serial, filter=filter_value)


def encode_sgtin96(gtin: str, serial: int, *, company_digits: int = 7, filter_value: int = 1) -> str:
    """The SGTIN-96 EPC (24 hex digits) of a GTIN-8/12/13/14 and a serial (tests, demo, label printers)."""
    gtin14 = gtin.zfill(14)
    partition = next(p for p, spec in _PARTITIONS.items() if spec[1] == company_digits)
    cp_bits, cp_digits, ir_bits, _ = _PARTITIONS[partition]
    company = int(gtin14[1 : 1 + cp_digits])
    item = int(gtin14[0] + gtin14[1 + cp_digits : 13])
    value = SGTIN96_HEADER
    value = (value << 3) | filter_value
    value = (value << 3) | partition
    value = (value << cp_bits) | company
    value = (value << ir_bits) | item
    value = (value << 38) | serial
    return f"{value:024x}"


def gtin_keys(gtin: str) -> list[str]:
    """The forms a catalogue may store a GTIN in (as given, and as GTIN-14), to match an EPC's GTIN."""
    digits = gtin.strip()
    return list(dict.fromkeys([digits, digits.zfill(14)]))
