"""Catalogue rules without I/O: GTINs, units, typed attribute values, completeness, lifecycle, rights."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# -- GTIN ------------------------------------------------------------------------------------------

GTIN_LENGTHS = (8, 12, 13, 14)


def gtin_check_digit(body: str) -> int:
    """GS1 check digit for the digits before it: weights 3,1,3,… from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin_problem(value: str) -> str | None:
    """Why ``value`` is not a valid GTIN-8/12/13/14, or ``None`` when it is."""
    if not value.isdigit():
        return "a GTIN has only digits"
    if len(value) not in GTIN_LENGTHS:
        return f"a GTIN has 8, 12, 13 or 14 digits, not {len(value)}"
    expected = gtin_check_digit(value[:-1])
    if int(value[-1]) != expected:
        return f"check digit should be {expected}, not {value[-1]}"
    return None


# -- units ------------------------------------------------------------------------------------------

# Factor to the base unit of each kind (grams, millimetres, millilitres).
UNITS: dict[str, dict[str, Decimal]] = {
    "mass": {
        "mg": Decimal("0.001"),
        "g": Decimal(1),
        "kg": Decimal(1000),
        "oz": Decimal("28.349523125"),
        "lb": Decimal("453.59237"),
    },
    "length": {"mm": Decimal(1), "cm": Decimal(10), "m": Decimal(1000), "in": Decimal("25.4")},
    "volume": {"ml": Decimal(1), "cl": Decimal(10), "l": Decimal(1000)},
}
BASE_UNIT = {"mass": "g", "length": "mm", "volume": "ml"}
_QUANTITY_RE = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*([a-zA-Z]+)\s*$")


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit: str

    def to_base(self, kind: str) -> Decimal:
        return self.value * UNITS[kind][self.unit]

    def __str__(self) -> str:
        return f"{_plain(self.value)} {self.unit}"


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def parse_quantity(raw: object, kind: str) -> Quantity:
    """``"350 g"``, ``"1,2 kg"`` or ``{"value": "30", "unit": "cm"}`` → Quantity; ValueError names the problem."""
    if isinstance(raw, Mapping):
        value_raw, unit = raw.get("value"), raw.get("unit")
        if not isinstance(unit, str):
            raise ValueError(f"unit missing: use one of {', '.join(UNITS[kind])}")
        try:
            value = Decimal(str(value_raw).replace(",", "."))
        except InvalidOperation as exc:
            raise ValueError(f"{value_raw!r} is not a number") from exc
    elif isinstance(raw, str):
        match = _QUANTITY_RE.match(raw)
        if match is None:
            raise ValueError(f"{raw!r} is not a quantity like '350 g' (units: {', '.join(UNITS[kind])})")
        value, unit = Decimal(match.group(1).replace(",", ".")), match.group(2)
    else:
        raise ValueError(f"a quantity is a string like '350 g' or an object with value and unit, not {raw!r}")
    unit = unit.lower()
    if unit not in UNITS[kind]:
        raise ValueError(f"unknown {kind} unit {unit!r}: use one of {', '.join(UNITS[kind])}")
    if not value.is_finite() or value < 0:
        raise ValueError("a quantity cannot be negative")
    return Quantity(value, unit)


def to_base_unit(raw: object, kind: str) -> Decimal:
    """Parse and convert to grams / millimetres / millilitres, rounded to 3 decimals."""
    return parse_quantity(raw, kind).to_base(kind).quantize(Decimal("0.001"))


def parse_dimensions(raw: object) -> tuple[Decimal, Decimal, Decimal]:
    """``"30 x 20 x 10 cm"`` or ``{"length": .., "width": .., "height": .., "unit": "cm"}`` → millimetres."""
    if isinstance(raw, Mapping):
        unit = raw.get("unit", "mm")
        parts = [raw.get("length"), raw.get("width"), raw.get("height")]
    elif isinstance(raw, str):
        match = re.match(r"^\s*([\d.,]+)\s*[x×]\s*([\d.,]+)\s*[x×]\s*([\d.,]+)\s*([a-zA-Z]+)\s*$", raw)
        if match is None:
            raise ValueError(f"{raw!r} is not dimensions like '30 x 20 x 10 cm'")
        parts, unit = [match.group(1), match.group(2), match.group(3)], match.group(4)
    else:
        raise ValueError("dimensions are a string like '30 x 20 x 10 cm' or an object")
    mm = [to_base_unit({"value": p, "unit": unit}, "length") for p in parts]
    return mm[0], mm[1], mm[2]


