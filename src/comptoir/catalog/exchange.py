"""Catalogue files: read CSV, JSON and JSON Lines rows with their line numbers; export the catalogue
in the same columns, so that an export imports back unchanged."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any, Literal

from sqlalchemy import select

from comptoir.catalog import columns
from comptoir.catalog.importer import Row, import_rows
from comptoir.catalog.models import Attribute, Category, Product, Variant
from comptoir.core.errors import InvalidInput
from comptoir.core.uow import UnitOfWork

__all__ = [
    "Format",
    "detect_format",
    "export_columns",
    "export_rows",
    "import_rows",
    "read_rows",
    "write_rows",
]

Format = Literal["csv", "json", "jsonl"]


def detect_format(filename: str | None, content_type: str | None = None) -> Format:
    name = (filename or "").lower()
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if name.endswith((".jsonl", ".ndjson")) or kind in ("application/x-ndjson", "application/jsonl"):
        return "jsonl"
    if name.endswith(".json") or kind == "application/json":
        return "json"
    if name.endswith((".csv", ".txt")) or kind in ("text/csv", "text/plain"):
        return "csv"
    raise InvalidInput("Send a .csv, .json or .jsonl file.", field="file")


def read_rows(stream: IO[bytes], fmt: Format) -> Iterator[Row]:
    """(line, row) pairs; a CSV header with unknown columns is refused before any row is read."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    if fmt == "csv":
        return _read_csv(text)
    if fmt == "jsonl":
        return _read_jsonl(text)
    return _read_json(text)


def _read_csv(text: IO[str]) -> Iterator[Row]:
    first = text.readline()
    if not first.strip():
        raise InvalidInput("The file is empty.", field="file")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = next(csv.reader([first], delimiter=delimiter))
    header = [h.strip() for h in header]
    columns.check_header(header)
    reader = csv.reader(text, delimiter=delimiter)

    def rows() -> Iterator[Row]:
        previous = 1
        for record in reader:
            line = previous + 1
            previous = reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            yield line, dict(zip(header, record, strict=False))

    return rows()


def _object(value: Any, line: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"Line {line}: each row is a JSON object.", field="file")
    return value


def _read_jsonl(text: IO[str]) -> Iterator[Row]:
    for line, raw in enumerate(text, start=1):
        if not raw.strip():
            continue
        try:
            yield line, _object(json.loads(raw), line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"Line {line}: not JSON ({exc.msg}).", field="file") from exc


def _read_json(text: IO[str]) -> Iterator[Row]:
    """A JSON array of row objects, decoded one object at a time to know each one's line."""
    data = text.read()
    decoder = json.JSONDecoder()
    position = data.find("[")
    if position < 0 or data[:position].strip():
        raise InvalidInput("A JSON file holds an array of row objects.", field="file")
    position += 1
    line = 1 + data.count("\n", 0, position)
    while True:
        start = position
        while start < len(data) and data[start] in " \t\r\n,":
            start += 1
        line += data.count("\n", position, start)
        if start >= len(data):
            raise InvalidInput("The JSON array is not closed.", field="file")
        if data[start] == "]":
            return
        try:
            value, end = decoder.raw_decode(data, start)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"Line {exc.lineno}: not JSON ({exc.msg}).", field="file") from exc
        yield line, _object(value, line)
        line += data.count("\n", start, end)
        position = end


# -- export -----------------------------------------------------------------------------------------------


def export_columns(uow: UnitOfWork) -> list[str]:
    attributes = [
        (r.code, r.type)
        for r in uow.session.execute(select(Attribute.code, Attribute.type).order_by(Attribute.code))
    ]
    return [
        *columns.fixed_columns(),
        *columns.attribute_columns(columns.PRODUCT_ATTR, attributes),
        *columns.attribute_columns(columns.VARIANT_ATTR, attributes),
    ]


def export_rows(uow: UnitOfWork, *, batch: int = 500) -> Iterator[dict[str, str]]:
    """One row per variant, products by code and variants in their order, ``batch`` products at a time."""
    category_codes = dict(uow.session.execute(select(Category.id, Category.code)).all())
    after = ""
    while True:
        products = list(
            uow.session.scalars(
                select(Product).where(Product.code > after).order_by(Product.code).limit(batch)
            )
        )
        if not products:
            return
        variants: dict[str, list[Variant]] = {}
        for v in uow.session.scalars(
            select(Variant)
            .where(Variant.product_id.in_([p.id for p in products]))
            .order_by(Variant.product_id, Variant.position, Variant.sku)
        ):
            variants.setdefault(v.product_id, []).append(v)
        for product in products:
            cells = columns.product_cells(product, category_codes.get(product.category_id or ""))
            for variant in variants.get(product.id, []):
                yield {**cells, **columns.variant_cells(variant)}
        after = products[-1].code
        uow.session.expunge_all()


def write_rows(out: IO[str], fmt: Format, header: list[str], rows: Iterable[dict[str, str]]) -> int:
    """Write rows as CSV (every column), JSON or JSON Lines (non-empty cells); returns how many."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=header, extrasaction="raise", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
        return count
    if fmt == "json":
        out.write("[\n")
    for row in rows:
        compact = {k: row[k] for k in header if row.get(k)}
        prefix = ",\n" if fmt == "json" and count else ""
        out.write(prefix + json.dumps(compact, ensure_ascii=False) + ("" if fmt == "json" else "\n"))
        count += 1
    if fmt == "json":
        out.write("\n]\n")
    return count
