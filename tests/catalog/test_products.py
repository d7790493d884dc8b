"""Products and variants through the API: validation (GTIN, units, attributes), versions, lifecycle."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from comptoir.catalog.models import Product, Variant
from tests.catalog.conftest import dress_json, gtin, recorded

PRODUCTS = "/v1/catalog/products"


def _create(client: Any, headers: dict[str, str], **overrides: Any) -> Any:
    return client.post(PRODUCTS, json=dress_json(**overrides), headers=headers)


def test_a_product_is_created_with_its_variants(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    response = _create(client, admin_headers)

    assert response.status_code == 201
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert response.headers["location"] == f"{PRODUCTS}/{body['id']}"
    assert body["status"] == "draft"
    assert body["tax_class"] == "standard"
    assert body["composition"] == [{"material": "lin", "percent": "100"}]
    assert [(v["sku"], v["size"], v["colour"], v["weight_g"]) for v in body["variants"]] == [
        ("ROBE-LIN-S-BLEU", "S", "bleu", "350.000"),
        ("ROBE-LIN-M-BLEU", "M", "bleu", "380.000"),
    ]
    categories = {
        c["code"]: c["id"] for c in client.get("/v1/catalog/categories", headers=admin_headers).json()
    }
    assert body["category_ids"] == [categories["women"], categories["dresses"]]
    assert recorded(taxonomy, "catalog.product_created") == [
        {
            "product_id": body["id"],
            "code": "ROBE-LIN",
            "family": "clothing",
            "category_id": categories["dresses"],
            "brand": "Atelier Rivage",
            "status": "draft",
            "skus": ["ROBE-LIN-S-BLEU", "ROBE-LIN-M-BLEU"],
        }
    ]
    assert client.get(f"{PRODUCTS}/ROBE-LIN", headers=admin_headers).json()["id"] == body["id"]


def _problem(response: Any) -> tuple[int, list[tuple[str, str]]]:
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    return response.status_code, [(e.get("pointer", ""), e["detail"]) for e in body.get("errors", [])]


def test_a_wrong_gtin_check_digit_is_refused_naming_the_field(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    good = gtin(7)
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    variants = [{"sku": "R-S", "gtin": wrong, "size": "S", "colour": "bleu"}]
    status, errors = _problem(_create(client, admin_headers, variants=variants))
    assert status == 422
    assert errors == [
        ("#/variants/0/gtin", f"Value error, check digit should be {good[-1]}, not {wrong[-1]}")
    ]


def test_units_and_attributes_are_checked_against_the_family(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    bad_weight = dress_json()
    bad_weight["variants"][1]["weight"] = "3 stones"
    assert _problem(client.post(PRODUCTS, json=bad_weight, headers=admin_headers)) == (
        422,
        [("#/variants/1/weight", "Weight: unknown mass unit 'stones': use one of mg, g, kg, oz, lb.")],
    )
    assert _problem(_create(client, admin_headers, attributes={"capacity": "1 l"})) == (
        422,
        [("#/attributes/capacity", "Attribute capacity is not in family clothing.")],
    )
    assert _problem(_create(client, admin_headers, attributes={"collar": "square"})) == (
        422,
        [("#/attributes/collar", "collar: 'square' is not one of round, v-neck, mao.")],
    )
    assert _problem(_create(client, admin_headers, family="shoes")) == (
        422,
        [("#/family", "There is no family shoes.")],
    )
    # nothing was half-written
    with taxonomy.reader() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 0
        assert session.scalar(select(func.count()).select_from(Variant)) == 0


def test_variants_differ_on_the_axes(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    variants = [
        {"sku": "R-1", "size": "S", "colour": "bleu"},
        {"sku": "R-2", "size": "S", "colour": "bleu"},
    ]
    assert _problem(_create(client, admin_headers, variants=variants)) == (
        422,
        [("#/variants", "Variants R-1 and R-2 have the same size=S, colour=bleu.")],
    )
    missing = [{"sku": "R-1", "size": "S"}]
    assert _problem(_create(client, admin_headers, variants=missing)) == (
        422,
        [("#/variants", "Variant R-1 needs a colour (an axis of the product).")],
    )


def test_skus_and_gtins_are_unique_across_products(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    first = _create(client, admin_headers).json()
    taken_gtin = first["variants"][0]["gtin"]

    same_sku = _create(
        client,
        admin_headers,
        code="AUTRE",
        variants=[{"sku": "ROBE-LIN-M-BLEU", "size": "M", "colour": "bleu"}],
    )
    assert (same_sku.status_code, same_sku.json()["detail"]) == (
        409,
        "SKU ROBE-LIN-M-BLEU belongs to another product.",
    )
    same_gtin = _create(
        client,
        admin_headers,
        code="AUTRE",
        variants=[{"sku": "AUTRE-1", "gtin": taken_gtin, "size": "M", "colour": "vert"}],
    )
    assert (same_gtin.status_code, same_gtin.json()["detail"]) == (
        409,
        f"GTIN {taken_gtin} is already used by SKU ROBE-LIN-S-BLEU.",
    )
    assert _create(client, admin_headers).status_code == 409  # the same code


def test_updates_need_the_current_version(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    created = _create(client, admin_headers).json()
    url = f"{PRODUCTS}/{created['id']}"

    changed = client.patch(
        url,
        json={"brand": "Maison Comptoir", "name": {"en_GB": "Linen summer dress"}},
        headers={**admin_headers, "If-Match": '"1"'},
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] == '"2"'
    assert changed.json()["name"] == {"fr_FR": "Robe en lin d'été", "en_GB": "Linen summer dress"}

    stale = client.patch(url, json={"brand": "Autre"}, headers={**admin_headers, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert [e["fields"] for e in recorded(taxonomy, "catalog.product_updated")] == [["brand", "name"]]


def test_the_lifecycle_goes_draft_active_archived(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    created = _create(client, admin_headers).json()
    url = f"{PRODUCTS}/{created['id']}"

    active = client.patch(url, json={"status": "active"}, headers=admin_headers)
    assert active.json()["status"] == "active"
    back = client.patch(url, json={"status": "draft"}, headers=admin_headers)
    assert _problem(back) == (422, [("#/status", "An active product can become archived, not draft.")])
    archived = client.patch(url, json={"status": "archived"}, headers=admin_headers)
    assert archived.json()["status"] == "archived"

    skus = ["ROBE-LIN-S-BLEU", "ROBE-LIN-M-BLEU"]
    assert recorded(taxonomy, "catalog.product_activated") == [
        {"product_id": created["id"], "code": "ROBE-LIN", "skus": skus}
    ]
    assert recorded(taxonomy, "catalog.product_archived") == [
        {"product_id": created["id"], "code": "ROBE-LIN", "skus": skus}
    ]


def test_an_active_product_has_variants(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    response = _create(client, admin_headers, variants=[], status="active")
    assert _problem(response) == (422, [("#/status", "An active product has at least one variant.")])


def test_variants_are_added_and_replaced_moving_the_product_version(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    created = _create(client, admin_headers).json()
    url = f"{PRODUCTS}/{created['id']}/variants"

    added = client.post(
        url,
        json={"sku": "ROBE-LIN-L-BLEU", "size": "L", "colour": "bleu", "dimensions": "40 x 30 x 5 cm"},
        headers={**admin_headers, "If-Match": '"1"'},
    )
    assert added.status_code == 201
    assert added.headers["etag"] == '"2"'
    assert added.json()["variants"][2]["dimensions_mm"] == ["400.000", "300.000", "50.000"]

    replaced = client.put(
        f"{url}/ROBE-LIN-L-BLEU",
        json={"sku": "ROBE-LIN-L-BLEU", "size": "L", "colour": "bleu", "weight": "400 g"},
        headers=admin_headers,
    )
    assert replaced.headers["etag"] == '"3"'
    assert replaced.json()["variants"][2]["weight_g"] == "400.000"
    clash = client.put(
        f"{url}/ROBE-LIN-L-BLEU",
        json={"sku": "ROBE-LIN-L-BLEU", "size": "M", "colour": "bleu"},
        headers=admin_headers,
    )
    assert clash.status_code == 422
    assert [e["skus_added"] for e in recorded(taxonomy, "catalog.product_updated")] == [
        ["ROBE-LIN-L-BLEU"],
        [],
    ]


def test_products_are_listed_by_category_subtree(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    _create(client, admin_headers)
    _create(
        client,
        admin_headers,
        code="COUSSIN",
        family="home",
        category="cushions",
        axes=[],
        attributes={},
        variants=[{"sku": "COUSSIN-1"}],
    )
    listed = client.get(f"{PRODUCTS}?category=women", headers=admin_headers).json()
    assert [p["code"] for p in listed["items"]] == ["ROBE-LIN"]
    page = client.get(f"{PRODUCTS}?limit=1", headers=admin_headers).json()
    assert [p["code"] for p in page["items"]] == ["ROBE-LIN"]
    rest = client.get(f"{PRODUCTS}?limit=1&cursor={page['next_cursor']}", headers=admin_headers).json()
    assert [p["code"] for p in rest["items"]] == ["COUSSIN"]
    assert rest["next_cursor"] is None


def test_attributes_are_typed_and_enum_options_read_per_locale(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    url = "/v1/catalog/attributes"
    created = client.post(
        url,
        json={
            "code": "sleeves",
            "type": "enum",
            "options": ["short", "long"],
            "option_labels": {"short": {"fr_FR": "Courtes", "en_GB": "Short"}},
        },
        headers=admin_headers,
    )
    assert created.status_code == 201
    unknown = client.post(
        url,
        json={
            "code": "hem",
            "type": "enum",
            "options": ["raw"],
            "option_labels": {"frayed": {"fr_FR": "Effiloché"}},
        },
        headers=admin_headers,
    )
    assert _problem(unknown) == (
        422,
        [("#/option_labels/frayed", "frayed is not an option of this attribute.")],
    )
    no_options = client.post(url, json={"code": "hem", "type": "enum"}, headers=admin_headers)
    assert _problem(no_options) == (422, [("#/options", "An enum attribute lists its options.")])
    unit_on_text = client.post(
        url, json={"code": "hem", "type": "text", "unit_kind": "length"}, headers=admin_headers
    )
    assert _problem(unit_on_text) == (422, [("#/unit_kind", "Only number attributes have a unit.")])
    reserved = client.post(url, json={"code": "name", "type": "text"}, headers=admin_headers)
    assert _problem(reserved) == (422, [("#/code", "name is a built-in product field, not an attribute.")])

    renamed = client.patch(
        f"{url}/sleeves",
        json={"options": ["short"], "option_labels": {"short": {"fr_FR": "Manches courtes"}}},
        headers=admin_headers,
    )
    assert renamed.json()["option_labels"] == {"short": {"fr_FR": "Manches courtes"}}