# -- typed attribute values -------------------------------------------------------------------------

ATTRIBUTE_TYPES = ("text", "localised_text", "number", "enum", "boolean", "date")
_TRUE = {"true", "1", "yes", "oui", "vrai"}
_FALSE = {"false", "0", "no", "non", "faux"}


@dataclass(frozen=True)
class AttributeSpec:
    code: str
    type: str
    unit_kind: str | None = None  # for numbers: mass, length, volume; None for a plain number
    options: tuple[str, ...] = ()


def normalise_attribute_value(spec: AttributeSpec, raw: Any, locales: Sequence[str]) -> Any:
    """Check ``raw`` against the attribute's type and return the stored JSON value (ValueError says why)."""
    if spec.type == "text":
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError("expected non-empty text")
        return raw.strip()
    if spec.type == "localised_text":
        if not isinstance(raw, Mapping) or not raw:
            raise ValueError(f"expected text per locale, e.g. {{{locales[0]!r}: '…'}}")
        out = {}
        for locale, text in raw.items():
            if locale not in locales:
                raise ValueError(f"unknown locale {locale!r}: use {', '.join(locales)}")
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"expected non-empty text for {locale}")
            out[locale] = text.strip()
        return out
    if spec.type == "number":
        if spec.unit_kind:
            quantity = parse_quantity(raw, spec.unit_kind)
            return {"value": _plain(quantity.value), "unit": quantity.unit}
        try:
            number = Decimal(str(raw).replace(",", "."))
        except InvalidOperation as exc:
            raise ValueError(f"{raw!r} is not a number") from exc
        if isinstance(raw, bool) or not number.is_finite():
            raise ValueError(f"{raw!r} is not a number")
        return _plain(number)
    if spec.type == "enum":
        if raw not in spec.options:
            raise ValueError(f"{raw!r} is not one of {', '.join(spec.options)}")
        return raw
    if spec.type == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise ValueError(f"{raw!r} is not true or false")
    if spec.type == "date":
        if isinstance(raw, date) and not isinstance(raw, datetime):
            return raw.isoformat()
        try:
            return date.fromisoformat(str(raw)).isoformat()
        except ValueError as exc:
            raise ValueError(f"{raw!r} is not a date like 2026-03-01") from exc
    raise ValueError(f"unknown attribute type {spec.type!r}")


def attribute_text(value: Any, locale: str) -> str:
    """How a stored attribute value reads in search and exports for ``locale``."""
    if isinstance(value, Mapping):
        if "unit" in value:
            return f"{value['value']} {value['unit']}"
        return str(value.get(locale) or "")
    if isinstance(value, bool):
        return ""
    return str(value)


# -- composition ------------------------------------------------------------------------------------


def parse_composition(raw: object) -> list[dict[str, Any]]:
    """``"coton:60;lin:40"`` or ``[{"material": "coton", "percent": 60}]``; percentages must total 100."""
    items: list[tuple[str, Any]]
    if isinstance(raw, str):
        items = []
        for part in raw.split(";"):
            if not part.strip():
                continue
            material, sep, percent = part.rpartition(":")
            if not sep:
                raise ValueError(f"{part!r} is not material:percent")
            items.append((material.strip(), percent.strip()))
    elif isinstance(raw, Sequence):
        items = [
            (str(i.get("material", "")).strip(), i.get("percent")) for i in raw if isinstance(i, Mapping)
        ]
    else:
        raise ValueError("composition is 'material:percent;…' or a list of {material, percent}")
    out = []
    for material, percent in items:
        if not material:
            raise ValueError("a composition line needs a material")
        try:
            value = Decimal(str(percent).replace(",", "."))
        except InvalidOperation as exc:
            raise ValueError(f"{percent!r} is not a percentage") from exc
        if not (0 < value <= 100):
            raise ValueError(f"{material}: percentage must be between 0 and 100")
        out.append({"material": material, "percent": _plain(value)})
    if out and sum(Decimal(i["percent"]) for i in out) != 100:
        raise ValueError("composition percentages must add up to 100")
    return out


