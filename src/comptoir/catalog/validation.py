"""Turn product and variant commands into the values stored, checked against the taxonomy.

Shared by the API (one product) and the importer (thousands): every problem is an ``InvalidInput``
naming the field as a JSON pointer, so an import row error and an API 422 say the same thing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from comptoir.catalog import policies
from comptoir.catalog.schemas import Measure, ProductIn, VariantIn
from comptoir.catalog.taxonomy import Taxonomy
from comptoir.core.errors import InvalidInput


def _texts(texts: dict[str, str], field: str, *, required: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for locale, text in texts.items():
        if locale not in policies.LOCALES:
            raise InvalidInput(
                f"Unknown locale {locale}: use {', '.join(policies.LOCALES)}.", field=f"{field}/{locale}"
            )
        if text is not None and text.strip():
            out[locale] = text.strip()
    if required and not out:
        raise InvalidInput(f"Give the {field} in at least one locale.", field=field)
    return out


def _attributes(values: dict[str, Any], tax: Taxonomy, family: str, field: str) -> dict[str, Any]:
    allowed = {item["code"] for item in tax.families.get(family, [])}
    out: dict[str, Any] = {}
    for code, raw in values.items():
        pointer = f"{field}/{code}"
        spec = tax.attributes.get(code)
        if spec is None:
            raise InvalidInput(f"There is no attribute {code}.", field=pointer)
        if code not in allowed:
            raise InvalidInput(f"Attribute {code} is not in family {family}.", field=pointer)
        if raw is None or raw == "":
            continue
        try:
            out[code] = policies.normalise_attribute_value(spec, raw, policies.LOCALES)
        except ValueError as exc:
            raise InvalidInput(f"{code}: {exc}.", field=pointer) from exc
    return out


def normalise_product(cmd: ProductIn, tax: Taxonomy) -> dict[str, Any]:
    """Column values of ``catalog_products`` for ``cmd`` (without id, code, status, version)."""
    if cmd.family not in tax.families:
        raise InvalidInput(f"There is no family {cmd.family}.", field="family")
    category_id = None
    if cmd.category:
        found = tax.categories.get(cmd.category)
        if found is None:
            raise InvalidInput(f"There is no category {cmd.category}.", field="category")
        category_id = found[0]
    try:
        composition = policies.parse_composition(cmd.composition) if cmd.composition else []
    except ValueError as exc:
        raise InvalidInput(f"Composition: {exc}.", field="composition") from exc
    labels = list(dict.fromkeys(label.strip() for label in cmd.labels if label.strip()))
    return {
        "family_code": cmd.family,
        "category_id": category_id,
        "brand": (cmd.brand or "").strip() or None,
        "origin": cmd.origin,
        "tax_class": cmd.tax_class,
        "name": _texts(cmd.name, "name", required=True),
        "description": _texts(cmd.description, "description", required=False),
        "composition": composition,
        "labels": labels,
        "axes": list(dict.fromkeys(cmd.axes)),
        "attributes": _attributes(cmd.attributes, tax, cmd.family, "attributes"),
    }


def _weight(raw: Measure | str | None, field: str) -> Decimal | None:
    if raw is None or raw == "":
        return None
    value = raw.model_dump() if isinstance(raw, Measure) else raw
    try:
        return policies.to_base_unit(value, "mass")
    except ValueError as exc:
        raise InvalidInput(f"Weight: {exc}.", field=field) from exc


def _dimensions(raw: str | dict[str, Any] | None, field: str) -> tuple[Decimal | None, ...]:
    if raw is None or raw == "":
        return (None, None, None)
    try:
        return policies.parse_dimensions(raw)
    except ValueError as exc:
        raise InvalidInput(f"Dimensions: {exc}.", field=field) from exc


def normalise_variant(v: VariantIn, tax: Taxonomy, family: str, field: str = "") -> dict[str, Any]:
    """Column values of ``catalog_variants`` for ``v`` (without id, product id, position)."""
    prefix = f"{field}/" if field else ""
    length, width, height = _dimensions(v.dimensions, f"{prefix}dimensions")
    return {
        "sku": v.sku,
        "gtin": v.gtin or None,
        "size": (v.size or "").strip() or None,
        "colour": (v.colour or "").strip() or None,
        "weight_g": _weight(v.weight, f"{prefix}weight"),
        "length_mm": length,
        "width_mm": width,
        "height_mm": height,
        "attributes": _attributes(v.attributes, tax, family, f"{prefix}attributes"),
    }


def check_axes(axes: list[str], variants: list[dict[str, Any]], field: str = "variants") -> None:
    problem = policies.variant_axes_problem(axes, variants)
    if problem:
        raise InvalidInput(problem[0].upper() + problem[1:] + ".", field=field)
