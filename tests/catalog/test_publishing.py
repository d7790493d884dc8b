"""Publication per channel and locale, gated by completeness."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from tests.catalog.conftest import dress_json, recorded

PRODUCTS = "/v1/catalog/products"


def png(colour: str = "navy", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def active_dress(client: Any, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    created = client.post(PRODUCTS, json=dress_json(status="active", **overrides), headers=headers)
    assert created.status_code == 201, created.text
    return dict(created.json())


def upload_image(client: Any, headers: dict[str, str], product: str, **form: str) -> dict[str, Any]:
    response = client.post(
        "/v1/catalog/assets",
        data={"product": product, **form},
        files={"file": ("packshot.png", png(), "image/png")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_completeness_per_channel_and_locale(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    product = active_dress(client, admin_headers, description={"fr_FR": "Une robe légère."})
    scores = client.get(f"{PRODUCTS}/{product['id']}/completeness", headers=admin_headers).json()
    by_key = {(s["channel"], s["locale"]): (s["score"], s["missing"]) for s in scores}
    assert by_key[("web", "fr_FR")] == (83, ["images"])
    assert by_key[("web", "en_GB")] == (67, ["description (en_GB)", "images"])
    assert by_key[("app", "en_GB")] == (75, ["description (en_GB)"])
    assert by_key[("store", "en_GB")] == (100, [])


def test_an_incomplete_product_cannot_be_published_there(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    product = active_dress(client, admin_headers)
    url = f"{PRODUCTS}/{product['id']}/publications"

    refused = client.post(url, json={"channel": "web", "locale": "fr_FR"}, headers=admin_headers)
    assert refused.status_code == 422
    body = refused.json()
    assert body["type"] == "urn:comptoir:problem:product-incomplete"
    assert body["detail"] == "Product ROBE-LIN is incomplete for web in fr_FR: missing images."
    assert body["missing"] == ["images"]

    store = client.post(url, json={"channel": "store", "locale": "fr_FR"}, headers=admin_headers)
    assert store.status_code == 201
    upload_image(client, admin_headers, product["id"])
    web = client.post(url, json={"channel": "web", "locale": "fr_FR"}, headers=admin_headers)
    assert web.status_code == 201
    assert [
        (p["channel"], p["locale"])
        for p in client.get(f"{PRODUCTS}/ROBE-LIN", headers=admin_headers).json()["publications"]
    ] == [("store", "fr_FR"), ("web", "fr_FR")]
    assert [(e["channel"], e["locale"]) for e in recorded(taxonomy, "catalog.product_published")] == [
        ("store", "fr_FR"),
        ("web", "fr_FR"),
    ]


def test_an_image_licensed_for_the_web_only_does_not_complete_the_app(
    client, admin_headers, taxonomy
) -> None:  # type: ignore[no-untyped-def]
    product = active_dress(client, admin_headers)
    upload_image(client, admin_headers, product["id"], rights_channels="web")
    scores = client.get(f"{PRODUCTS}/{product['id']}/completeness?locale=fr_FR", headers=admin_headers).json()
    assert {s["channel"]: s["missing"] for s in scores}["web"] == []


def test_a_draft_is_not_published(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    created = client.post(PRODUCTS, json=dress_json(), headers=admin_headers).json()
    response = client.post(
        f"{PRODUCTS}/{created['id']}/publications",
        json={"channel": "store", "locale": "fr_FR"},
        headers=admin_headers,
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "Product ROBE-LIN is draft: activate it before publishing."


def test_a_change_that_empties_a_required_value_withdraws_the_publication(
    client, admin_headers, taxonomy
) -> None:  # type: ignore[no-untyped-def]
    product = active_dress(client, admin_headers)
    url = f"{PRODUCTS}/{product['id']}"
    client.post(f"{url}/publications", json={"channel": "app", "locale": "en_GB"}, headers=admin_headers)
    client.post(f"{url}/publications", json={"channel": "store", "locale": "en_GB"}, headers=admin_headers)

    client.patch(url, json={"description": {"en_GB": ""}}, headers=admin_headers)

    remaining = client.get(url, headers=admin_headers).json()["publications"]
    assert [(p["channel"], p["locale"]) for p in remaining] == [("store", "en_GB")]
    assert recorded(taxonomy, "catalog.product_unpublished") == [
        {
            "product_id": product["id"],
            "code": "ROBE-LIN",
            "channel": "app",
            "locale": "en_GB",
            "reason": "incomplete",
        }
    ]


def test_archiving_withdraws_every_publication(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    product = active_dress(client, admin_headers)
    url = f"{PRODUCTS}/{product['id']}"
    client.post(f"{url}/publications", json={"channel": "store", "locale": "fr_FR"}, headers=admin_headers)
    client.patch(url, json={"status": "archived"}, headers=admin_headers)
    assert client.get(url, headers=admin_headers).json()["publications"] == []
    assert [e["reason"] for e in recorded(taxonomy, "catalog.product_unpublished")] == ["archived"]


def test_unpublishing(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    product = active_dress(client, admin_headers)
    url = f"{PRODUCTS}/{product['id']}/publications"
    client.post(url, json={"channel": "store", "locale": "fr_FR"}, headers=admin_headers)
    assert client.delete(f"{url}/store/fr_FR", headers=admin_headers).status_code == 204
    assert client.delete(f"{url}/store/fr_FR", headers=admin_headers).status_code == 404
    assert [e["reason"] for e in recorded(taxonomy, "catalog.product_unpublished")] == ["requested"]


def test_a_family_change_withdraws_what_it_made_incomplete_in_the_worker(  # type: ignore[no-untyped-def]
    client, admin_headers, taxonomy, dispatcher
) -> None:
    product = active_dress(
        client, admin_headers, attributes={"collar": "round", "care": {"fr_FR": "30°", "en_GB": "30°"}}
    )
    client.post(
        f"{PRODUCTS}/{product['id']}/publications",
        json={"channel": "store", "locale": "fr_FR"},
        headers=admin_headers,
    )
    family = client.get("/v1/catalog/families/clothing", headers=admin_headers).json()
    for attribute in family["attributes"]:
        if attribute["code"] == "released":
            attribute["required_channels"] = ["store"]

    assert client.put("/v1/catalog/families/clothing", json=family, headers=admin_headers).status_code == 200
    assert len(client.get(f"{PRODUCTS}/{product['id']}", headers=admin_headers).json()["publications"]) == 1
    dispatcher.drain()
    assert client.get(f"{PRODUCTS}/{product['id']}", headers=admin_headers).json()["publications"] == []