def composition_text(composition: Iterable[Mapping[str, Any]]) -> str:
    return ";".join(f"{c['material']}:{c['percent']}" for c in composition)


# -- completeness -----------------------------------------------------------------------------------

# Every product needs these whatever its family says; "description" and "images" may be required by a family.
BUILT_IN_REQUIRED = ("name",)
LOCALISED_FIELDS = ("name", "description")


@dataclass(frozen=True)
class Completeness:
    channel: str
    locale: str
    score: int  # 0..100
    missing: tuple[str, ...]


def required_for(family_attributes: Sequence[Mapping[str, Any]], channel: str) -> list[str]:
    """Codes the family requires on ``channel`` (``required_channels`` lists channels or ``"*"``)."""
    codes = list(BUILT_IN_REQUIRED)
    for item in family_attributes:
        channels = item.get("required_channels") or []
        if ("*" in channels or channel in channels) and item["code"] not in codes:
            codes.append(item["code"])
    return codes


def completeness(
    *,
    channel: str,
    locale: str,
    family_attributes: Sequence[Mapping[str, Any]],
    localised_attributes: set[str],
    fields: Mapping[str, Any],
    attributes: Mapping[str, Any],
    image_count: int,
    variant_count: int,
) -> Completeness:
    """Which required values are missing for ``channel``/``locale``; localised ones need that locale."""
    required = required_for(family_attributes, channel)
    missing: list[str] = []
    for code in required:
        if code == "images":
            present = image_count > 0
        elif code in LOCALISED_FIELDS:
            present = bool((fields.get(code) or {}).get(locale))
        elif code in fields:
            present = fields[code] not in (None, "", [], {})
        else:
            value = attributes.get(code)
            if code in localised_attributes:
                present = isinstance(value, Mapping) and bool(value.get(locale))
            else:
                present = value is not None and value != ""
        if not present:
            missing.append(
                f"{code} ({locale})" if code in LOCALISED_FIELDS or code in localised_attributes else code
            )
    total = len(required) + 1
    if variant_count == 0:
        missing.append("variants")
    score = round(100 * (total - len(missing)) / total)
    return Completeness(channel, locale, score, tuple(missing))


# -- lifecycle ---------------------------------------------------------------------------------------

STATUSES = ("draft", "active", "archived")
TRANSITIONS = {"draft": {"active", "archived"}, "active": {"archived"}, "archived": {"draft"}}


def transition_problem(current: str, target: str) -> str | None:
    if target == current:
        return None
    if target not in TRANSITIONS.get(current, set()):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, set()))) or "nothing"
        article = "an" if current[0] in "aeiou" else "a"
        return f"{article} {current} product can become {allowed}, not {target}"
    return None


def sellable(status: str) -> bool:
    """Only an active product's variants can be put in a cart, priced for sale or reserved."""
    return status == "active"


PUBLICATION_CHANNELS = ("web", "app", "store", "call-centre", "live")
RELATION_KINDS = ("cross_sell", "up_sell", "accessory", "substitute")
# The catalogue's content languages: localised texts are keyed by these, search indexes both.
LOCALES = ("fr_FR", "en_GB")
DEFAULT_LOCALE = "fr_FR"

# French VAT classes: 20 % standard, 10 % intermediate (restaurant, some services), 5.5 % reduced
# (food, books), 2.1 % super-reduced (press, some medicines). Pricing maps a class to its rate.
TAX_CLASSES = ("standard", "intermediate", "reduced", "super_reduced")


def localised(texts: Mapping[str, Any] | None, locale: str | None) -> str:
    """The text for ``locale``, else the same language in another region, else the default, else any."""
    if not texts:
        return ""
    wanted = locale or DEFAULT_LOCALE
    if texts.get(wanted):
        return str(texts[wanted])
    language = wanted.split("_", 1)[0]
    for key, value in texts.items():
        if value and key.split("_", 1)[0] == language:
            return str(value)
    if texts.get(DEFAULT_LOCALE):
        return str(texts[DEFAULT_LOCALE])
    return next((str(v) for v in texts.values() if v), "")


