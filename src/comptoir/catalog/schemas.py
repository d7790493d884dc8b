"""Catalogue commands and results: what routes accept and what service.py returns to other domains."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from comptoir.catalog import policies

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"
AttributeType = Literal["text", "localised_text", "number", "enum", "boolean", "date"]
Status = Literal["draft", "active", "archived"]
RelationKind = Literal["cross_sell", "up_sell", "accessory", "substitute"]
Channel = Literal["web", "app", "store", "call-centre", "live"]
LocalisedText = dict[str, str]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- categories, attributes, families -----------------------------------------------------------------


class CategoryIn(_In):
    code: str = Field(pattern=CODE)
    name: LocalisedText = Field(min_length=1, examples=[{"fr_FR": "Robes", "en_GB": "Dresses"}])
    parent_code: str | None = None
    position: int = 0


class CategoryOut(BaseModel):
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
    facet: bool = Field(default=False, description="Offer this attribute's values as a search facet")


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


class FamilyOut(BaseModel):
    code: str
    label: LocalisedText
    attributes: list[FamilyAttribute]


# -- products and variants --------------------------------------------------------------------------


class Measure(BaseModel):
    value: str = Field(examples=["350"])
    unit: str = Field(examples=["g"])


class VariantIn(_In):
    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_./-]*$")
    gtin: str | None = None
    size: str | None = Field(default=None, max_length=40)
    colour: str | None = Field(default=None, max_length=60)
    weight: Measure | str | None = Field(default=None, description="e.g. '350 g' or {value, unit}")
    dimensions: str | dict[str, Any] | None = Field(default=None, description="e.g. '30 x 20 x 10 cm'")
    attributes: dict[str, Any] = Field(default_factory=dict)

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
    name: LocalisedText = Field(min_length=1)
    description: LocalisedText = Field(default_factory=dict)
    composition: list[dict[str, Any]] | str = Field(default_factory=list, description="'coton:60;lin:40'")
    labels: list[str] = Field(default_factory=list, description="Labels and certifications, e.g. OEKO-TEX")
    axes: list[Literal["size", "colour"]] = Field(default_factory=list)
    attributes: dict[str, Any] = Field(default_factory=dict)
    variants: list[VariantIn] = Field(default_factory=list)

    @field_validator("origin")
    @classmethod
    def _origin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValueError("origin is a two-letter ISO 3166 country code")
        return value.upper()


class ProductPatch(_In):
    """Fields to change; absent fields stay as they are. Variants are changed through their own endpoints."""

    family: str | None = None
    category: str | None = None
    brand: str | None = None
    origin: str | None = None
    name: LocalisedText | None = None
    description: LocalisedText | None = None
    composition: list[dict[str, Any]] | str | None = None
    labels: list[str] | None = None
    axes: list[Literal["size", "colour"]] | None = None
    attributes: dict[str, Any] | None = Field(default=None, description="Merged: null removes a value")
    status: Status | None = None


class VariantOut(BaseModel):
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


class AssetBrief(BaseModel):
    id: str
    kind: str
    role: str | None
    title: str | None
    url: str
    renditions: dict[str, str]


class ProductOut(BaseModel):
    id: str
    code: str
    family: str
    category_id: str | None
    category_ids: list[str]
    status: Status
    brand: str | None
    origin: str | None
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


class ProductSummary(BaseModel):
    id: str
    code: str
    status: Status
    brand: str | None
    name: LocalisedText
    category_id: str | None
    version: int


class PublicationIn(_In):
    channel: Channel
    locale: str = Field(pattern=r"^[a-z]{2}_[A-Z]{2}$")


class PublicationOut(BaseModel):
    channel: str
    locale: str
    published_at: datetime


class CompletenessOut(BaseModel):
    channel: str
    locale: str
    score: int = Field(description="0 to 100")
    missing: list[str]


class RelationIn(_In):
    kind: RelationKind
    related_product_id: str
    position: int = 0


class RelatedProduct(BaseModel):
    product_id: str
    code: str
    kind: RelationKind
    name: LocalisedText
    status: Status
    position: int


# -- assets ------------------------------------------------------------------------------------------


class RightsIn(_In):
    holder: str | None = Field(default=None, max_length=200)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
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
    product_id: str | None = None
    role: str | None = Field(default=None, max_length=40)
    title: str | None = Field(default=None, max_length=200)
    position: int = 0
    rights: RightsIn = Field(default_factory=RightsIn)


class AssetOut(BaseModel):
    id: str
    product_id: str | None
    kind: str
    role: str | None
    title: str | None
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


class AssetFile(BaseModel):
    """Where to read an asset's bytes from (service → route)."""

    storage_key: str
    content_type: str
    filename: str


# -- search ------------------------------------------------------------------------------------------


class FacetValue(BaseModel):
    value: str
    count: int


class SearchHit(BaseModel):
    product_id: str
    name: str
    brand: str | None


class SearchResult(BaseModel):
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]]


# -- import ------------------------------------------------------------------------------------------


class RowError(BaseModel):
    line: int
    sku: str | None
    reason: str


class ImportReport(BaseModel):
    rows: int
    products_created: int
    products_updated: int
    variants_created: int
    variants_updated: int
    errors: list[RowError]


ProductOut.model_rebuild()
