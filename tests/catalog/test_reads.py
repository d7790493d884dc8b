"""What other domains read: variants by SKU in one batch, SKU walks, relations, category ancestors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from comptoir.catalog import service
from comptoir.catalog.models import Publication
from comptoir.catalog.schemas import (
    BulkPublicationIn,
    CategoryPatch,
    ProductPatch,
    RelationIn,
    RelationsIn,
)
from comptoir.core.context import Actor
from comptoir.core.uow import UnitOfWork
from tests.catalog.conftest import dress, recorded


def _catalogue(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        ids = {
            "ROBE": service.create_product(uow, dress("ROBE", status="active", tax_class="standard")).id,
            "JUPE": service.create_product(
                uow, dress("JUPE", name={"fr_FR": "Jupe plissée"}, tax_class="intermediate")
            ).id,
            "ROBE-2": service.create_product(uow, dress("ROBE-2", status="active")).id,
            "ROBE-3": service.create_product(uow, dress("ROBE-3", status="active")).id,
        }
        uow.commit()
    return ids


def test_variants_come_in_one_batch_with_what_carts_and_pricing_need(taxonomy) -> None:  # type: ignore[no-untyped-def]
    ids = _catalogue(taxonomy)
    with UnitOfWork(taxonomy, read_only=True) as uow:
        categories = {c.code: c.id for c in service.list_categories(uow)}
        found = service.get_variants(
            uow, ["ROBE-S-BLEU", "JUPE-M-BLEU", "NOPE", "ROBE-S-BLEU"], locale="en_GB"
        )

    assert sorted(found) == ["JUPE-M-BLEU", "ROBE-S-BLEU"]
    robe = found["ROBE-S-BLEU"]
    assert (robe.product_id, robe.product_code, robe.name, robe.brand) == (
        ids["ROBE"],
        "ROBE",
        "Summer linen dress",
        "Atelier Rivage",
    )
    assert robe.category_id == categories["dresses"]
    assert robe.category_ids == [categories["women"], categories["dresses"]]
    assert (robe.status, robe.sellable, robe.tax_class) == ("active", True, "standard")
    assert (robe.size, robe.colour, robe.weight_g, robe.image_url) == ("S", "bleu", Decimal("350.000"), None)
    jupe = found["JUPE-M-BLEU"]
    assert (jupe.name, jupe.status, jupe.sellable, jupe.tax_class) == (
        "Jupe plissée",
        "draft",
        False,
        "intermediate",
    )


def test_skus_are_walked_in_order_by_status(taxonomy) -> None:  # type: ignore[no-untyped-def]
    _catalogue(taxonomy)
    with UnitOfWork(taxonomy, read_only=True) as uow:
        assert list(service.iter_skus(uow, batch=2)) == [
            "ROBE-2-M-BLEU",
            "ROBE-2-S-BLEU",
            "ROBE-3-M-BLEU",
            "ROBE-3-S-BLEU",
            "ROBE-M-BLEU",
            "ROBE-S-BLEU",
        ]
        assert list(service.iter_skus(uow, status="draft")) == ["JUPE-M-BLEU", "JUPE-S-BLEU"]
        assert service.sku_page(uow, status=None, after="JUPE-S-BLEU", limit=1) == ["ROBE-2-M-BLEU"]


def test_relations_keep_their_order_and_may_be_limited_to_a_channel(taxonomy) -> None:  # type: ignore[no-untyped-def]
    ids = _catalogue(taxonomy)
    with UnitOfWork(taxonomy) as uow:
        service.replace_relations(
            uow, "ROBE", "substitute", RelationsIn(related=["ROBE-3", ids["ROBE-2"], "JUPE"])
        )
        service.add_relation(uow, "ROBE", "cross_sell", RelationIn(related="JUPE"))
        service.publish_where_complete(
            uow, BulkPublicationIn(products=["ROBE-2"], channels=["store"], locales=["fr_FR"])
        )
        uow.commit()
    with UnitOfWork(taxonomy, read_only=True) as uow:
        substitutes = service.get_relations(uow, ids["ROBE"], "substitute")
        assert [r.code for r in substitutes] == ["ROBE-3", "ROBE-2", "JUPE"]
        assert [
            r.code for r in service.get_relations(uow, ids["ROBE"], "substitute", sellable_only=True)
        ] == [
            "ROBE-3",
            "ROBE-2",
        ]
        assert [
            r.code
            for r in service.get_relations(uow, ids["ROBE"], "substitute", published_on=("store", "fr_FR"))
        ] == ["ROBE-2"]
        assert [(r.kind, r.code) for r in service.get_relations(uow, ids["ROBE"])] == [
            ("cross_sell", "JUPE"),
            ("substitute", "ROBE-3"),
            ("substitute", "ROBE-2"),
            ("substitute", "JUPE"),
        ]
    assert recorded(taxonomy, "catalog.relations_changed")[0]["related_ids"] == [
        ids["ROBE-3"],
        ids["ROBE-2"],
        ids["JUPE"],
    ]


def test_relations_api(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    _catalogue(taxonomy)
    url = "/v1/catalog/products/ROBE/relations"
    assert (
        client.put(f"{url}/up_sell", json={"related": ["ROBE-2"]}, headers=admin_headers).status_code == 200
    )
    self_related = client.put(f"{url}/up_sell", json={"related": ["ROBE"]}, headers=admin_headers)
    assert (self_related.status_code, self_related.json()["errors"][0]["pointer"]) == (422, "#/related/0")
    assert client.delete(f"{url}/up_sell/ROBE-2", headers=admin_headers).status_code == 204
    assert client.get(url, headers=admin_headers).json() == []


def test_moving_a_category_moves_its_products_ancestors(taxonomy, dispatcher, app) -> None:  # type: ignore[no-untyped-def]
    _catalogue(taxonomy)
    with UnitOfWork(taxonomy) as uow:
        home = service.get_category(uow, "home")
        dresses = service.update_category(uow, "dresses", CategoryPatch(parent_code="home"))
        uow.commit()
    assert dresses.ancestor_ids == [home.id]
    with UnitOfWork(taxonomy, read_only=True) as uow:
        assert service.category_ancestors(uow, dresses.id) == [home.id]
        assert service.get_variants(uow, ["ROBE-S-BLEU"])["ROBE-S-BLEU"].category_ids == [home.id, dresses.id]
    dispatcher.drain()  # the worker reindexes the moved products
    with UnitOfWork(taxonomy, read_only=True) as uow:
        from comptoir.catalog.schemas import SearchQuery

        assert service.search(uow, SearchQuery(filters={"category": ["home"]})).total == 4


def test_a_channel_actor_gets_images_licensed_for_its_channel(taxonomy) -> None:  # type: ignore[no-untyped-def]
    _catalogue(taxonomy)
    with UnitOfWork(taxonomy, Actor(channel="store:st_lyon")) as uow:
        assert service.get_variants(uow, ["ROBE-S-BLEU"])["ROBE-S-BLEU"].image_url is None
    with UnitOfWork(taxonomy) as uow:
        service.update_product(uow, "ROBE", ProductPatch(status="archived"))
        uow.commit()
    with UnitOfWork(taxonomy, read_only=True) as uow:
        assert service.get_variants(uow, ["ROBE-S-BLEU"])["ROBE-S-BLEU"].sellable is False


def test_the_newest_arrivals_are_the_products_last_published_on_a_channel(taxonomy) -> None:  # type: ignore[no-untyped-def]
    ids = _catalogue(taxonomy)
    days = [datetime(2027, 3, day, 9, 0, tzinfo=UTC) for day in (1, 2, 3, 4)]
    # ROBE on the web on the 1st (and in English on the 4th), ROBE-3 on the 2nd, ROBE-2 in store only;
    # JUPE (a draft) on the web on the 4th
    with UnitOfWork(taxonomy) as uow:
        for code, channel, locale, day in [
            ("ROBE", "web", "fr_FR", days[0]),
            ("ROBE-3", "web", "fr_FR", days[1]),
            ("ROBE-2", "store", "fr_FR", days[2]),
            ("ROBE", "web", "en_GB", days[3]),
            ("JUPE", "web", "fr_FR", days[3]),
        ]:
            uow.session.add(
                Publication(product_id=ids[code], channel=channel, locale=locale, published_at=day)
            )
        uow.commit()
    with UnitOfWork(taxonomy, read_only=True) as uow:
        # newest first by first publication there, one SKU (the first variant) each, active products only
        assert service.newest_skus(uow) == ["ROBE-3-S-BLEU", "ROBE-S-BLEU"]
        assert service.newest_skus(uow, limit=1) == ["ROBE-3-S-BLEU"]
        assert service.newest_skus(uow, since=days[0]) == ["ROBE-3-S-BLEU"]
        assert service.newest_skus(uow, since=days[1]) == []
        assert service.newest_skus(uow, channel="store") == ["ROBE-2-S-BLEU"]
