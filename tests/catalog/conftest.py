"""A small taxonomy for catalogue tests: two families, typed attributes, a category tree."""

from __future__ import annotations

import zlib
from typing import Any

import pytest

from comptoir.catalog import service
from comptoir.catalog.policies import gtin_check_digit
from comptoir.catalog.schemas import AttributeIn, CategoryIn, FamilyAttribute, FamilyIn, ProductIn
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork


def gtin(n: int) -> str:
    """A valid GTIN-13 (French prefix 376)."""
    body = f"376{n:09d}"
    return body + str(gtin_check_digit(body))


def dress(code: str = "ROBE-LIN", **overrides: Any) -> ProductIn:
    return ProductIn.model_validate(dress_json(code, **overrides))


def dress_json(code: str = "ROBE-LIN", **overrides: Any) -> dict[str, Any]:
    """A linen dress in two sizes, as an API client would send it."""
    data: dict[str, Any] = {
        "code": code,
        "family": "clothing",
        "category": "dresses",
        "brand": "Atelier Rivage",
        "origin": "FR",
        "tax_class": "standard",
        "name": {"fr_FR": "Robe en lin d'été", "en_GB": "Summer linen dress"},
        "description": {"fr_FR": "Une robe légère.", "en_GB": "A light dress."},
        "composition": "lin:100",
        "labels": ["OEKO-TEX"],
        "axes": ["size", "colour"],
        "attributes": {"collar": "round", "care": {"fr_FR": "Lavage 30°", "en_GB": "Wash at 30°"}},
        "variants": [
            {
                "sku": f"{code}-S-BLEU",
                "gtin": gtin(zlib.crc32(code.encode()) % 10**9),
                "size": "S",
                "colour": "bleu",
                "weight": "350 g",
            },
            {"sku": f"{code}-M-BLEU", "size": "M", "colour": "bleu", "weight": "0,38 kg"},
        ],
    }
    data.update(overrides)
    return data


def build_taxonomy(uow: UnitOfWork) -> None:
    for attribute in [
        AttributeIn(
            code="collar",
            type="enum",
            options=["round", "v-neck", "mao"],
            option_labels={"round": {"fr_FR": "Rond", "en_GB": "Round"}},
            facet=True,
            label={"fr_FR": "Col", "en_GB": "Collar"},
        ),
        AttributeIn(code="care", type="localised_text", label={"fr_FR": "Entretien", "en_GB": "Care"}),
        AttributeIn(code="organic", type="boolean", facet=True, label={"fr_FR": "Bio", "en_GB": "Organic"}),
        AttributeIn(code="waist", type="number", unit_kind="length"),
        AttributeIn(code="released", type="date"),
        AttributeIn(code="material", type="text", facet=True),
        AttributeIn(code="capacity", type="number", unit_kind="volume"),
    ]:
        service.create_attribute(uow, attribute)
    service.create_family(
        uow,
        FamilyIn(
            code="clothing",
            label={"fr_FR": "Vêtements"},
            attributes=[
                FamilyAttribute(code="collar", required_channels=["web"]),
                FamilyAttribute(code="care", required_channels=["*"]),
                FamilyAttribute(code="description", required_channels=["web", "app"]),
                FamilyAttribute(code="images", required_channels=["web"]),
                FamilyAttribute(code="organic"),
                FamilyAttribute(code="waist"),
                FamilyAttribute(code="released"),
            ],
        ),
    )
    service.create_family(
        uow,
        FamilyIn(
            code="home",
            label={"fr_FR": "Maison"},
            attributes=[FamilyAttribute(code="material"), FamilyAttribute(code="capacity")],
        ),
    )
    service.create_category(uow, CategoryIn(code="women", name={"fr_FR": "Femme", "en_GB": "Women"}))
    service.create_category(
        uow, CategoryIn(code="dresses", name={"fr_FR": "Robes", "en_GB": "Dresses"}, parent_code="women")
    )
    service.create_category(uow, CategoryIn(code="home", name={"fr_FR": "Maison", "en_GB": "Home"}))
    service.create_category(
        uow, CategoryIn(code="cushions", name={"fr_FR": "Coussins", "en_GB": "Cushions"}, parent_code="home")
    )


@pytest.fixture
def taxonomy(db: Database) -> Database:
    with UnitOfWork(db) as uow:
        build_taxonomy(uow)
        uow.commit()
    return db


def recorded(db: Database, event_type: str) -> list[dict[str, Any]]:
    """Payloads of the outbox events of this type, oldest first."""
    from sqlalchemy import select

    from comptoir.core.models import OutboxEvent

    with db.reader() as session:
        rows = session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.type == event_type).order_by(OutboxEvent.seq)
        )
        return [dict(r) for r in rows]
