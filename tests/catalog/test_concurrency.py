"""Concurrent writers on PostgreSQL: each in its own connection and transaction, started together."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from comptoir.catalog import exchange, service
from comptoir.catalog.models import Product, Publication, SearchDocument, Variant
from comptoir.catalog.schemas import ProductPatch, PublicationIn
from comptoir.core.uow import UnitOfWork
from tests.catalog.conftest import dress
from tests.catalog.test_import_export import HEADER, row

pytestmark = pytest.mark.postgres


def race(db: Any, work: Callable[[UnitOfWork, int], Any], writers: int = 4) -> list[Any]:
    """Run ``work`` in ``writers`` threads at once, each committing its own unit of work."""
    barrier = threading.Barrier(writers)
    results: list[Any] = [None] * writers

    def run(index: int) -> None:
        try:
            with UnitOfWork(db) as uow:
                barrier.wait(timeout=10)
                results[index] = work(uow, index)
                uow.commit()
        except Exception as exc:  # the test looks at what each writer got
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _count(db: Any, model: Any, *where: Any) -> int:
    with db.reader() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_one_of_the_racing_updates_with_the_same_version_wins(taxonomy) -> None:  # type: ignore[no-untyped-def]
    if not taxonomy.is_postgres:
        pytest.skip("PostgreSQL only")
    with UnitOfWork(taxonomy) as uow:
        service.create_product(uow, dress())
        uow.commit()

    results = race(
        taxonomy, lambda uow, i: service.update_product(uow, "ROBE-LIN", ProductPatch(brand=f"Marque {i}"), 1)
    )

    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    assert all(getattr(r, "status", None) == 412 for r in results if isinstance(r, Exception))
    with UnitOfWork(taxonomy, read_only=True) as uow:
        product = service.get_product(uow, "ROBE-LIN")
    assert (product.version, product.brand) == (2, winners[0].brand)


def test_racing_creations_of_one_product_make_one(taxonomy) -> None:  # type: ignore[no-untyped-def]
    if not taxonomy.is_postgres:
        pytest.skip("PostgreSQL only")
    results = race(taxonomy, lambda uow, i: service.create_product(uow, dress()))
    assert len([r for r in results if not isinstance(r, Exception)]) == 1
    assert _count(taxonomy, Product) == 1
    assert _count(taxonomy, Variant) == 2
    assert _count(taxonomy, SearchDocument) == 1


def test_racing_publications_make_one(taxonomy) -> None:  # type: ignore[no-untyped-def]
    if not taxonomy.is_postgres:
        pytest.skip("PostgreSQL only")
    with UnitOfWork(taxonomy) as uow:
        service.create_product(uow, dress(status="active"))
        uow.commit()
    results = race(
        taxonomy,
        lambda uow, i: service.publish(uow, "ROBE-LIN", PublicationIn(channel="store", locale="fr_FR")),
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert _count(taxonomy, Publication) == 1


def test_racing_imports_of_the_same_rows_leave_one_copy(taxonomy) -> None:  # type: ignore[no-untyped-def]
    if not taxonomy.is_postgres:
        pytest.skip("PostgreSQL only")
    text = (
        "\n".join([HEADER, *(row(f"R{n}", f"R{n}-{s}", s) for n in range(20) for s in ("S", "M", "L"))])
        + "\n"
    )

    reports = race(
        taxonomy,
        lambda uow, i: service.import_rows(uow, exchange.read_rows(io.BytesIO(text.encode()), "csv")),
    )

    assert _count(taxonomy, Product) == 20
    assert _count(taxonomy, Variant) == 60
    assert _count(taxonomy, SearchDocument) == 20
    assert not [r for r in reports if isinstance(r, Exception)], reports
    assert sum(r.products_created for r in reports) == 20
    # the others saw the products either already there (unchanged) or refused by the database, row by row
    for report in reports:
        assert report.variants_created + report.unchanged + len(report.errors) == 60
