"""The seller app's tests: the order tests' small retailer (Rivoli, Opéra, Marseille, a warehouse,
linen and silk dresses), its products published for shops, and Marie Curie as the customer."""

from __future__ import annotations

import pytest

from comptoir.catalog import service as catalog
from comptoir.catalog.schemas import PublicationIn
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from tests.appointments.conftest import fixed_clock, retailer  # noqa: F401 (fixtures)
from tests.orders.conftest import (  # noqa: F401 (fixtures)
    LIN_M,
    LIN_S,
    MARSEILLE,
    OPERA,
    RIVOLI,
    SOIE_S,
    marie,
    shop,
    stocked,
)


@pytest.fixture
def published(stocked: Database) -> Database:  # noqa: F811 (the fixture it builds on)
    """The dresses published for the shops' channel, in French and English."""
    with UnitOfWork(stocked) as uow:
        for code in ("ROBE-LIN", "ROBE-SOIE"):
            for locale in ("fr_FR", "en_GB"):
                catalog.publish(uow, code, PublicationIn(channel="store", locale=locale))
        uow.commit()
    return stocked


def gtin_of(db: Database, sku: str) -> str:
    with UnitOfWork(db) as uow:
        gtin = catalog.get_variants(uow, [sku])[sku].gtin
    assert gtin
    return gtin
