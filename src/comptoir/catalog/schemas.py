"""Catalogue commands and results: what routes accept and what service.py returns to other domains."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from comptoir.catalog import policies
from comptoir.core.money import DecimalStr
from comptoir.core.types import AwareDatetime, Schema

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"
SKU_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]*")
AttributeType = Literal["text", "localised_text", "number", "enum", "boolean", "date"]
Status = Literal["draft", "active", "archived"]
RelationKind = Literal["cross_sell", "up_sell", "accessory", "substitute"]
Channel = Literal["web", "app", "store", "call-centre", "live"]
TaxClass = Literal["standard", "intermediate", "reduced", "super_reduced"]
LocalisedText = dict[str, str]


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


def _country(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValueError("a two-letter ISO 3166 country code, e.g. FR")
    return value.upper()


# -- categories, attributes, families -----------------------------------------------------------------


class CategoryIn(_In):
    code: str = Field(pattern=CODE)
    name: LocalisedText = Field(min_length=1, examples=[{"fr_FR": "Robes", "en_GB": "Dresses"}])
    parent_code: str | None = None
    position: int = 0


class CategoryPatch(_In):
    """Fields to change; ``parent_code`` null moves the category to the root (its products follow)."""

    name: LocalisedText | None = Field(default=None, min_length=1)
    parent_code: str | None = None
    position: int | None = None


class CategoryOut(Schema):
    id: str
    code: str
    parent_id: str | None
    ancestor_ids: list[str] = Field(description="From the root down to the parent")
    name: LocalisedText
    position: int


class AttributeIn(_In):
    code: str = Field(pattern=CODE)
    type: AttributeType
    label: LocalisedText = Field(default_factory=dict)
    unit_kind: Literal["mass", "length", "volume"] | None = Field(
        default=None, description="For numbers with a unit; values are given like '30 cm'"
    )
    options: list[str] = Field(default_factory=list, description="Allowed values of an enum")
    option_labels: dict[str, LocalisedText] = Field(
        default_factory=dict,
        description="How an enum's options read per locale",
        examples=[{"short": {"fr_FR": "Courtes", "en_GB": "Short"}}],
    )
    facet: bool = Field(default=False, description="Offer this attribute's values as a search facet")


class AttributePatch(_In):
    """An attribute's type and unit never change (stored values depend on them)."""

    label: LocalisedText | None = None
    options: list[str] | None = Field(default=None, description="Enums: the full list; options in use stay")
    option_labels: dict[str, LocalisedText] | None = None
    facet: bool | None = None


class AttributeOut(AttributeIn):
    pass


class FamilyAttribute(_In):
    code: str
    required_channels: list[str] = Field(
        default_factory=list,
        description='Channels where a value is needed to publish; ["*"] for every channel',
    )


class FamilyIn(_In):
    code: str = Field(pattern=CODE)
    label: LocalisedText = Field(default_factory=dict)
    attributes: list[FamilyAttribute] = Field(default_factory=list)


class FamilyOut(Schema):
    code: str
    label: LocalisedText
    attributes: list[FamilyAttribute]


# -- products and variants --------------------------------------------------------------------------


class Measure(Schema):
    value: str = Field(examples=["350"])
    unit: str = Field(examples=["g"])


class VariantIn(_In):
    sku: str = Field(
        min_length=1,
        max_length=64,
        description="Letters and digits, then also _ . / -",
        examples=["ROB-LIN-M"],
    )
    gtin: str | None = None
    size: str | None = Field(default=None, max_length=40)
    colour: str | None = Field(default=None, max_length=60)
    weight: Measure | str | None = Field(default=None, description="e.g. '350 g' or {value, unit}")
    dimensions: str | dict[str, Any] | None = Field(default=None, description="e.g. '30 x 20 x 10 cm'")
    attributes: dict[str, Any] = Field(default_factory=dict)
    position: int | None = Field(default=None, description="Order among the product's variants")

    @field_validator("sku")
    @classmethod
    def _sku(cls, value: str) -> str:
        if not SKU_RE.fullmatch(value):
            raise ValueError("a SKU has letters and digits (no accents or spaces), then also _ . / or -")
        return value

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        problem = policies.gtin_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class ProductIn(_In):
    code: str = Field(pattern=CODE, description="Your product reference, unique")
    family: str
    category: str | None = Field(default=None, description="Category code")
    brand: str | None = Field(default=None, max_length=120)
    origin: str | None = Field(default=None, description="ISO 3166 country of origin, e.g. FR")
    tax_class: TaxClass = Field(
        default="standard",
        description="French VAT class: 20 %, 10 %, 5.5 % or 2.1 % (pricing applies the rate)",
    )
    status: Literal["draft", "active"] = "draft"
    name: LocalisedText = Field(min_length=1)
    description: LocalisedText = Field(default_factory=dict)
    composition: list[dict[str, Any]] | str = Field(default_factory=list, description="'coton:60;lin:40'")
    labels: list[str] = Field(default_factory=list, description="Labels and certifications, e.g. OEKO-TEX")
    axes: list[Literal["size", "colour"]] = Field(default_factory=list)
    attributes: dict[str, Any] = Field(default_factory=dict)
    variants: list[VariantIn] = Field(default_factory=list)

    _origin = field_validator("origin")(_country)


