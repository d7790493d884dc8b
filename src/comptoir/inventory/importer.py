"""Stock files: ``comptoir import stock FILE`` (levels from an ERP or a first load) and count files.

A stock file is CSV with a header: ``sku,place_id,on_hand`` and optionally ``safety_stock``,
``aisle``, ``shelf``, ``bin``. Each row sets the level of a SKU at a place: the difference with the
record is written as one ``adjustment`` movement whose reference is the file's digest, so importing
the same file twice changes nothing. Bad rows are reported with their line and field and skipped.

A count file is either CSV ``sku,quantity`` or raw RFID reads, one EPC (hex) per line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from typing import Any

from comptoir.core.uow import UnitOfWork
from comptoir.inventory import ledger, places
from comptoir.inventory.schemas import CountIn, CountLine, StockImportReport

_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")
REQUIRED = ("sku", "place_id", "on_hand")


def _int(value: str | None, field: str, *, default: int | None = None) -> int:
    text = (value or "").strip()
    if not text:
        if default is not None:
            return default
        raise ValueError(f"{field} is required")
    if not text.isdigit():
        raise ValueError(f"{field} must be a whole number ≥ 0, not {text!r}")
    return int(text)


def import_stock(uow: UnitOfWork, name: str, content: str) -> StockImportReport:
    reader = csv.DictReader(io.StringIO(content))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return StockImportReport(
            rows=0, changed=0, errors=[{"row": 1, "field": missing[0], "detail": "missing column"}]
        )
    reference = "import:" + hashlib.sha256(content.encode()).hexdigest()[:24]
    errors: list[dict[str, str | int]] = []
    wanted: dict[str, dict[str, int]] = defaultdict(dict)
    settings: list[tuple[str, str, int | None, tuple[str, str, str] | None]] = []
    rows = 0
    for number, raw in enumerate(reader, start=2):
        rows += 1
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        field = "sku"
        try:
            if not _SKU.match(row["sku"]):
                raise ValueError(f"{row['sku']!r} is not a SKU")
            field = "place_id"
            if not row["place_id"]:
                raise ValueError("place_id is required")
            field = "on_hand"
            on_hand = _int(row.get("on_hand"), "on_hand")
            field = "safety_stock"
            safety = _int(row.get("safety_stock"), "safety_stock", default=-1)
        except ValueError as exc:
            errors.append({"row": number, "field": field, "detail": str(exc)})
            continue
        wanted[row["place_id"]][row["sku"]] = on_hand
        where = (row.get("aisle", ""), row.get("shelf", ""), row.get("bin", ""))
        settings.append(
            (row["sku"], row["place_id"], None if safety < 0 else safety, where if any(where) else None)
        )
    unknown = set(places.ensure_known(uow, list(wanted)))
    if unknown:
        for number, raw in enumerate(csv.DictReader(io.StringIO(content)), start=2):
            if (raw.get("place_id") or "").strip() in unknown:
                errors.append(
                    {
                        "row": number,
                        "field": "place_id",
                        "detail": f"place {raw['place_id'].strip()} does not exist",
                    }
                )
    changed = 0
    for place_id in sorted(set(wanted) - unknown):
        levels = ledger.set_levels(
            uow, place_id, wanted[place_id], reference=reference, reason=f"stock import {name}"
        )
        uow.record(*(level.changed("adjustment") for level in levels))
        changed += len(levels)
    for sku, place_id, safety_stock, shelf_place in settings:
        if place_id in unknown:
            continue
        if safety_stock is not None:
            ledger.set_safety(uow, sku, place_id, safety_stock)
        if shelf_place is not None:
            aisle, shelf, bin_ = shelf_place
            ledger.set_location(uow, sku, place_id, aisle or None, shelf or None, bin_ or None)
    errors.sort(key=lambda e: int(e["row"]))
    return StockImportReport(rows=rows, changed=changed, errors=errors)


def read_count(place_id: str, reference: str, content: str, **extra: Any) -> CountIn:
    """A count file as a :class:`CountIn`: CSV ``sku,quantity`` or one EPC per line."""
    first = content.lstrip().splitlines()[0] if content.strip() else ""
    if "sku" in first.lower() and "," in first:
        lines: dict[str, int] = defaultdict(int)
        for raw in csv.DictReader(io.StringIO(content)):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
            lines[row["sku"]] += _int(row.get("quantity"), "quantity")
        return CountIn(
            place_id=place_id,
            reference=reference,
            lines=[CountLine(sku=sku, quantity=q) for sku, q in sorted(lines.items())],
            **extra,
        )
    epcs = [line.strip() for line in content.splitlines() if line.strip()]
    return CountIn(place_id=place_id, reference=reference, epcs=epcs, **extra)
