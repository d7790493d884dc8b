"""The demo catalogue loads fast and once; staff pages search it and list the rights expiring."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from comptoir.catalog import service
from comptoir.catalog.demo import load_demo
from comptoir.catalog.models import Asset, Product, Publication
from comptoir.catalog.schemas import SearchQuery
from comptoir.core.uow import UnitOfWork
from tests.catalog.test_publishing import active_dress, upload_image
from tests.support.staff import sign_in_pages


def _load(db, settings) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    with UnitOfWork(db) as uow:
        load_demo(uow, settings)
        uow.commit()
    return time.perf_counter() - started


def test_the_demo_catalogue(db, settings, client, dispatcher) -> None:  # type: ignore[no-untyped-def]
    _load(db, settings)
    with db.reader() as session:
        statuses = dict(session.execute(select(Product.status, func.count()).group_by(Product.status)).all())
        images = session.scalar(select(func.count()).select_from(Asset).where(Asset.kind == "image"))
        documents = session.scalar(select(func.count()).select_from(Asset).where(Asset.kind == "document"))
        web = session.scalar(
            select(func.count()).select_from(Publication).where(Publication.channel == "web")
        )
    assert statuses == {"active": 275, "archived": 5, "draft": 20}
    assert (images, documents) == (500, 18)
    assert web == 275 * 2  # every active product, in French and English
    with UnitOfWork(db, read_only=True) as uow:
        dresses = service.search(uow, SearchQuery(q="robe lin", channel="web"))
        assert dresses.total > 0
        assert all("lin" in hit.name.lower() for hit in dresses.hits)
        sku = next(iter(service.iter_skus(uow)))
        assert service.get_variants(uow, [sku], "en_GB")[sku].sellable

    # a second load changes nothing
    assert _load(db, settings) < 1
    with db.reader() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 300

    # the campaign pictures are licensed for the web until soon: staff see them expiring
    with UnitOfWork(db, read_only=True) as uow:
        expiring = service.list_assets(uow, expiring_within_days=30).items
    assert {a.rights.holder for a in expiring} == {"Studio Lumière — campagne Été 2026"}
    assert len(expiring) == 5


def test_staff_pages(db, client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    soon = (datetime.now(UTC) + timedelta(days=12)).isoformat()
    product = active_dress(client, admin_headers)
    upload_image(
        client,
        admin_headers,
        product["id"],
        rights_holder="Studio Lumière",
        rights_channels="web",
        rights_valid_until=soon,
    )
    sign_in_pages(client, db)

    page = client.get("/pages/catalog")
    assert page.status_code == 200
    assert "Rechercher un produit" in page.text
    results = client.get("/pages/catalog/results?q=linen&lang=en")
    assert "1 product" in results.text
    assert "Summer linen dress" in results.text
    image = results.text.split('<img src="')[1].split('"')[0]
    assert image.startswith("/pages/catalog/media/")
    rights = client.get("/pages/catalog/rights?lang=fr")
    assert "Studio Lumière" in rights.text
    assert "image bientôt échus</h1>" in rights.text
    assert rights.text.count("<tr>") == 2  # the header and the picture
    assert client.get("/pages/").text.count("/pages/catalog") >= 2