class ProductPatch(_In):
    """Fields to change; absent fields stay as they are. Variants are changed through their own endpoints."""

    family: str | None = None
    category: str | None = Field(default=None, description="Category code; null removes the category")
    brand: str | None = Field(default=None, max_length=120)
    origin: str | None = None
    tax_class: TaxClass | None = None
    name: LocalisedText | None = None
    description: LocalisedText | None = None
    composition: list[dict[str, Any]] | str | None = None
    labels: list[str] | None = None
    axes: list[Literal["size", "colour"]] | None = None
    attributes: dict[str, Any] | None = Field(default=None, description="Merged: null removes a value")
    status: Status | None = None

    _origin = field_validator("origin")(_country)


class VariantOut(Schema):
    """A sellable variant as other domains see it (orders, pricing, inventory, recommendations)."""

    id: str
    sku: str
    product_id: str
    product_code: str
    status: Status
    name: LocalisedText
    brand: str | None
    gtin: str | None
    size: str | None
    colour: str | None
    category_ids: list[str] = Field(description="The product's category and all its ancestors, root first")
    attributes: dict[str, Any] = Field(description="Product attributes overlaid with the variant's own")
    weight_g: Decimal | None
    dimensions_mm: list[Decimal] | None = Field(description="[length, width, height] in millimetres")
    position: int


class VariantSummary(Schema):
    """What carts, orders, pricing, inventory and recommendations need of a SKU, fetched in one batch."""

    sku: str
    variant_id: str
    gtin: str | None
    product_id: str
    product_code: str
    name: str = Field(description="In the requested locale (falling back to another)")
    brand: str | None
    category_id: str | None
    category_ids: list[str] = Field(description="Root first, down to and including category_id")
    status: Status
    sellable: bool = Field(description="Only an active product's variants are sold")
    size: str | None
    colour: str | None
    weight_g: Decimal | None
    tax_class: TaxClass
    image_url: str | None = Field(
        description="Listing image licensed for the channel and territory asked, or null"
    )


class AssetBrief(Schema):
    id: str
    kind: str
    role: str | None
    title: str | None
    url: str
    renditions: dict[str, str]


class ProductOut(Schema):
    id: str
    code: str
    family: str
    category_id: str | None
    category_ids: list[str]
    status: Status
    brand: str | None
    origin: str | None
    tax_class: TaxClass
    name: LocalisedText
    description: LocalisedText
    composition: list[dict[str, Any]]
    labels: list[str]
    axes: list[str]
    attributes: dict[str, Any]
    variants: list[VariantOut]
    publications: list[PublicationOut]
    assets: list[AssetBrief]
    version: int
    created_at: datetime
    updated_at: datetime


class ProductSummary(Schema):
    id: str
    code: str
    family: str
    status: Status
    brand: str | None
    name: LocalisedText
    category_id: str | None
    version: int
    updated_at: datetime


class PublicationIn(_In):
    channel: Channel
    locale: str = Field(pattern=r"^[a-z]{2}_[A-Z]{2}$")


class PublicationOut(Schema):
    channel: str
    locale: str
    published_at: datetime


class BulkPublicationIn(_In):
    products: list[str] | None = Field(
        default=None, max_length=10_000, description="Ids or codes; null for every active product"
    )
    channels: list[Channel] = Field(min_length=1)
    locales: list[str] = Field(min_length=1, examples=[["fr_FR", "en_GB"]])


class IncompletePublication(Schema):
    code: str
    channel: str
    locale: str
    missing: list[str]


class BulkPublicationOut(Schema):
    published: int
    already: int = Field(description="Publications that existed already")
    incomplete: list[IncompletePublication] = Field(description="Not published: what each misses there")


class CompletenessOut(Schema):
    channel: str
    locale: str
    score: int = Field(description="0 to 100")
    missing: list[str]


class RelationIn(_In):
    related: str = Field(description="Id or code of the related product")
    position: int | None = Field(default=None, description="Order in the list; default: last")


class RelationsIn(_In):
    """The whole list of one kind, in order (replaces what was there)."""

    related: list[str] = Field(max_length=200, description="Ids or codes, in display order")


class RelatedProduct(Schema):
    product_id: str
    code: str
    kind: RelationKind
    name: LocalisedText
    brand: str | None
    status: Status
    position: int


# -- assets ------------------------------------------------------------------------------------------


