"""Helpers for the customers tests: a unit of work per step, records to ingest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from comptoir.core.context import SYSTEM, Actor
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.customers import ingestion
from comptoir.customers.schemas import CustomerRecord, IngestResult

JEAN = {
    "given_name": "Jean",
    "family_name": "Dupont",
    "email": "jean.dupont@gmail.com",
    "phone": "06 12 34 56 78",
    "birth_date": "31/12/1980",
    "street": "12 avenue Foch",
    "postcode": "06000",
    "city": "Nice",
}
MARIE = {
    "given_name": "Marie",
    "family_name": "Curie",
    "email": "marie.curie@orange.fr",
    "phone": "07 98 76 54 32",
    "birth_date": "1967-11-07",
    "street": "3 rue Neuve",
    "postcode": "75005",
    "city": "Paris",
}


@pytest.fixture
def step(db: Database) -> Callable[..., Any]:
    """``with step() as uow:`` — one committed unit of work, as a route would do."""

    @contextmanager
    def open_step(actor: Actor = SYSTEM) -> Iterator[UnitOfWork]:
        with UnitOfWork(db, actor) as uow:
            yield uow
            uow.commit()

    return open_step


@pytest.fixture
def ingest(step: Callable[..., Any]) -> Callable[..., IngestResult]:
    def run(source: str = "pos", **fields: Any) -> IngestResult:
        with step() as uow:
            return ingestion.ingest(uow, source, CustomerRecord(**fields), region="FR")

    return run