def search_language(locale: str | None) -> str:
    """Which full-text columns a locale searches: ``fr`` or ``en``."""
    return "en" if (locale or "").lower().startswith("en") else "fr"


def fold(text: str) -> str:
    """Lower case without accents, so "Été" finds "ete" on both databases (PostgreSQL has no unaccent)."""
    return _COMBINING_RE.sub("", unicodedata.normalize("NFKD", text)).lower()


_COMBINING_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


_TERM_RE = re.compile(r"[^\W_]+", re.UNICODE)


def search_terms(query: str, limit: int = 8) -> list[str]:
    """The words of a search box (folded, at most ``limit``): every one must match, as a prefix."""
    return _TERM_RE.findall(fold(query))[:limit]


def facet_token(facet: str, value: str) -> str:
    """An opaque word standing for ``facet=value`` in the full-text index (letters and digits only, so
    both FTS5 and PostgreSQL keep it whole): filters become index lookups like words."""
    return "f" + hashlib.blake2b(f"{facet}={value}".encode(), digest_size=8).hexdigest()


def variant_axes_problem(axes: Sequence[str], variants: Sequence[Mapping[str, Any]]) -> str | None:
    """Variants of one product differ on its axes: each has a value per axis, no two the same combination."""
    seen: dict[tuple[Any, ...], str] = {}
    for variant in variants:
        for axis in axes:
            if not variant.get(axis):
                return f"variant {variant['sku']} needs a {axis} (an axis of the product)"
        key = tuple(variant.get(axis) for axis in axes)
        if key in seen:
            combo = ", ".join(f"{a}={v}" for a, v in zip(axes, key, strict=True))
            return f"variants {seen[key]} and {variant['sku']} have the same {combo}"
        seen[key] = str(variant["sku"])
    return None


# -- usage rights -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rights:
    holder: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    channels: tuple[str, ...] | None = None  # None: every channel
    territories: tuple[str, ...] | None = None  # ISO 3166 alpha-2; None: worldwide


def rights_refusal(rights: Rights, *, channel_kind: str | None, territory: str, at: datetime) -> str | None:
    """Why delivering the asset would break its licence, or ``None`` when it may be delivered.

    ``channel_kind`` None is the back office (staff managing assets), where the channel restriction
    does not apply; the period and territory still do.
    """
    if rights.valid_from is not None and at < rights.valid_from:
        return f"licensed from {rights.valid_from.date().isoformat()}"
    if rights.valid_until is not None and at >= rights.valid_until:
        return f"licence expired on {rights.valid_until.date().isoformat()}"
    if channel_kind is not None and rights.channels is not None and channel_kind not in rights.channels:
        return f"not licensed for channel {channel_kind}"
    if rights.territories is not None and territory.upper() not in rights.territories:
        return f"not licensed in territory {territory.upper()}"
    return None


# -- renditions -------------------------------------------------------------------------------------

# Longest side in pixels; never upscaled.
RENDITIONS: dict[str, int] = {"thumbnail": 160, "listing": 480, "zoom": 1600}


def rendition_size(width: int, height: int, longest_side: int) -> tuple[int, int]:
    """Scale (width, height) so the longest side is at most ``longest_side``, keeping the ratio."""
    scale = min(1.0, longest_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def expiring(valid_until: datetime | None, *, at: datetime, within_days: int) -> bool:
    """Rights still valid at ``at`` that lapse within ``within_days`` (what staff must renew or replace)."""
    if valid_until is None:
        return False
    return at < valid_until and (valid_until - at).days < within_days


ASSET_KINDS = {"image": "image/", "video": "video/", "document": "application/pdf", "audio": "audio/"}


def asset_kind(content_type: str) -> str | None:
    for kind, prefix in ASSET_KINDS.items():
        if content_type == prefix or (prefix.endswith("/") and content_type.startswith(prefix)):
            return kind
    return None