class RightsIn(_In):
    holder: str | None = Field(default=None, max_length=200)
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    channels: list[Channel] | None = Field(default=None, description="None: every channel")
    territories: list[str] | None = Field(default=None, description="ISO 3166 codes; None: worldwide")

    @field_validator("territories")
    @classmethod
    def _territories(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        for code in value:
            if not re.fullmatch(r"[A-Za-z]{2}", code):
                raise ValueError(f"{code!r} is not a two-letter ISO 3166 code")
        return sorted({c.upper() for c in value})

    @field_validator("valid_from", "valid_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2026-12-31T23:59:59Z")
        return value


class AssetIn(_In):
    product_id: str | None = Field(default=None, description="Id or code of the product it shows")
    role: str | None = Field(default=None, max_length=40, examples=["packshot", "manual", "assembly"])
    title: str | None = Field(default=None, max_length=200)
    colour: str | None = Field(default=None, max_length=60, description="Images: the variants' colour shown")
    position: int = 0
    rights: RightsIn = Field(default_factory=RightsIn)


class AssetPatch(_In):
    product_id: str | None = None
    role: str | None = Field(default=None, max_length=40)
    title: str | None = Field(default=None, max_length=200)
    colour: str | None = Field(default=None, max_length=60)
    position: int | None = None
    rights: RightsIn | None = Field(default=None, description="Replaces the asset's rights as a whole")


class AssetOut(Schema):
    id: str
    product_id: str | None
    kind: str
    role: str | None
    title: str | None
    colour: str | None
    position: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    width: int | None
    height: int | None
    renditions: list[str] = Field(description="Renditions made so far (images: thumbnail, listing, zoom)")
    rights: RightsIn
    created_at: datetime
    updated_at: datetime


class AssetFile(Schema):
    """Where to read an asset's bytes from (service → route)."""

    storage_key: str
    content_type: str
    filename: str


# -- search ------------------------------------------------------------------------------------------


class SearchQuery(Schema):
    q: str = Field(default="", max_length=200)
    locale: str = "fr_FR"
    filters: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Facet → accepted values (any of them); every facet must match: brand, category, …",
    )
    channel: str | None = Field(default=None, description="Only products published there (and active)")
    status: Status | None = None
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=10_000)
    facet_limit: int = Field(default=20, ge=1, le=200)
    exact_facets: bool = Field(
        default=False, description="Count facets over every match even when there are many (slower)"
    )


class FacetValue(Schema):
    value: str
    label: str | None = Field(default=None, description="Category name in the locale, attribute option …")
    count: int


class HitPrice(Schema):
    """What a search hit costs here: its lowest variant price ("from"), as the pricing domain resolves it
    for the caller's channel, store and customer."""

    currency: str
    from_price: DecimalStr
    compare_at_price: DecimalStr | None = None
    discounted: bool = False
    reference_price: DecimalStr | None = Field(default=None, description="Omnibus reference when discounted")
    varies: bool = Field(description="True when the variants do not all cost the same")


class SearchHit(Schema):
    product_id: str
    code: str
    name: str
    brand: str | None
    status: Status
    image_url: str | None
    price: HitPrice | None = Field(default=None, description="None when no price list prices it here")


class SearchResult(Schema):
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]]
    facets_exhaustive: bool = Field(
        description="False when the facet counts were estimated from a sample of many matches"
    )


# -- import ------------------------------------------------------------------------------------------


class RowError(Schema):
    line: int = Field(description="Line of the file (CSV: the header is line 1)")
    sku: str | None
    reason: str


class ImportReport(Schema):
    rows: int
    products_created: int
    products_updated: int
    variants_created: int
    variants_updated: int
    unchanged: int = Field(description="Rows whose product and variant were already exactly so")
    errors: list[RowError]


# -- delivery to a channel -----------------------------------------------------------------------------


class DeliveredAsset(Schema):
    id: str
    kind: str
    role: str | None
    title: str | None
    colour: str | None
    url: str = Field(description="The original file")
    renditions: dict[str, str] = Field(description="Rendition name → URL (images, once made)")


class DeliveredVariant(Schema):
    sku: str
    gtin: str | None
    size: str | None
    colour: str | None
    weight_g: Decimal | None
    dimensions_mm: list[Decimal] | None
    attributes: dict[str, str]


class ProductView(Schema):
    """A product as a channel shows it, in one locale, with only the assets its rights allow there."""

    id: str
    code: str
    locale: str
    name: str
    description: str
    brand: str | None
    origin: str | None
    tax_class: TaxClass
    category_path: list[str] = Field(description="Category names from the root, in the locale")
    attributes: dict[str, str] = Field(description="Attribute label → value as displayed")
    composition: list[dict[str, Any]]
    labels: list[str]
    axes: list[str]
    variants: list[DeliveredVariant]
    assets: list[DeliveredAsset]
    related: dict[str, list[str]] = Field(description="Relation kind → related product ids (published too)")


ProductOut.model_rebuild()
