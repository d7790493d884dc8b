"""The columns of catalogue files (CSV, JSON): one row per variant, the product's columns repeated.

Product columns: ``product_code family category brand origin tax_class status name-fr_FR name-en_GB
description-fr_FR description-en_GB composition labels axes`` and ``attr-<code>`` (a localised
attribute has one column per locale: ``attr-<code>-fr_FR``). Variant columns: ``sku gtin size colour
weight dimensions`` and ``variant-attr-<code>``. Lists are ``|``-separated (``labels``, ``axes``),
compositions ``material:percent;…``, weights ``350 g``, dimensions ``30 x 20 x 10 cm``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from comptoir.catalog import policies
from comptoir.core.errors import InvalidInput

PRODUCT_COLUMNS = ["product_code", "family", "category", "brand", "origin", "tax_class", "status"]
LOCALISED_COLUMNS = ["name", "description"]
LIST_COLUMNS = ["composition", "labels", "axes"]
VARIANT_COLUMNS = ["sku", "gtin", "size", "colour", "weight", "dimensions"]
PRODUCT_ATTR = "attr-"
VARIANT_ATTR = "variant-attr-"


def fixed_columns() -> list[str]:
    localised = [f"{name}-{locale}" for name in LOCALISED_COLUMNS for locale in policies.LOCALES]
    return [*PRODUCT_COLUMNS, *localised, *LIST_COLUMNS, *VARIANT_COLUMNS]


def attribute_columns(prefix: str, attributes: Sequence[tuple[str, str]]) -> list[str]:
    """Columns for (code, type) attributes: one per locale for localised text."""
    out = []
    for code, kind in attributes:
        if kind == "localised_text":
            out += [f"{prefix}{code}-{locale}" for locale in policies.LOCALES]
        else:
            out.append(f"{prefix}{code}")
    return out


@functools.cache
def _known(name: str) -> bool:
    return name in fixed_columns() or name.startswith((PRODUCT_ATTR, VARIANT_ATTR))


def unknown_columns(names: Iterable[str]) -> list[str]:
    return [n for n in names if not _known(n)]


def check_header(columns: Sequence[str]) -> None:
    """Refuse a file whose header has unknown or missing columns before importing anything."""
    for column in unknown_columns(columns):
        raise InvalidInput(
            f"Unknown column {column!r}: see the columns of `comptoir catalog export`.", field="file"
        )
    for required in ("product_code", "sku"):
        if required not in columns:
            raise InvalidInput(f"The file needs a {required} column.", field="file")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text or None


def _split(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = _text(value)
    return [part.strip() for part in text.split("|") if part.strip()] if text else []


def _attributes(row: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if not key.startswith(prefix) or value is None or value == "":
            continue
        if prefix == PRODUCT_ATTR and key.startswith(VARIANT_ATTR):
            continue
        code = key[len(prefix) :]
        code, sep, locale = code.rpartition("-")
        if sep and locale in policies.LOCALES:
            out.setdefault(code, {})[locale] = value if isinstance(value, str) else str(value)
        else:
            out[key[len(prefix) :]] = value
    return out


@functools.cache
def _is_product_column(name: str) -> bool:
    return name not in VARIANT_COLUMNS and not name.startswith(VARIANT_ATTR)


def product_key(row: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The row's non-empty product cells: rows of one product must agree on them."""
    return tuple(sorted((k, str(v)) for k, v in row.items() if v not in (None, "") and _is_product_column(k)))


def product_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """The ``ProductIn`` fields of a row (without variants)."""
    fields: dict[str, Any] = {
        "code": _text(row.get("product_code")) or "",
        "family": _text(row.get("family")) or "",
        "category": _text(row.get("category")),
        "brand": _text(row.get("brand")),
        "origin": _text(row.get("origin")),
        "name": {},
        "description": {},
        "composition": _text(row.get("composition")) or [],
        "labels": _split(row.get("labels")),
        "axes": _split(row.get("axes")),
        "attributes": _attributes(row, PRODUCT_ATTR),
    }
    if _text(row.get("tax_class")):
        fields["tax_class"] = _text(row.get("tax_class"))
    for name in LOCALISED_COLUMNS:
        for locale in policies.LOCALES:
            if text := _text(row.get(f"{name}-{locale}")):
                fields[name][locale] = text
    return fields


def variant_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "sku": _text(row.get("sku")) or "",
        "gtin": _text(row.get("gtin")),
        "size": _text(row.get("size")),
        "colour": _text(row.get("colour")),
        "weight": _text(row.get("weight")),
        "dimensions": _text(row.get("dimensions")),
        "attributes": _attributes(row, VARIANT_ATTR),
    }


# -- export -------------------------------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _attribute_cells(prefix: str, values: Mapping[str, Any]) -> dict[str, str]:
    cells: dict[str, str] = {}
    for code, value in values.items():
        if isinstance(value, Mapping) and "unit" not in value:
            for locale, text in value.items():
                cells[f"{prefix}{code}-{locale}"] = str(text)
        elif isinstance(value, Mapping):
            cells[f"{prefix}{code}"] = f"{value['value']} {value['unit']}"
        elif isinstance(value, bool):
            cells[f"{prefix}{code}"] = "true" if value else "false"
        else:
            cells[f"{prefix}{code}"] = str(value)
    return cells


def product_cells(product: Any, category_code: str | None) -> dict[str, str]:
    cells = {
        "product_code": product.code,
        "family": product.family_code,
        "category": category_code or "",
        "brand": product.brand or "",
        "origin": product.origin or "",
        "tax_class": product.tax_class,
        "status": product.status,
        "composition": policies.composition_text(product.composition),
        "labels": "|".join(product.labels),
        "axes": "|".join(product.axes),
    }
    for name in LOCALISED_COLUMNS:
        for locale, text in getattr(product, name).items():
            cells[f"{name}-{locale}"] = text
    cells.update(_attribute_cells(PRODUCT_ATTR, product.attributes))
    return cells


def variant_cells(variant: Any) -> dict[str, str]:
    cells = {
        "sku": variant.sku,
        "gtin": variant.gtin or "",
        "size": variant.size or "",
        "colour": variant.colour or "",
        "weight": f"{_plain(variant.weight_g)} g" if variant.weight_g is not None else "",
        "dimensions": "",
    }
    dims = (variant.length_mm, variant.width_mm, variant.height_mm)
    if all(d is not None for d in dims):
        cells["dimensions"] = " x ".join(_plain(d) for d in dims) + " mm"
    cells.update(_attribute_cells(VARIANT_ATTR, variant.attributes))
    return cells
